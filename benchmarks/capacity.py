"""Live FPGA capacity at cluster scale, against the Kubernetes API emulator.

A cluster of 10,000 nodes and 100,000 pods is served by the emulator over
real HTTP. Its nodes come in three kinds, one :class:`Case` each: a third
have 2 whole U250s (device plugin); a third a U55C that the device plugin
shares as 4 slots (the AMD plugin's VirtualDev/VirtualNum), so the emulated
kubelet hands out slots of it; a third 2 U250s that a DRA driver publishes
in a ResourceSlice (resource.k8s.io/v1). Some of the pods hold a U250, a
slot, or (through an allocated ResourceClaim) a DRA device. We measure:

- the first sync: the capacity watch's initial list of nodes, pods,
  ResourceSlices and ResourceClaims, until the view is ready (and the view's
  counts per case checked against what was created);
- the memory of the capacity view (the ledger the shared watch keeps), with
  tracemalloc, after a second initial list;
- the time to answer "free per board type" for every case, and that answering
  makes no API call; beside it, the baseline a naive spawner would pay: one
  pod list over HTTP per question;
- 200 concurrent FPGASpawner.start() calls (unmodified kubespawner underneath),
  spread over the cases (a DRA spawn writes its ResourceClaimTemplate; the
  emulator makes the claim and allocates a device from the slices), counting
  errors and checking from the cluster's own state that nothing was
  over-allocated: no node with more units bound than it has, no slot given to
  two pods, no device in two allocated claims or in none of the slices; and
  that the ledger's units in use equal what the cluster handed out, per case.

Last line: JSON with the figures issue 13 names, overall and per case.
``--nodes``, ``--pods`` and ``--spawns`` make a smaller run for a quick look.

``--line-only`` measures the hub's wait line instead (no emulator); see
:func:`measure_line`.
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
from fpga_spawner.dra import extended_resource_name  # noqa: E402
from fpga_spawner.render import StandInHub, StandInUser  # noqa: E402

U250 = "amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0"
U55C = "amd.com/xilinx_u55c_gen3x16_xdma_base_3-0"
DRA_DRIVER = "fpga.amd.com"
DRA_CLASS = "u250.fpga.amd.com"
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
    def is_dra(self) -> bool:
        """Its units are DRA devices: held by allocated ResourceClaims, not by pod limits."""
        return "dra" in self.board

    @property
    def resource(self) -> str:
        """The name capacity counts it under (KEP-5004's name for a DRA DeviceClass)."""
        if self.is_dra:
            return extended_resource_name(self.board["dra"]["device_class"])
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


def _dra_node(name: str) -> dict[str, Any]:
    """A node whose DRA driver publishes 2 U250s in one ResourceSlice (pool = node name)."""
    attributes = {"board": "u250", "vbnv": "xilinx_u250_gen3x16_xdma_shell_4_1"}
    devices = [{"name": f"fpga-{d}", "attributes": attributes} for d in range(2)]
    return _fpga_node(name, {"dra": {"driver": DRA_DRIVER, "devices": devices}})


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
    Case(
        "DRA devices",
        {
            "slug": "u250-dra",
            "plugin": "dra",
            "display_name": "AMD Alveo U250 (DRA)",
            "dra": {"device_class": DRA_CLASS, "driver": DRA_DRIVER, "board": "u250"},
        },
        units_per_node=2,
        node=_dra_node,
        # the first pod on every node holds a device through an allocated claim,
        # the second pod on 3 of every 4 nodes the other device
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
        if round_ == 1 and case.is_dra:
            return case, 1 if (node // len(self.cases)) % 4 else 0
        return case, 0

    def cluster_spec(self) -> dict:
        return {
            "name": "capacity-benchmark",
            "namespaces": ["jhub", "batch"],
            "deviceClasses": [
                {"name": DRA_CLASS, "selectors": [f'device.driver == "{DRA_DRIVER}"']}
            ],
            "nodes": [self.case_of(i).node(self.node_name(i)) for i in range(self.nodes)],
            # containers never run: pod addresses need not be leased machine-wide
            # (a lease is an open file per pod; 100,000 would exhaust the limit)
            "kubelet": {"runProcesses": False, "machineWideAddresses": False},
            "scheduler": {"unschedulableRetrySeconds": 1},
            "apiServer": {"historySize": 1000},
        }

    def batch_pod(self, i: int) -> dict:
        """The i-th batch pod; a DRA device it holds is its claim's (see :meth:`batch_claim`)."""
        resources: dict[str, Any] = {"requests": {"cpu": "100m"}}
        spec: dict[str, Any] = {"nodeName": self.node_name(i % self.nodes)}
        case, held = self.pod_held(i)
        if held and case.is_dra:
            resources["claims"] = [{"name": "fpga"}]
            spec["resourceClaims"] = [{"name": "fpga", "resourceClaimName": self.claim_name(i)}]
        elif held:
            resources["limits"] = {case.resource: str(held)}
        spec["containers"] = [{"name": "main", "image": "batch:1", "resources": resources}]
        return {"metadata": {"name": f"job-{i:06d}", "labels": {"app": "batch"}}, "spec": spec}

    def claim_name(self, i: int) -> str:
        return f"job-{i:06d}-fpga"

    def batch_claim(self, i: int, pod_uid: str) -> dict | None:
        """The ResourceClaim of the i-th pod if it holds DRA devices, already allocated.

        As the scheduler would have left it: device ``fpga-<round>`` of the
        pod's node, reserved for the pod. (Written to the store directly: the
        API takes no status on create.)
        """
        case, held = self.pod_held(i)
        if not (held and case.is_dra):
            return None
        node, device = self.node_name(i % self.nodes), f"fpga-{i // self.nodes}"
        return {
            "apiVersion": "resource.k8s.io/v1",
            "kind": "ResourceClaim",
            "metadata": {"name": self.claim_name(i), "namespace": "batch"},
            "spec": {"devices": {"requests": [
                {"name": "fpga", "exactly": {"deviceClassName": DRA_CLASS}}]}},
            "status": {
                "allocation": {
                    "devices": {"results": [
                        {"request": "fpga", "driver": DRA_DRIVER, "pool": node, "device": device}]},
                    "nodeSelector": {"nodeSelectorTerms": [{"matchFields": [
                        {"key": "metadata.name", "operator": "In", "values": [node]}]}]},
                },
                "reservedFor": [
                    {"resource": "pods", "name": f"job-{i:06d}", "uid": pod_uid}],
            },
        }  # fmt: skip

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


def _live_pods(cluster: EmulatedCluster) -> list[dict]:
    """Pods bound to a node that have not ended: the ones that hold what they asked for."""
    return [
        pod
        for pod in cluster.pods()
        if pod["spec"].get("nodeName")
        and pod.get("status", {}).get("phase") not in ("Succeeded", "Failed")
    ]


def _allocated_devices(cluster: EmulatedCluster) -> list[tuple[str, str, str]]:
    """(driver, pool, device) of every device of every allocated claim, repeats kept."""
    return [
        (r["driver"], r["pool"], r["device"])
        for claim in cluster.store.list("resourceclaims")
        for r in ((claim.get("status") or {}).get("allocation") or {})
        .get("devices", {})
        .get("results")
        or []
    ]


def over_allocated(cluster: EmulatedCluster, cases: list[Case]) -> dict[str, int]:
    """Per case: units over-allocated, read from the cluster's own state.

    Device-plugin units: nodes whose live pods' limits exceed the node's
    allocatable, plus unit IDs the kubelet wrote into two pods' container
    statuses. DRA devices: devices in more than one allocated claim, plus
    allocated devices that no ResourceSlice publishes.
    """
    resources = {c.resource: c.name for c in cases}
    held: dict[tuple[str, str], int] = {}
    owners: dict[tuple[str, str, str], int] = {}
    for pod in _live_pods(cluster):
        node = pod["spec"]["nodeName"]
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
    published = {
        (s["spec"]["driver"], s["spec"]["pool"]["name"], d["name"])
        for s in cluster.store.list("resourceslices")
        for d in s["spec"].get("devices") or []
    }
    claimed: dict[tuple[str, str, str], int] = {}
    for device in _allocated_devices(cluster):
        claimed[device] = claimed.get(device, 0) + 1
    for case in cases:
        if case.is_dra:
            driver = case.board["dra"]["driver"]
            found[case.name] += sum(
                1
                for device, n in claimed.items()
                if device[0] == driver and (n > 1 or device not in published)
            )
    return found


def cluster_in_use(cluster: EmulatedCluster, cases: list[Case]) -> dict[str, int]:
    """Per case: the units the cluster has handed out (what the ledger should say is in use).

    Device-plugin units: the limits of live pods bound to a node; DRA devices:
    the distinct devices of allocated claims.
    """
    used = {c.name: 0 for c in cases}
    by_resource = {c.resource: c.name for c in cases if not c.is_dra}
    for pod in _live_pods(cluster):
        for c in pod["spec"]["containers"]:
            for resource, value in (c.get("resources", {}).get("limits") or {}).items():
                if resource in by_resource:
                    used[by_resource[resource]] += int(value)
    devices = set(_allocated_devices(cluster))
    for case in cases:
        if case.is_dra:
            driver = case.board["dra"]["driver"]
            used[case.name] = sum(1 for d in devices if d[0] == driver)
    return used


async def _on_loop(fn: Callable[..., Any], *args: Any) -> Any:
    """`fn` on the cluster's loop (the store is not thread-safe), however long it takes."""
    return fn(*args)


@dataclass
class Sync:
    """One first sync: the view, its watch, and what it took (overall and per kind listed)."""

    ledger: CapacityLedger
    watch: CapacityWatch
    wall_s: float
    hub_cpu_s: float
    by_kind: dict[str, tuple[float, float]]  # kind -> (wall s, hub CPU s)


async def first_sync(api: CountingApi, catalog) -> Sync:
    """The watch's initial list until the view is ready: wall time, and the hub's own CPU time.

    The emulator serves from a thread of this process, so the wall time also
    holds its JSON encoding (a real API server does that in its own process);
    the hub's share is the CPU time of this thread (reading, decoding, counting).
    Each kind's list is timed on its own, to show where the time goes.
    """
    ledger = CapacityLedger.for_catalog(catalog)
    watch = CapacityWatch(api, ledger)
    by_kind: dict[str, tuple[float, float]] = {}
    list_kind = watch._list

    async def timed_list(kind: str) -> str:
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return await list_kind(kind)
        finally:
            by_kind.setdefault(kind, (time.perf_counter() - started, time.thread_time() - cpu))

    watch._list = timed_list  # type: ignore[method-assign]
    started, cpu = time.perf_counter(), time.thread_time()
    await watch.start()
    await watch.ready.wait()
    return Sync(ledger, watch, time.perf_counter() - started, time.thread_time() - cpu, by_kind)


async def measure(handle, cluster: EmulatedCluster, layout: Layout, spawns: int) -> dict:
    from kubernetes_asyncio.client import ApiClient, CoreV1Api

    from fpga_spawner import FPGASpawner
    from fpga_spawner.kubespawner_internals import make_offline_spawner

    cases = layout.cases
    catalog = parse_catalog(boards=[c.board for c in cases])
    api = CountingApi(CoreV1Api(ApiClient(cluster.client_configuration())))

    # -- first sync, then the memory of the capacity view (a second list, traced) -----
    gc.collect()
    sync = await first_sync(api, catalog)
    ledger, watch, sync_s, sync_cpu_s = sync.ledger, sync.watch, sync.wall_s, sync.hub_cpu_s
    print(
        f"first sync of {layout.nodes} nodes + {layout.pods} pods "
        f"(+ ResourceSlices and ResourceClaims): {sync_s:.2f} s "
        f"({sync_cpu_s:.2f} s of it the hub's CPU time; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} CPUs)"
    )
    for kind, (wall, cpu) in sync.by_kind.items():
        print(f"  list of {kind}: {wall:.2f} s ({cpu:.2f} s hub CPU)")
    for case in cases:
        cap = ledger.board(case.resource)
        total, in_use = layout.expected()[case.resource]
        print(f"{case.name}: {cap.free} of {cap.total} units free on {cap.boards} boards")
        assert (cap.total, cap.in_use) == (total, in_use), (case.name, cap, total, in_use)
    await watch.stop()
    gc.collect()
    tracemalloc.start()
    watch = (await first_sync(api, catalog)).watch
    ledger = watch.ledger
    gc.collect()
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    kept = snapshot.filter_traces(
        [
            tracemalloc.Filter(True, str(REPO / "fpga_spawner" / "capacity.py")),
            # a slice's device identities are made there and kept by the ledger
            tracemalloc.Filter(True, str(REPO / "fpga_spawner" / "dra.py")),
        ]
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
    print(f"{spawns} concurrent spawns: {spawn_s:.1f} s, {len(errors)} errors")
    # the ledger against what the cluster handed out, once the watch has seen the last events
    deadline = time.monotonic() + 30
    while True:
        handed_out = handle.run(_on_loop(cluster_in_use, cluster, cases), timeout=600)
        ledger_in_use = {c.name: ledger.board(c.resource).in_use for c in cases}
        if ledger_in_use == handed_out or time.monotonic() > deadline:
            break
        await asyncio.sleep(1)
    for case in cases:
        after = ledger.board(case.resource)
        print(
            f"{case.name} after the spawns: {after.free} of {after.total} free (ledger), "
            f"in use {ledger_in_use[case.name]} (ledger) / {handed_out[case.name]} (cluster); "
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
        "first_sync_s_by_kind": {k: round(wall, 2) for k, (wall, _) in sync.by_kind.items()},
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
        "in_use_after_spawns_by_case": {
            name: {"ledger": ledger_in_use[name], "cluster": handed_out[name]}
            for name in handed_out
        },
        "ledger_matches_cluster": ledger_in_use == handed_out,
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
                pod = cluster.api.create("pods", "batch", layout.batch_pod(i))
                claim = layout.batch_claim(i, pod["metadata"]["uid"])
                if claim is not None:
                    cluster.store.create("resourceclaims", claim)

        chunk = 2000  # one call per chunk: the loop keeps serving, no call runs into its timeout
        for first in range(0, layout.pods, chunk):
            handle.call(create, first, min(first + chunk, layout.pods))
        claims = handle.call(lambda: len(cluster.store.list("resourceclaims")))
        print(
            f"created {layout.pods} pods ({claims} of them with an allocated ResourceClaim) "
            f"on {layout.nodes} nodes in {time.perf_counter() - started:.1f} s"
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


if __name__ == "__main__":
    print(json.dumps(measure_line() if "--line-only" in sys.argv else main()))
