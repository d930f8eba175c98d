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

`--line-only` measures the hub's wait line instead (no emulator); see
:func:`measure_line`.
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


def measure_line(nodes: int = 10_000, pods: int = 100_000, waiters: int = 200) -> dict:
    """`--line-only`: the hub's wait line on a full cluster, without the emulator.

    Every U250 of `nodes` nodes (4 each) is held by one of `pods` pods; `waiters`
    spawns wait in line. Measured: the cost of letting the line follow one
    capacity event (what the shared watch pays per event while spawns wait),
    against the baseline of recomputing who holds what from the pods (one scan
    per event); then boards are freed one at a time, and we check that the
    spawns are placed in the order they joined and no board is handed out twice.
    """
    from fpga_spawner.capacity import PodOwner
    from fpga_spawner.waitline import WaitLine

    catalog = parse_catalog(boards=[BOARD])
    ledger = CapacityLedger.for_catalog(catalog)
    started = time.perf_counter()
    for n in range(nodes):
        ledger.set_node(f"node-{n:05d}", {U250: "4"}, {})
    holders = []
    for i in range(pods):
        uid = f"job-{i:06d}"
        request = {U250: "1"} if i < 4 * nodes else {}
        owner = PodOwner(f"batch/{uid}", f"batch-{i % 1000}", "", float(i))
        ledger.set_pod(uid, f"node-{i % nodes:05d}", request, True, owner if request else None)
        if request:
            holders.append((uid, f"node-{i % nodes:05d}"))
    fill_s = time.perf_counter() - started
    assert ledger.board(U250).free == 0

    line = WaitLine()
    tickets = [
        line.join("u250", U250, f"user{i}", "", 1, f"jhub/jupyter-user{i}", ledger)
        for i in range(waiters)
    ]
    rounds = 2000
    started = time.perf_counter()
    for _ in range(rounds):
        line.refresh(ledger)
    refresh_ms = (time.perf_counter() - started) / rounds * 1000
    started = time.perf_counter()
    for _ in range(5):
        ledger.holders(U250)
    scan_ms = (time.perf_counter() - started) / 5 * 1000

    placed: list[int] = []
    over_allocated = 0
    for uid, node in holders[:waiters]:
        ledger.delete_pod(uid)  # a board frees
        line.refresh(ledger)
        for index, ticket in enumerate(tickets):
            if ticket.admitted and ticket.in_line and index not in placed:
                placed.append(index)  # its pod is made; the scheduler binds it
                owner = PodOwner(ticket.pod, ticket.waiter.user, "", 0.0)
                ledger.set_pod(f"spawn-{index}", node, {U250: "1"}, True, owner)
        line.refresh(ledger)
        cap = ledger.board(U250)
        over_allocated = max(over_allocated, cap.in_use - cap.total)
    overtakes = sum(1 for position, index in enumerate(placed) if position != index)
    print(f"line-only: {nodes} nodes, {pods} pods ({4 * nodes} U250 held) filled in {fill_s:.1f} s")
    print(
        f"line follows one capacity event with {waiters} waiting: {refresh_ms * 1000:.1f} us; "
        f"baseline, a scan of the holding pods per event: {scan_ms:.1f} ms "
        f"({scan_ms / refresh_ms:,.0f}x)"
    )
    print(
        f"{len(placed)} of {waiters} placed as boards freed: {overtakes} overtakes, "
        f"{over_allocated} boards over-allocated"
    )
    return {
        "nodes": nodes,
        "pods": pods,
        "waiters": waiters,
        "line_refresh_ms": round(refresh_ms, 4),
        "baseline_scan_ms": round(scan_ms, 2),
        "placed": len(placed),
        "overtakes": overtakes,
        "over_allocated": over_allocated,
    }


if __name__ == "__main__":
    print(json.dumps(measure_line() if "--line-only" in sys.argv else main()))
