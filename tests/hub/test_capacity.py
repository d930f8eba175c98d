"""Capacity accounting and accelerator placement, without a cluster."""

from __future__ import annotations

import asyncio
import json
import random

import pytest

from fpga_spawner.capacity import CapacityLedger
from fpga_spawner.capacity_watch import CapacityWatch, node_facts, pod_facts
from fpga_spawner.catalog import parse_catalog
from fpga_spawner.placement import place_accelerator, place_board
from fpga_spawner.progress import capacity_summary, explain_event

U250 = "amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0"
VU9P = "xilinx.com/fpga-xilinx_aws-vu9p-f1_dynamic_5_0-43981"

CATALOG = parse_catalog(
    boards=[
        {"slug": "u250", "plugin": "amd", "resource": U250, "max_per_user": 4},
        {
            "slug": "f1",
            "plugin": "xilinx-legacy",
            "resource": VU9P,
            "location": "cloud",
            "node_group": "aws-f1",
            "max_per_user": 2,
        },
    ],
    accelerators=[{"name": "ml.xgboost_exact", "boards": {"u250": 1, "f1": 2}}],
    node_groups=[{"name": "aws-f1", "board": "f1", "boards_per_node": 2, "max_nodes": 4}],
)


def ledger_with_onprem(boards=1):
    ledger = CapacityLedger.for_catalog(CATALOG)
    ledger.set_node("onprem-1", {U250: str(boards), "cpu": "16"}, {"x": "y"})
    return ledger


def test_counts_follow_pods_and_nodes():
    ledger = ledger_with_onprem(2)
    assert capacity_summary(ledger.board(U250)) == "2 of 2 free"
    ledger.set_pod("a", "onprem-1", {U250: "1"}, active=True)
    assert ledger.board(U250).free == 1 and ledger.fits_now(U250, 1)
    assert not ledger.fits_now(U250, 2)
    ledger.set_pod("a", "onprem-1", {U250: "1"}, active=False)  # Succeeded
    assert ledger.board(U250).free == 2
    ledger.set_pod("b", "", {U250: "1"}, active=True)  # pending: holds nothing
    assert ledger.board(U250).in_use == 0
    ledger.delete_node("onprem-1")
    assert ledger.board(U250).total == 0 and not ledger.could_ever_fit(U250, 1)


def test_burst_capacity_from_node_groups():
    ledger = ledger_with_onprem()
    cap = ledger.board(VU9P)
    assert (cap.free, cap.burst) == (0, 8)
    assert capacity_summary(cap) == "0 of 0 free, can burst to 8 more"
    assert ledger.fits_after_scale_up(VU9P, 2) and not ledger.fits_after_scale_up(VU9P, 3)
    assert ledger.could_ever_fit(VU9P, 2) and not ledger.could_ever_fit(VU9P, 3)
    ledger.set_node("f1-a", {VU9P: "2"}, {"fpga.jupyterhub.io/node-group": "aws-f1"})
    assert ledger.board(VU9P).burst == 6


def test_hybrid_accelerator_placement():
    """InAccel's scenario: 4 replicas, on-premises U250 busy -> 2 x VU9P on a new cloud node."""
    ledger = ledger_with_onprem()
    free = place_accelerator(CATALOG, "ml.xgboost_exact", 1, capacity=ledger)
    assert free.board.slug == "u250" and free.count == 1
    ledger.set_pod("busy", "onprem-1", {U250: "1"}, active=True)
    burst = place_accelerator(CATALOG, "ml.xgboost_exact", 4, capacity=ledger)
    assert (burst.board.slug, burst.count) == ("f1", 2)
    assert "cloud burst" in burst.reason


def test_request_that_can_never_fit_is_refused():
    ledger = ledger_with_onprem(1)
    try:
        place_board(CATALOG, "u250", 3, capacity=ledger)
    except ValueError as e:
        assert "could never start" in str(e)
    else:
        raise AssertionError("3 x U250 on a cluster whose nodes hold 1 must be refused")


def test_incremental_counts_equal_a_full_recount():
    rng = random.Random(7)
    ledger = CapacityLedger.for_catalog(CATALOG)
    nodes = {f"n{i}": rng.randint(1, 4) for i in range(30)}
    for name, boards in nodes.items():
        ledger.set_node(name, {U250: str(boards)}, {})
    pods = {}
    for step in range(2000):
        uid = f"p{rng.randint(0, 80)}"
        if rng.random() < 0.3:
            ledger.delete_pod(uid)
            pods.pop(uid, None)
        else:
            node = rng.choice(list(nodes))
            n = rng.randint(1, 2)
            active = rng.random() < 0.8
            ledger.set_pod(uid, node, {U250: str(n)}, active)
            pods[uid] = (node, n, active)
        if step % 97 == 0:
            used = {}
            for node, n, active in pods.values():
                if active:
                    used[node] = used.get(node, 0) + n
            cap = ledger.board(U250)
            assert cap.in_use == sum(used.values())
            assert cap.largest_free_on_one_node == max(
                nodes[name] - used.get(name, 0) for name in nodes
            )


def test_facts_from_raw_objects():
    node = {
        "metadata": {"name": "n1", "labels": {"a": "b"}},
        "spec": {"unschedulable": True},
        "status": {"allocatable": {U250: "2"}},
    }
    assert node_facts(node, frozenset([U250])) == ("n1", {U250: 2}, {"a": "b"}, False)
    pod = {
        "metadata": {"uid": "u1"},
        "spec": {
            "nodeName": "n1",
            "containers": [{"resources": {"limits": {U250: "2", "cpu": "1"}}}],
        },
        "status": {"phase": "Running"},
    }
    assert pod_facts(pod, frozenset([U250])) == ("u1", "n1", {U250: 2}, True)


def test_progress_explains_scheduler_and_autoscaler():
    ledger = ledger_with_onprem()
    ledger.set_pod("busy", "onprem-1", {U250: "1"}, active=True)
    placement = place_board(CATALOG, "u250", 1, capacity=ledger)
    scheduler = "0/3 nodes are available: 1 Insufficient " + U250 + "."
    text = explain_event(
        {"reason": "FailedScheduling", "message": scheduler}, placement, ledger.board(U250)
    )
    assert text == f"0 of 1 U250 free: held by another server. The scheduler says: {scheduler}"
    timed = explain_event(
        {"reason": "FailedScheduling", "message": scheduler}, placement, ledger.board(U250), 120
    )
    assert timed.startswith(
        "0 of 1 U250 free: held by another server; this request waits up to 120 s."
    )
    scale = explain_event(
        {"reason": "TriggeredScaleUp", "message": "pod triggered scale-up"}, placement, None
    )
    assert "Scale-up triggered" in scale


# -- the watch over a real API server's objects -------------------------------------


def node(name, boards, **extra):
    return {"metadata": {"name": name, "labels": {}}, "status": {"allocatable": {U250: boards}}}


def pod(uid, node_name, request, namespace="jhub", **spec):
    container = {"name": "c", "resources": {"limits": {U250: request}, "requests": {U250: request}}}
    return {
        "metadata": {"uid": uid, "name": f"pod-{uid}", "namespace": namespace},
        "spec": {"nodeName": node_name, "containers": [container], **spec},
        "status": {"phase": "Running"},
    }


class Response:
    """What kubernetes_asyncio returns with _preload_content=False: read() or stream lines."""

    def __init__(self, body=None, lines=()):
        self.body, self.lines = body, list(lines)

    async def read(self):
        return json.dumps(self.body).encode()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False

    @property
    def content(self):
        async def lines():
            for line in self.lines:
                yield line if isinstance(line, bytes) else json.dumps(line).encode() + b"\n"
            await asyncio.sleep(3600)  # a watch stays open until its timeout

        return lines()


class FakeApi:
    """list_node / list_pod_for_all_namespaces as the capacity watch calls them."""

    def __init__(self, nodes, pods, node_events=(), pod_events=()):
        self.lists = {"nodes": nodes, "pods": pods}
        self.events = {"nodes": list(node_events), "pods": list(pod_events)}
        self.calls: list[tuple[str, bool]] = []

    def _answer(self, kind, params):
        self.calls.append((kind, bool(params.get("watch"))))
        if params.get("watch"):
            events, self.events[kind] = self.events[kind], []
            return Response(lines=events)
        return Response({"metadata": {"resourceVersion": "1"}, "items": self.lists[kind]})

    async def list_node(self, _preload_content=False, **params):
        return self._answer("nodes", params)

    async def list_pod_for_all_namespaces(self, _preload_content=False, **params):
        return self._answer("pods", params)


@pytest.mark.parametrize(
    ("allocatable", "boards"),
    [("1k", 1000), ("2Ki", 2048), ("1e3", 1000), ("4", 4), ("1E", 10**18)],
)
def test_quantities_the_api_server_writes(allocatable, boards):
    assert node_facts(node("n", allocatable), frozenset([U250]))[1] == {U250: boards}


async def test_watch_reads_1k_and_survives_any_pod(log_capture):
    """A pod requesting `1k` boards is counted; unusable pods anywhere are logged and skipped."""
    hostile = [
        pod("bad-quantity", "big", "lots", namespace="batch"),
        {"metadata": {"name": "no-uid"}, "spec": {"containers": "not a list"}},
        pod("weird-spec", "big", "1", namespace="other", initContainers=[None, {"resources": 7}]),
        "not even an object",
        {"metadata": {"uid": "x"}, "spec": {"containers": [{"resources": {"limits": [1]}}]}},
    ]
    api = FakeApi(
        nodes=[node("big", "2k"), node("odd", "500m"), {"metadata": {}}],
        pods=[pod("thousand", "big", "1k"), *hostile],
        pod_events=[
            b"not json\n",
            {"type": "ADDED", "object": pod("later", "big", "1e2")},
            {"type": "MODIFIED", "object": {"metadata": {"uid": 5}}},
            {"type": "SURPRISE", "object": {}},
            {"type": "ADDED", "object": pod("more", "big", "2Ki", namespace="kube-system")},
        ],
    )
    ledger = CapacityLedger.for_catalog(CATALOG)
    watch = CapacityWatch(api, ledger, watch_timeout=1)
    await watch.start()
    assert watch.ready.is_set()
    for _ in range(100):
        if ledger.pod_count == 4:
            break
        await asyncio.sleep(0.01)
    cap = ledger.board(U250)
    # 2000 + 1 (500m rounds up, as the scheduler's Quantity.Value() does)
    assert cap.total == 2001
    assert cap.in_use == 1000 + 1 + 100 + 2048
    assert ("pods", True) in api.calls  # still watching
    assert "lots" in log_capture.text and "not counted" in log_capture.text
    await watch.stop()


def test_pod_request_counts_init_containers_like_the_scheduler():
    spec = {"initContainers": [{"resources": {"limits": {U250: "3"}}}]}
    uid, node_name, requests, active = pod_facts(pod("u", "n", "1", **spec), frozenset([U250]))
    assert requests == {U250: 3}


def _user_pod(uid: str, user: str, server: str, boards: str, phase: str = "Running") -> dict:
    return {
        "metadata": {
            "uid": uid,
            "name": f"jupyter-{user}-{server}",
            "namespace": "hub",
            "creationTimestamp": f"2026-11-30T20:0{uid}:00Z",
            "annotations": {
                "hub.jupyter.org/username": user,
                "hub.jupyter.org/servername": server,
            },
        },
        "spec": {
            "nodeName": "n1",
            "containers": [{"resources": {"limits": {"xilinx.com/fpga-u250": boards}}}],
        },
        "status": {"phase": phase},
    }


def test_holders_and_what_each_user_holds_over_named_servers():
    ledger = CapacityLedger({"u250": "xilinx.com/fpga-u250"})
    ledger.set_node("n1", {"xilinx.com/fpga-u250": "4"}, {})
    watch = CapacityWatch(None, ledger)
    for pod in (_user_pod("1", "ann", "", "1"), _user_pod("2", "ann", "big", "2")):
        watch._feed("pods", "ADDED", pod)
    watch._feed("pods", "ADDED", _user_pod("3", "bob", "", "1"))
    assert ledger.held_by("ann") == {"xilinx.com/fpga-u250": 3}
    assert [(h.user, h.server, h.count) for h in ledger.holders("xilinx.com/fpga-u250")] == [
        ("ann", "", 1),
        ("ann", "big", 2),
        ("bob", "", 1),
    ]
    assert ledger.holders()[0].pod == "hub/jupyter-ann-"
    assert ledger.holders()[0].since > 0
    # a finished pod holds nothing, for the user as for the cluster
    watch._feed("pods", "MODIFIED", _user_pod("2", "ann", "big", "2", phase="Succeeded"))
    assert ledger.held_by("ann") == {"xilinx.com/fpga-u250": 1}
    watch._feed("pods", "DELETED", _user_pod("1", "ann", "", "1"))
    assert ledger.held_by("ann") == {}
    assert ledger.board("xilinx.com/fpga-u250").in_use == 1
