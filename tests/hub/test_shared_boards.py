"""Shared boards (catalog ``slots_per_board``): validation, counts and texts, without a cluster."""

from __future__ import annotations

import pytest

from fpga_spawner.capacity import CapacityLedger
from fpga_spawner.catalog import CatalogError, parse_catalog
from fpga_spawner.placement import PlacementError, place_accelerator, place_board
from fpga_spawner.pod_patch import build_pod_patch
from fpga_spawner.profiles import board_profile
from fpga_spawner.progress import capacity_summary, explain_event, start_message
from jupyter_ext.contract import ENV_SLOTS_PER_BOARD, FPGARequest

U55C = "amd.com/xilinx_u55c_gen3x16_xdma_base_3-0"
U250 = "amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0"
SHARED = {
    "slug": "u55c",
    "display_name": "AMD Alveo U55C",
    "plugin": "amd",
    "resource": U55C,
    "slots_per_board": 4,
}
CATALOG = parse_catalog(
    boards=[SHARED, {"slug": "u250", "plugin": "amd", "resource": U250, "max_per_user": 2}],
    accelerators=[{"name": "vision.stereo_bm", "boards": {"u55c": 2}}],
)
CLOUD = parse_catalog(
    boards=[{**SHARED, "location": "cloud", "node_group": "u55c-cloud"}],
    node_groups=[{"name": "u55c-cloud", "board": "u55c", "boards_per_node": 2, "max_nodes": 3}],
)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"slots_per_board": 0}, ["'u55c'", "slots_per_board=0", "between 1 and 256"]),
        ({"slots_per_board": 257}, ["'u55c'", "slots_per_board=257", "between 1 and 256"]),
        ({"slots_per_board": "4"}, ["'u55c'", "slots_per_board='4' must be a int"]),
        (
            {
                "plugin": "intel",
                "resource": "fpga.intel.com/af-695.d84.aVKNtusxV3qMNmj5-qCB9thCTcSko8QT-J5DNoP5BAs",
            },
            [
                "'u55c'",
                "slots_per_board=4",
                "plugin 'intel' gives whole boards",
                "amd (",
                "VirtualNum",
            ],
        ),
        ({"max_per_user": 2}, ["'u55c'", "max_per_user=2", "one slot", "set max_per_user to 1"]),
    ],
)
def test_bad_slots_are_refused_at_start_up_naming_the_entry(change, expected):
    with pytest.raises(CatalogError) as info:
        parse_catalog(boards=[{**SHARED, **change}])
    message = str(info.value)
    assert message.startswith("FPGASpawner.boards: entry #0")
    for part in expected:
        assert part in message, message


def test_one_resource_cannot_be_split_two_ways():
    with pytest.raises(CatalogError, match=r"'u55c-2'.*slots_per_board=2 but 'u55c' offers"):
        parse_catalog(boards=[SHARED, {**SHARED, "slug": "u55c-2", "slots_per_board": 2}])


def test_whole_boards_stay_whole():
    board = CATALOG.board("u250")
    assert board.slots_per_board == 1 and not board.shared
    patch = build_pod_patch(place_board(CATALOG, "u250", 2), CATALOG)
    assert ENV_SLOTS_PER_BOARD not in {e["name"] for e in patch.env}


def test_ledger_counts_slots_and_boards():
    ledger = CapacityLedger.for_catalog(CATALOG)
    ledger.set_node("shared-1", {U55C: "4", U250: "1"}, {})
    assert capacity_summary(ledger.board(U55C)) == "4 of 4 slots free on 1 board"
    ledger.set_pod("a", "shared-1", {U55C: "1"}, active=True)
    assert capacity_summary(ledger.board(U55C)) == "3 of 4 slots free on 1 board"
    assert capacity_summary(ledger.board(U250)) == "1 of 1 free"  # whole boards unchanged
    ledger.set_node("shared-2", {U55C: "4"}, {})
    for uid in "bcd":
        ledger.set_pod(uid, "shared-1", {U55C: "1"}, active=True)
    cap = ledger.board(U55C)
    assert (cap.total, cap.in_use, cap.free, cap.boards) == (8, 4, 4, 2)
    assert capacity_summary(cap) == "4 of 8 slots free on 2 boards"
    assert ledger.fits_now(U55C, 1)
    assert cap.largest_free_on_one_node == 4
    ledger.delete_node("shared-2")
    assert not ledger.fits_now(U55C, 1)


def test_burst_from_a_node_group_is_counted_in_slots():
    ledger = CapacityLedger.for_catalog(CLOUD)
    cap = ledger.board(U55C)
    # 3 nodes of 2 boards of 4 slots; a new node brings 8 slots
    assert (cap.burst, cap.burst_per_node) == (24, 8)
    assert capacity_summary(cap) == "0 of 0 slots free on 0 boards, can burst to 24 more slots"
    assert ledger.fits_after_scale_up(U55C, 1) and ledger.could_ever_fit(U55C, 1)


def test_a_server_holds_one_slot():
    placement = place_board(CATALOG, "u55c", 1)
    assert placement.count == 1 and "1 slot of 4" in placement.reason
    with pytest.raises(
        PlacementError, match="shared board .4 slots per board. and a server holds one slot"
    ):
        place_board(CATALOG, "u55c", 2)
    # an accelerator on a shared board fits its replicas into the one slot
    assert place_accelerator(CATALOG, "vision.stereo_bm", 2).count == 1
    with pytest.raises(PlacementError):
        place_accelerator(CATALOG, "vision.stereo_bm", 3)


def test_the_form_offers_one_slot_and_says_the_board_is_shared():
    profile = board_profile(CATALOG.board("u55c"), "AMD Alveo U55C: 3 of 4 slots free on 1 board")
    option = profile["profile_options"]["count"]
    assert option["display_name"] == "Slots"
    assert list(option["choices"]) == ["1"]
    assert option["choices"]["1"]["display_name"] == "1 slot of 4 on one AMD Alveo U55C"
    assert option["choices"]["1"]["kubespawner_override"] == {"fpga_count": 1}
    assert "Shared board: 4 slots per board, one per server" in profile["description"]
    assert profile["description"].endswith("3 of 4 slots free on 1 board")


def test_the_pod_is_told_the_board_is_shared():
    patch = build_pod_patch(place_board(CATALOG, "u55c", 1), CATALOG)
    assert patch.resources == {U55C: "1"}
    env = {e["name"]: e.get("value") for e in patch.env}
    assert env[ENV_SLOTS_PER_BOARD] == "4"
    request = FPGARequest.from_env(env)
    assert request is not None and request.slots_per_board == 4 and request.shared
    assert FPGARequest.from_env({**env, ENV_SLOTS_PER_BOARD: "lots"}).slots_per_board == 1
    assert FPGARequest.from_env({**env, ENV_SLOTS_PER_BOARD: "0"}).slots_per_board == 1


def test_progress_says_how_many_slots_are_free():
    ledger = CapacityLedger.for_catalog(CATALOG)
    ledger.set_node("shared-1", {U55C: "4"}, {})
    placement = place_board(CATALOG, "u55c", 1)
    assert start_message(placement, ledger.board(U55C)) == (
        "Requesting 1 slot of a shared AMD Alveo U55C (4 slots per board) "
        "(4 of 4 slots free on 1 board)."
    )
    for uid in "abcd":
        ledger.set_pod(uid, "shared-1", {U55C: "1"}, active=True)
    event = {"reason": "FailedScheduling", "message": "0/1 nodes are available: ..."}
    text = explain_event(event, placement, ledger.board(U55C), 30)
    assert text == (
        "0 of 4 slots free on 1 AMD Alveo U55C: 4 held by other servers; this request waits "
        "up to 30 s. The scheduler says: 0/1 nodes are available: ..."
    )
