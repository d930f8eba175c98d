"""Live FPGA capacity at cluster scale, against the Kubernetes API emulator.

A cluster of 2,000 nodes (2 x U250 each) and 20,000 pods (3,850 of them
holding a U250) is served by the emulator over real HTTP. We measure:

- the memory of the capacity view (the ledger the shared watch keeps), with
  tracemalloc, after the initial list of nodes and pods;
- the time to answer "free per board type", and that answering makes no API
  call; beside it, the baseline a naive spawner would pay: one pod list over
  HTTP per question;
- 100 concurrent FPGASpawner.start() calls (unmodified kubespawner underneath),
  counting errors and checking from the cluster's own state that no node has
  more U250s bound than it has.

Last line: JSON with the figures issue 3 names.

`--dra [NODES [PODS]]` measures the same for boards offered through Kubernetes
DRA instead: 4,000 nodes (the emulator's limit is 4,095) whose driver publishes
2 U250s each in a ResourceSlice, 8,000 pods, all but 300 devices held by allocated ResourceClaims,
then 200 concurrent spawns of a DRA board (each writes its
ResourceClaimTemplate; the emulator makes the claim and allocates a device),
counting errors and devices allocated twice.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from fpga_spawner.render import ensure_kube_config  # noqa: E402

ensure_kube_config()

from traitlets.config import Config  # noqa: E402

from fpga_demo.emulator.cluster import EmulatedCluster, run_in_thread  # noqa: E402
from fpga_demo.emulator.kubeconfig import use_in_this_process  # noqa: E402
from fpga_spawner.capacity import CapacityLedger  # noqa: E402
from fpga_spawner.capacity_watch import CapacityWatch  # noqa: E402
from fpga_spawner.catalog import parse_catalog  # noqa: E402
from fpga_spawner.render import StandInHub, StandInUser  # noqa: E402

U250 = "amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0"
NODES, PODS, FPGA_PODS, SPAWNS = 2000, 20_000, 3850, 100
BOARD = {"slug": "u250", "plugin": "amd", "resource": U250, "display_name": "AMD Alveo U250"}


def cluster_spec() -> dict:
    return {
        "name": "capacity-benchmark",
        "namespaces": ["jhub", "batch"],
        "nodes": [
            {
                "name": f"node-{i:04d}",
                "labels": {"fpga.jupyterhub.io/location": "on-premises"},
                "allocatable": {"cpu": "64", "memory": "256Gi", "pods": "110", U250: "2"},
            }
            for i in range(NODES)
        ],
        "kubelet": {"runProcesses": False},
        "scheduler": {"unschedulableRetrySeconds": 1},
    }


def batch_pod(i: int) -> dict:
    resources = {"requests": {"cpu": "100m"}}
    if i < FPGA_PODS:
        resources["limits"] = {U250: "1"}
    return {
        "metadata": {"name": f"job-{i:05d}", "labels": {"app": "batch"}},
        "spec": {
            "nodeName": f"node-{i % NODES:04d}",
            "containers": [{"name": "main", "image": "batch:1", "resources": resources}],
        },
    }


class CountingApi:
    """Wraps CoreV1Api to count the calls the capacity view makes."""

    def __init__(self, api):
        self._api, self.calls = api, 0

    def __getattr__(self, name):
        attr = getattr(self._api, name)
        if not callable(attr):
            return attr

        def counted(*args, **kwargs):
            self.calls += 1
            return attr(*args, **kwargs)

        return counted


def double_booked(cluster: EmulatedCluster) -> int:
    """Nodes whose bound, unfinished pods hold more U250s than the node has."""
    held: dict[str, int] = {}
    for pod in cluster.pods():
        node = pod["spec"].get("nodeName")
        if not node or pod.get("status", {}).get("phase") in ("Succeeded", "Failed"):
            continue
        for c in pod["spec"]["containers"]:
            held[node] = held.get(node, 0) + int(
                (c.get("resources", {}).get("limits") or {}).get(U250, 0)
            )
    allocatable = {
        n["metadata"]["name"]: int(n["status"]["allocatable"].get(U250, 0)) for n in cluster.nodes()
    }
    return sum(1 for node, n in held.items() if n > allocatable.get(node, 0))


async def measure(handle, cluster: EmulatedCluster) -> dict:
    from kubernetes_asyncio.client import ApiClient, CoreV1Api

    from fpga_spawner import FPGASpawner
    from fpga_spawner.kubespawner_internals import make_offline_spawner

    catalog = parse_catalog(boards=[BOARD])
    api = CountingApi(CoreV1Api(ApiClient(cluster.client_configuration())))

    # -- memory of the capacity view ------------------------------------------------
    gc.collect()
    tracemalloc.start()
    ledger = CapacityLedger.for_catalog(catalog)
    watch = CapacityWatch(api, ledger)
    started = time.perf_counter()
    await watch.start()
    await watch.ready.wait()
    list_s = time.perf_counter() - started
    gc.collect()
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    kept = snapshot.filter_traces(
        [tracemalloc.Filter(True, str(REPO / "fpga_spawner" / "capacity.py"))]
    )
    view_mb = sum(stat.size for stat in kept.statistics("filename")) / 2**20
    cap = ledger.board(U250)
    print(
        f"initial list of {NODES} nodes + {PODS} pods: {list_s:.2f} s; capacity view {view_mb:.2f} MB"
    )
    print(f"U250: {cap.free} of {cap.total} free ({cap.in_use} in use)")
    assert (cap.total, cap.in_use) == (2 * NODES, FPGA_PODS), cap

    # -- "free per board type": ours (incremental) vs one pod list per question -------
    calls_before = api.calls
    rounds = 100_000
    started = time.perf_counter()
    for _ in range(rounds):
        ledger.board(U250)
    query_ms = (time.perf_counter() - started) / rounds * 1000
    api_calls = api.calls - calls_before
    started = time.perf_counter()
    response = await api._api.list_pod_for_all_namespaces(_preload_content=False)
    await response.read()
    naive_ms = (time.perf_counter() - started) * 1000
    print(f"capacity query: {query_ms * 1000:.2f} us, {api_calls} API calls")
    print(f"baseline, one pod list per question: {naive_ms:.0f} ms ({naive_ms / query_ms:,.0f}x)")

    # -- 100 concurrent spawns ----------------------------------------------------------
    config = Config()
    config.FPGASpawner.boards = [BOARD]
    config.KubeSpawner.namespace = "jhub"
    config.KubeSpawner.start_timeout = 300
    config.KubeSpawner.cmd = ["jupyterhub-singleuser"]
    spawners = [
        make_offline_spawner(
            FPGASpawner, config=config, user=StandInUser(f"user{i}"), hub=StandInHub()
        )
        for i in range(SPAWNS)
    ]
    for spawner in spawners:
        spawner.user_options = {"profile": "u250"}
    started = time.perf_counter()
    results = await asyncio.gather(*(s.start() for s in spawners), return_exceptions=True)
    spawn_s = time.perf_counter() - started
    errors = [r for r in results if isinstance(r, BaseException)]
    for error in errors[:3]:
        print("spawn error:", repr(error))
    booked = handle.call(double_booked, cluster)
    await asyncio.sleep(1)  # let the watch see the last bindings
    after = ledger.board(U250)
    print(
        f"{SPAWNS} concurrent spawns: {spawn_s:.1f} s, {len(errors)} errors, {booked} double-booked nodes"
    )
    print(f"U250 after the spawns: {after.free} of {after.total} free (ledger)")
    await asyncio.gather(*(s.stop(now=True) for s in spawners), return_exceptions=True)
    await watch.stop()
    await api._api.api_client.close()
    return {
        "nodes": NODES,
        "pods": PODS,
        "capacity_query_ms": round(query_ms, 5),
        "capacity_view_mb": round(view_mb, 2),
        "capacity_api_calls_per_query": api_calls,
        "baseline_list_ms": round(naive_ms, 1),
        "concurrent_spawns": SPAWNS,
        "spawn_errors": len(errors),
        "double_booked": booked,
    }


def main() -> dict:
    cluster = EmulatedCluster.from_dict(cluster_spec())
    kubeconfig = Path(tempfile.mkdtemp()) / "kubeconfig.yaml"
    with run_in_thread(cluster, kubeconfig=kubeconfig) as handle:
        started = time.perf_counter()

        def create_all() -> None:
            for i in range(PODS):
                cluster.api.create("pods", "batch", batch_pod(i))

        handle.call(create_all)
        print(f"created {PODS} pods on {NODES} nodes in {time.perf_counter() - started:.1f} s")
        use_in_this_process(kubeconfig, handle.url)
        return asyncio.run(measure(handle, cluster))


# -- DRA devices (`--dra`) ------------------------------------------------------------

DRA_NODES, DRA_PODS, DRA_SPAWNS = 4_000, 8_000, 200
DRA_FREE = 300  # devices left free for the spawns; the rest are held by batch claims
DRA_DRIVER = "fpga.amd.com"
DRA_CLASS = "u250.fpga.amd.com"
DRA_RESOURCE = f"deviceclass.resource.kubernetes.io/{DRA_CLASS}"
DRA_BOARD = {
    "slug": "u250-dra",
    "plugin": "dra",
    "display_name": "AMD Alveo U250 (DRA)",
    "dra": {"device_class": DRA_CLASS, "driver": DRA_DRIVER, "board": "u250"},
}


def dra_cluster_spec(nodes: int) -> dict:
    device = {"attributes": {"board": "u250", "vbnv": "xilinx_u250_gen3x16_xdma_shell_4_1"}}
    return {
        "name": "capacity-benchmark-dra",
        "namespaces": ["jhub", "batch"],
        "deviceClasses": [{"name": DRA_CLASS, "selectors": [f'device.driver == "{DRA_DRIVER}"']}],
        "nodes": [
            {
                "name": f"node-{i:05d}",
                "allocatable": {"cpu": "64", "memory": "256Gi", "pods": "110"},
                "dra": {
                    "driver": DRA_DRIVER,
                    "devices": [{"name": f"fpga-{d}", **device} for d in range(2)],
                },
            }
            for i in range(nodes)
        ],
        "kubelet": {"runProcesses": False},
        "scheduler": {"unschedulableRetrySeconds": 1},
    }


def dra_claim(i: int, nodes: int) -> dict:
    """A batch job's claim, allocated one device (node i % nodes, device i // nodes)."""
    node = f"node-{i % nodes:05d}"
    return {
        "apiVersion": "resource.k8s.io/v1",
        "kind": "ResourceClaim",
        "metadata": {"name": f"job-{i:05d}-fpga", "namespace": "batch"},
        "spec": {"devices": {"requests": [{"name": "fpga", "exactly": {"deviceClassName": DRA_CLASS}}]}},
        "status": {
            "allocation": {
                "devices": {"results": [{"request": "fpga", "driver": DRA_DRIVER, "pool": node,
                                         "device": f"fpga-{i // nodes}"}]},
                "nodeSelector": {"nodeSelectorTerms": [{"matchFields": [
                    {"key": "metadata.name", "operator": "In", "values": [node]}]}]},
            },
            "reservedFor": [{"resource": "pods", "name": f"job-{i:05d}", "uid": f"uid-{i}"}],
        },
    }  # fmt: skip


def starting_pods(cluster: EmulatedCluster) -> int:
    return sum(1 for p in cluster.pods() if (p.get("status") or {}).get("phase") != "Running")


def devices_allocated_twice(cluster: EmulatedCluster) -> int:
    """Devices that more than one ResourceClaim has been allocated."""
    seen: dict[tuple, int] = {}
    for claim in cluster.store.list("resourceclaims"):
        results = ((claim.get("status") or {}).get("allocation") or {}).get("devices", {})
        for r in results.get("results") or []:
            key = (r["driver"], r["pool"], r["device"])
            seen[key] = seen.get(key, 0) + 1
    return sum(1 for n in seen.values() if n > 1)


async def measure_dra(handle, cluster: EmulatedCluster, nodes: int, pods: int) -> dict:
    from kubernetes_asyncio.client import ApiClient, CoreV1Api

    from fpga_spawner import FPGASpawner
    from fpga_spawner.kubespawner_internals import make_offline_spawner

    held = 2 * nodes - DRA_FREE
    catalog = parse_catalog(boards=[DRA_BOARD])
    api = CountingApi(CoreV1Api(ApiClient(cluster.client_configuration())))
    gc.collect()
    tracemalloc.start()
    ledger = CapacityLedger.for_catalog(catalog)
    watch = CapacityWatch(api, ledger)
    started = time.perf_counter()
    await watch.start()
    await watch.ready.wait()
    sync_s = time.perf_counter() - started
    gc.collect()
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    kept = snapshot.filter_traces(
        [
            tracemalloc.Filter(True, str(REPO / "fpga_spawner" / "capacity.py")),
            tracemalloc.Filter(True, str(REPO / "fpga_spawner" / "dra.py")),
        ]
    )
    view_mb = sum(stat.size for stat in kept.statistics("filename")) / 2**20
    cap = ledger.board(DRA_RESOURCE)
    print(
        f"DRA: first sync of {nodes} nodes, {nodes} ResourceSlices, {pods} pods, {held} "
        f"claims: {sync_s:.2f} s; capacity view {view_mb:.2f} MB"
    )
    print(f"U250 (DRA): {cap.free} of {cap.total} free ({cap.in_use} in use)")
    assert (cap.total, cap.in_use) == (2 * nodes, held), cap

    calls_before, rounds = api.calls, 100_000
    started = time.perf_counter()
    for _ in range(rounds):
        ledger.board(DRA_RESOURCE)
    query_ms = (time.perf_counter() - started) / rounds * 1000
    api_calls = api.calls - calls_before
    print(f"DRA capacity query: {query_ms * 1000:.2f} us, {api_calls} API calls")

    config = Config()
    config.FPGASpawner.boards = [DRA_BOARD]
    config.KubeSpawner.namespace = "jhub"
    config.KubeSpawner.start_timeout = 600
    config.KubeSpawner.cmd = ["jupyterhub-singleuser"]
    # one emulator thread serves 200 spawns at once: give its answers time
    config.KubeSpawner.k8s_api_request_timeout = 60
    config.KubeSpawner.k8s_api_request_retry_timeout = 300
    spawners = [
        make_offline_spawner(
            FPGASpawner, config=config, user=StandInUser(f"user{i}"), hub=StandInHub()
        )
        for i in range(DRA_SPAWNS)
    ]
    for spawner in spawners:
        spawner.user_options = {"profile": "u250-dra"}
    started = time.perf_counter()
    results = await asyncio.gather(*(s.start() for s in spawners), return_exceptions=True)
    spawn_s = time.perf_counter() - started
    errors = [r for r in results if isinstance(r, BaseException)]
    for error in errors[:3]:
        print("DRA spawn error:", repr(error))
    twice = handle.call(devices_allocated_twice, cluster)
    await asyncio.sleep(1)
    after = ledger.board(DRA_RESOURCE)
    print(
        f"{DRA_SPAWNS} concurrent DRA spawns: {spawn_s:.1f} s, {len(errors)} errors, "
        f"{twice} devices allocated twice; ledger: {after.in_use} in use"
    )
    await asyncio.gather(*(s.stop(now=True) for s in spawners), return_exceptions=True)
    await watch.stop()
    await api._api.api_client.close()
    return {
        "dra_nodes": nodes,
        "dra_devices": 2 * nodes,
        "pods": pods,
        "first_sync_s": round(sync_s, 2),
        "capacity_query_ms": round(query_ms, 5),
        "capacity_view_mb": round(view_mb, 2),
        "capacity_api_calls_per_query": api_calls,
        "concurrent_spawns": DRA_SPAWNS,
        "spawn_errors": len(errors),
        "devices_allocated_twice": twice,
        "ledger_in_use_after_spawns": after.in_use,
    }


def main_dra(nodes: int = DRA_NODES, pods: int = DRA_PODS) -> dict:
    held = 2 * nodes - DRA_FREE
    cluster = EmulatedCluster.from_dict(dra_cluster_spec(nodes))
    kubeconfig = Path(tempfile.mkdtemp()) / "kubeconfig.yaml"
    with run_in_thread(cluster, kubeconfig=kubeconfig) as handle:
        started = time.perf_counter()

        def create_all() -> None:
            for i in range(pods):
                body = batch_pod(i + FPGA_PODS)  # CPU-only batch pods
                body["spec"]["nodeName"] = f"node-{i % nodes:05d}"
                cluster.api.create("pods", "batch", body)
            for i in range(held):
                cluster.store.create("resourceclaims", dra_claim(i, nodes))

        handle.run(_run_sync(create_all), 1800)  # 100,000 pods take longer than call()'s 60 s
        print(f"created {pods} pods and {held} claims in {time.perf_counter() - started:.1f} s")
        # The emulated kubelets start every pod first; the sync is measured on a settled cluster.
        deadline = time.monotonic() + 900
        while handle.call(starting_pods, cluster) and time.monotonic() < deadline:
            time.sleep(2)
        print(f"pods running after {time.perf_counter() - started:.1f} s")
        use_in_this_process(kubeconfig, handle.url)
        return asyncio.run(measure_dra(handle, cluster, nodes, pods))


async def _run_sync(fn) -> None:
    fn()


if __name__ == "__main__":
    if "--dra" in sys.argv:
        sizes = [int(a) for a in sys.argv[1:] if a.isdigit()]
        print(json.dumps(main_dra(*sizes)))
    else:
        print(json.dumps(main()))
