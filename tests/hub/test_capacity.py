"""Capacity accounting and accelerator placement, without a cluster."""

from __future__ import annotations

import random

from fpga_spawner.capacity import CapacityLedger
from fpga_spawner.capacity_watch import node_facts, pod_facts
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
    assert node_facts(node) == ("n1", {U250: "2"}, {"a": "b"}, False)
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
    assert text == f"Waiting for 1 x U250: 0 of 1 free. The scheduler says: {scheduler}"
    scale = explain_event(
        {"reason": "TriggeredScaleUp", "message": "pod triggered scale-up"}, placement, None
    )
    assert "Scale-up triggered" in scale
