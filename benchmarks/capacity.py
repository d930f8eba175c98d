"""Live FPGA capacity at cluster scale, against the Kubernetes API emulator.

A cluster of 10,000 nodes and 100,000 pods is served by the emulator over
real HTTP. Half the nodes have 2 whole U250s; the other half a U55C that the
device plugin shares as 4 slots (the AMD plugin's VirtualDev/VirtualNum), so
the emulated kubelet hands out slots of it. Some of the pods hold a U250 or a
slot. Each kind of device is a :class:`Case`; we measure:

- the first sync: the capacity watch's initial list of nodes and pods, until
  the view is ready (and the view's counts checked against what was created);
- the memory of the capacity view (the ledger the shared watch keeps), with
  tracemalloc, after a second initial list;
- the time to answer "free per board type" for every case, and that answering
  makes no API call; beside it, the baseline a naive spawner would pay: one
  pod list over HTTP per question;
- 200 concurrent FPGASpawner.start() calls (unmodified kubespawner underneath),
  spread over the cases, counting errors and checking from the cluster's own
  state that no node has more units bound than it has, and that no slot was
  given to two pods.

A further kind of device (DRA devices published in ResourceSlices) is one more
:class:`Case` in ``CASES``, chosen with its own command-line flag; the figures
and the last line then cover it too.

Last line: JSON with the figures issue 13 names. ``--nodes``, ``--pods`` and
``--spawns`` make a smaller run for a quick look.

``--line-only`` measures the hub's wait line instead (no emulator); see
:func:`measure_line`.

`--dra [NODES [PODS]]` measures the same for boards offered through Kubernetes
DRA instead: 4,000 nodes (the emulator's limit is 4,095) whose driver publishes
2 U250s each in a ResourceSlice, 8,000 pods, all but 300 devices held by allocated ResourceClaims,
then 200 concurrent spawns of a DRA board (each writes its
ResourceClaimTemplate; the emulator makes the claim and allocates a device),
counting errors and devices allocated twice.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
U55C = "amd.com/xilinx_u55c_gen3x16_xdma_base_3-0"
NODES, PODS, SPAWNS = 10_000, 100_000, 200


@dataclass(frozen=True)
class Case:
    """One kind of FPGA device: its catalog board, its nodes, and the pods that hold it.

    ``node(i)`` gives the i-th node of this case (a cluster-file entry);
    ``held(i)`` how many units the i-th pod placed on such a node holds.
    """

    name: str
    board: dict[str, Any]
    units_per_node: int
    node: Callable[[str], dict[str, Any]]
    held: Callable[[int], int]

    @property
    def resource(self) -> str:
        return str(self.board["resource"])


def _fpga_node(name: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "labels": {"fpga.jupyterhub.io/location": "on-premises"},
        "allocatable": {"cpu": "64", "memory": "256Gi", "pods": "110"},
        **extra,
    }


def _whole_boards_node(name: str) -> dict[str, Any]:
    node = _fpga_node(name, {})
    node["allocatable"][U250] = "2"
    return node


def _shared_board_node(name: str) -> dict[str, Any]:
    return _fpga_node(name, {"virtualDevices": {U55C: {"boards": 1, "slotsPerBoard": 4}}})


CASES = [
    Case(
        "whole boards",
        {"slug": "u250", "plugin": "amd", "resource": U250, "display_name": "AMD Alveo U250"},
        units_per_node=2,
        node=_whole_boards_node,
        # the first pod on 3 of every 4 nodes holds a board: a quarter of the boards stay free
        held=lambda i: 1 if i % 4 else 0,
    ),
    Case(
        "shared slots",
        {
            "slug": "u55c",
            "plugin": "amd",
            "resource": U55C,
            "display_name": "AMD Alveo U55C",
            "slots_per_board": 4,
        },
        units_per_node=4,
        node=_shared_board_node,
        # the first pod on every node holds a slot (and the second on every other node)
        held=lambda i: 1,
    ),
]


@dataclass
class Layout:
    """Which node belongs to which case, and which pods hold units (a pure function of i)."""

    cases: list[Case]
    nodes: int
    pods: int

    def case_of(self, node_index: int) -> Case:
        return self.cases[node_index % len(self.cases)]

    def node_name(self, i: int) -> str:
        return f"node-{i:05d}"

    def pod_held(self, i: int) -> tuple[Case, int]:
        """The case of the pod's node and the units the pod holds (rounds 0 and 1 only)."""
        node, round_ = i % self.nodes, i // self.nodes
        case = self.case_of(node)
        if round_ == 0:
            return case, case.held(node // len(self.cases))
        if round_ == 1 and case.units_per_node > 2:
            return case, (node // len(self.cases)) % 2
        return case, 0

    def cluster_spec(self) -> dict:
        return {
            "name": "capacity-benchmark",
            "namespaces": ["jhub", "batch"],
            "nodes": [self.case_of(i).node(self.node_name(i)) for i in range(self.nodes)],
            # containers never run: pod addresses need not be leased machine-wide
            # (a lease is an open file per pod; 100,000 would exhaust the limit)
            "kubelet": {"runProcesses": False, "machineWideAddresses": False},
            "scheduler": {"unschedulableRetrySeconds": 1},
            "apiServer": {"historySize": 1000},
        }

    def batch_pod(self, i: int) -> dict:
        resources: dict[str, Any] = {"requests": {"cpu": "100m"}}
        case, held = self.pod_held(i)
        if held:
            resources["limits"] = {case.resource: str(held)}
        return {
            "metadata": {"name": f"job-{i:06d}", "labels": {"app": "batch"}},
            "spec": {
                "nodeName": self.node_name(i % self.nodes),
                "containers": [{"name": "main", "image": "batch:1", "resources": resources}],
            },
        }

    def expected(self) -> dict[str, tuple[int, int]]:
        """resource -> (units in all, units held by the batch pods)."""
        totals = {c.resource: [0, 0] for c in self.cases}
        for i in range(self.nodes):
            case = self.case_of(i)
            totals[case.resource][0] += case.units_per_node
        for i in range(min(self.pods, 2 * self.nodes)):
            case, held = self.pod_held(i)
            totals[case.resource][1] += held
        return {r: (t, h) for r, (t, h) in totals.items()}


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


def over_allocated(cluster: EmulatedCluster, cases: list[Case]) -> dict[str, int]:
    """Per case: nodes whose live pods hold more units than the node has, plus units given twice.

    Read from the cluster's own state: the pods' limits against the nodes'
    allocatable, and the unit IDs the kubelet wrote into container statuses.
    """
    resources = {c.resource: c.name for c in cases}
    held: dict[tuple[str, str], int] = {}
    owners: dict[tuple[str, str, str], int] = {}
    for pod in cluster.pods():
        node = pod["spec"].get("nodeName")
        if not node or pod.get("status", {}).get("phase") in ("Succeeded", "Failed"):
            continue
        for c in pod["spec"]["containers"]:
            for resource, value in (c.get("resources", {}).get("limits") or {}).items():
                if resource in resources:
                    held[node, resource] = held.get((node, resource), 0) + int(value)
        for status in pod.get("status", {}).get("containerStatuses") or []:
            for entry in status.get("allocatedResourcesStatus") or []:
                for unit in entry["resources"]:
                    key = (node, entry["name"], unit["resourceID"])
                    owners[key] = owners.get(key, 0) + 1
    allocatable = {n["metadata"]["name"]: n["status"]["allocatable"] for n in cluster.nodes()}
    found = {c.name: 0 for c in cases}
    for (node, resource), n in held.items():
        if n > int(allocatable.get(node, {}).get(resource, 0)):
            found[resources[resource]] += 1
    for (_node, resource, _unit), n in owners.items():
        if resource in resources and n > 1:
            found[resources[resource]] += 1
    return found


async def _on_loop(fn: Callable[..., Any], *args: Any) -> Any:
    """`fn` on the cluster's loop (the store is not thread-safe), however long it takes."""
    return fn(*args)


async def first_sync(
    api: CountingApi, catalog
) -> tuple[CapacityLedger, CapacityWatch, float, float]:
    """The watch's initial list until the view is ready: wall time, and the hub's own CPU time.

    The emulator serves from a thread of this process, so the wall time also
    holds its JSON encoding (a real API server does that in its own process);
    the hub's share is the CPU time of this thread (reading, decoding, counting).
    """
    ledger = CapacityLedger.for_catalog(catalog)
    watch = CapacityWatch(api, ledger)
    started, cpu = time.perf_counter(), time.thread_time()
    await watch.start()
    await watch.ready.wait()
    return ledger, watch, time.perf_counter() - started, time.thread_time() - cpu


async def measure(handle, cluster: EmulatedCluster, layout: Layout, spawns: int) -> dict:
    from kubernetes_asyncio.client import ApiClient, CoreV1Api

    from fpga_spawner import FPGASpawner
    from fpga_spawner.kubespawner_internals import make_offline_spawner

    cases = layout.cases
    catalog = parse_catalog(boards=[c.board for c in cases])
    api = CountingApi(CoreV1Api(ApiClient(cluster.client_configuration())))

    # -- first sync, then the memory of the capacity view (a second list, traced) -----
    gc.collect()
    ledger, watch, sync_s, sync_cpu_s = await first_sync(api, catalog)
    print(
        f"first sync of {layout.nodes} nodes + {layout.pods} pods: {sync_s:.2f} s "
        f"({sync_cpu_s:.2f} s of it the hub's CPU time; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs)"
    )
    for case in cases:
        cap = ledger.board(case.resource)
        total, in_use = layout.expected()[case.resource]
        print(f"{case.name}: {cap.free} of {cap.total} units free on {cap.boards} boards")
        assert (cap.total, cap.in_use) == (total, in_use), (case.name, cap, total, in_use)
    await watch.stop()
    gc.collect()
    tracemalloc.start()
    ledger, watch, _, _ = await first_sync(api, catalog)
    gc.collect()
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    kept = snapshot.filter_traces(
        [tracemalloc.Filter(True, str(REPO / "fpga_spawner" / "capacity.py"))]
    )
    view_mb = sum(stat.size for stat in kept.statistics("filename")) / 2**20
    print(f"capacity view: {view_mb:.2f} MB")

    # -- "free per board type": ours (incremental) vs one pod list per question -------
    calls_before = api.calls
    rounds = 100_000
    query_ms = {}
    for case in cases:
        started = time.perf_counter()
        for _ in range(rounds):
            ledger.board(case.resource)
        query_ms[case.name] = (time.perf_counter() - started) / rounds * 1000
    api_calls = api.calls - calls_before
    started = time.perf_counter()
    response = await api._api.list_pod_for_all_namespaces(_preload_content=False)
    await response.read()
    naive_ms = (time.perf_counter() - started) * 1000
    worst = max(query_ms.values())
    for name, ms in query_ms.items():
        print(f"capacity query, {name}: {ms * 1000:.2f} us")
    print(f"API calls during {rounds * len(cases)} queries: {api_calls}")
    print(f"baseline, one pod list per question: {naive_ms:.0f} ms ({naive_ms / worst:,.0f}x)")

    # -- concurrent spawns, spread over the cases ---------------------------------------
    config = Config()
    config.FPGASpawner.boards = [c.board for c in cases]
    config.KubeSpawner.namespace = "jhub"
    config.KubeSpawner.start_timeout = 600
    config.KubeSpawner.http_timeout = 600
    # The emulator answers from a thread of this process while its scheduler
    # places 200 pods among 10,000 nodes in Python: give each API request more
    # than kubespawner's 3 s (a real API server answers in milliseconds).
    config.KubeSpawner.k8s_api_request_timeout = 120
    config.KubeSpawner.k8s_api_request_retry_timeout = 600
    config.KubeSpawner.cmd = ["jupyterhub-singleuser"]
    spawners = []
    for i in range(spawns):
        spawner = make_offline_spawner(
            FPGASpawner, config=config, user=StandInUser(f"user{i}"), hub=StandInHub()
        )
        spawner.user_options = {"profile": cases[i % len(cases)].board["slug"]}
        spawners.append(spawner)
    started = time.perf_counter()
    results = await asyncio.gather(*(s.start() for s in spawners), return_exceptions=True)
    spawn_s = time.perf_counter() - started
    errors = [r for r in results if isinstance(r, BaseException)]
    for error in errors[:3]:
        print("spawn error:", repr(error))
    over = handle.run(_on_loop(over_allocated, cluster, cases), timeout=600)
    await asyncio.sleep(1)  # let the watch see the last bindings
    print(f"{spawns} concurrent spawns: {spawn_s:.1f} s, {len(errors)} errors")
    for case in cases:
        after = ledger.board(case.resource)
        print(
            f"{case.name} after the spawns: {after.free} of {after.total} free (ledger); "
            f"over-allocated: {over[case.name]}"
        )
    await asyncio.gather(*(s.stop(now=True) for s in spawners), return_exceptions=True)
    await watch.stop()
    await api._api.api_client.close()
    return {
        "nodes": layout.nodes,
        "pods": layout.pods,
        "cases": [c.name for c in cases],
        "first_sync_s": round(sync_s, 2),
        "first_sync_hub_cpu_s": round(sync_cpu_s, 2),
        "load_average": round(os.getloadavg()[0], 1),
        "capacity_query_ms": round(worst, 5),
        "capacity_query_ms_by_case": {k: round(v, 5) for k, v in query_ms.items()},
        "capacity_view_mb": round(view_mb, 2),
        "capacity_api_calls_per_query": api_calls,
        "baseline_list_ms": round(naive_ms, 1),
        "concurrent_spawns": spawns,
        "spawn_s": round(spawn_s, 1),
        "spawn_errors": len(errors),
        "over_allocated": sum(over.values()),
        "over_allocated_by_case": over,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=NODES)
    parser.add_argument("--pods", type=int, default=PODS)
    parser.add_argument("--spawns", type=int, default=SPAWNS)
    args = parser.parse_args(argv)
    layout = Layout(list(CASES), args.nodes, args.pods)
    cluster = EmulatedCluster.from_dict(layout.cluster_spec())
    kubeconfig = Path(tempfile.mkdtemp()) / "kubeconfig.yaml"
    with run_in_thread(cluster, kubeconfig=kubeconfig) as handle:
        started = time.perf_counter()

        def create(first: int, last: int) -> None:
            for i in range(first, last):
                cluster.api.create("pods", "batch", layout.batch_pod(i))

        chunk = 2000  # one call per chunk: the loop keeps serving, no call runs into its timeout
        for first in range(0, layout.pods, chunk):
            handle.call(create, first, min(first + chunk, layout.pods))
        print(
            f"created {layout.pods} pods on {layout.nodes} nodes "
            f"in {time.perf_counter() - started:.1f} s"
        )
        use_in_this_process(kubeconfig, handle.url)
        return asyncio.run(measure(handle, cluster, layout, args.spawns))


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

    catalog = parse_catalog(boards=[CASES[0].board])
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
                body = {  # CPU-only batch pods
                    "metadata": {"name": f"job-{i:06d}", "labels": {"app": "batch"}},
                    "spec": {
                        "nodeName": f"node-{i % nodes:05d}",
                        "containers": [
                            {"name": "main", "image": "batch:1",
                             "resources": {"requests": {"cpu": "100m"}}}
                        ],
                    },
                }  # fmt: skip
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
        print(json.dumps(measure_line() if "--line-only" in sys.argv else main()))
