"""The hub's wait line: first to wait is first placed, and nobody overtakes."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from fpga_spawner.capacity import CapacityLedger, PodOwner
from fpga_spawner.catalog import parse_catalog
from fpga_spawner.hub_events import HUB_EVENTS
from fpga_spawner.placement import Placement
from fpga_spawner.progress import line_message
from fpga_spawner.refusals import LineTimedOut
from fpga_spawner.render import make_spawner
from fpga_spawner.waitline import WAIT_LINE, Waiter, WaitLine, admissions, ordinal
from tests.support.catalogs import F2, U250, onprem_and_cloud
from tests.support.spawner import catalog_config

CATALOG = parse_catalog(
    **onprem_and_cloud(u250={"display_name": "AMD Alveo U250"}, max_nodes=1, accelerators=False)
)


def cluster(u250_boards: int) -> CapacityLedger:
    ledger = CapacityLedger.for_catalog(CATALOG)
    ledger.set_node("onprem", {U250: str(u250_boards)}, {})
    return ledger


def bind(ledger: CapacityLedger, user: str, resource: str = U250, count: int = 1) -> None:
    ledger.set_pod(
        f"uid-{user}",
        "onprem",
        {resource: str(count)},
        True,
        PodOwner(f"jhub/jupyter-{user}", user, "", 0.0),
    )


def join(line: WaitLine, ledger, user: str, count: int = 1, board="u250", resource=U250):
    return line.join(board, resource, user, "", count, f"jhub/jupyter-{user}", ledger)


def test_front_always_goes_and_the_rest_wait_their_turn():
    ledger = cluster(4)
    for user in "abcd":
        bind(ledger, user)  # 4 of 4 in use
    line = WaitLine()
    bob, carol, dave = (join(line, ledger, u) for u in ("bob", "carol", "dave"))
    assert [line.place(t) for t in (bob, carol, dave)] == [1, 2, 3]
    # the front's pod goes to the scheduler (which says why it waits); the rest stay here
    assert (bob.admitted, carol.admitted, dave.admitted) == (True, False, False)
    assert [w.user for w in line.snapshot()["u250"]] == ["bob", "carol", "dave"]

    ledger.delete_pod("uid-a")  # a board frees: still bob's, no one else may go
    line.refresh(ledger)
    assert not carol.admitted
    bind(ledger, "bob")  # the scheduler gave it to bob: he leaves, carol moves up
    line.refresh(ledger)
    assert (line.place(bob), line.place(carol), line.place(dave)) == (0, 1, 2)
    assert carol.admitted and not dave.admitted

    line.leave(carol, ledger)  # carol gave up (timeout, or she stopped it)
    assert line.place(dave) == 1 and dave.admitted


def test_a_newer_request_never_overtakes_even_a_smaller_one():
    ledger = cluster(4)
    for user in "abc":
        bind(ledger, user)
    line = WaitLine()
    big = join(line, ledger, "big", count=2)  # the front: admitted, waits at the scheduler
    bigger = join(line, ledger, "bigger", count=2)
    small = join(line, ledger, "small", count=1)
    assert big.admitted and not bigger.admitted
    ledger.delete_pod("uid-a")  # 2 free: reserved for big
    line.refresh(ledger)
    assert not bigger.admitted and not small.admitted  # one free board would fit "small"
    bind(ledger, "big", count=2)
    ledger.delete_pod("uid-b")
    ledger.delete_pod("uid-c")
    line.refresh(ledger)
    assert bigger.admitted and not small.admitted  # in order: bigger first
    assert line.place(small) == 2


def test_free_boards_let_several_go_at_once_in_order():
    ledger = cluster(3)
    line = WaitLine()
    tickets = [join(line, ledger, u) for u in ("p", "q", "r", "s")]
    # 3 free: the first three are admitted together, the fourth waits
    assert [t.admitted for t in tickets] == [True, True, True, False]
    assert admissions([], 5) == []


def test_cloud_room_counts_and_no_capacity_admits_all():
    ledger = cluster(0)
    line = WaitLine()
    first, second, third = (join(line, ledger, u, board="f2", resource=F2) for u in "xyz")
    # the node group can add one node of 2 boards: two pods can wait for it
    assert [t.admitted for t in (first, second, third)] == [True, True, False]
    blind = WaitLine()
    tickets = [blind.join("u250", U250, u, "", 1, f"jhub/{u}", None) for u in "uvw"]
    assert all(t.admitted for t in tickets)
    held = blind.join("u250", U250, "k", "", 1, "jhub/k", ledger, hold=False)
    assert held.admitted


def test_pending_spawns_of_a_user_and_the_waiter_view():
    ledger = cluster(0)
    line = WaitLine()
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    ticket = line.join("u250", U250, "ann", "gpu", 1, "jhub/jupyter-ann-gpu", ledger, now=at)
    assert line.pending_for("ann") == [ticket]
    assert line.snapshot() == {"u250": [Waiter("ann", "gpu", at, 1)]}
    line.leave(ticket)
    line.leave(ticket)  # twice is harmless
    assert line.pending_for("ann") == [] and line.snapshot() == {}


def test_progress_says_place_in_line_and_boards_in_use():
    ledger = cluster(4)
    for user in "abcd":
        bind(ledger, user)
    placement = Placement(CATALOG.board("u250"), 1)
    assert line_message(2, placement, ledger.board(U250)) == (
        "2nd in line for AMD Alveo U250; 4 of 4 boards in use"
    )
    assert line_message(1, Placement(CATALOG.board("u250"), 2), None) == (
        "1st in line for AMD Alveo U250 (2 wanted)"
    )
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "101st",
    ]


def test_waiting_wakes_at_a_change():
    async def run():
        line = WaitLine()
        ledger = cluster(0)
        waiting = asyncio.ensure_future(line.wait_change(30))
        await asyncio.sleep(0)
        join(line, ledger, "z")
        await asyncio.wait_for(waiting, 1)
        started = asyncio.get_running_loop().time()
        await line.wait_change(0.05)  # nothing changes: returns after the timeout
        assert asyncio.get_running_loop().time() - started >= 0.05

    asyncio.run(run())


def test_a_spawn_behind_the_front_gives_up_after_fpga_wait_timeout():
    async def run():
        ledger = cluster(1)
        bind(ledger, "holder")  # the only U250 is taken
        ready = asyncio.Event()
        ready.set()
        watch = SimpleNamespace(ledger=ledger, ready=ready)
        c = catalog_config(
            boards=[
                {
                    "slug": "u250",
                    "display_name": "AMD Alveo U250",
                    "plugin": "amd",
                    "resource": U250,
                }
            ],
            fpga_wait_timeout=0.3,
        )
        front, behind = make_spawner(c, "ann"), make_spawner(c, "ben")
        for spawner in (front, behind):
            spawner._capacity = watch
            spawner.user_options = {"profile": "u250"}
        await front.load_user_options()  # the front: its pod may be made (and wait there)
        assert front._ticket.admitted
        HUB_EVENTS.clear()
        with pytest.raises(LineTimedOut) as info:
            await behind.load_user_options()
        assert info.value.status_code == 503
        assert str(info.value).startswith("Gave up after waiting 0 s in line for AMD Alveo U250")
        assert "2nd in line for AMD Alveo U250" in str(info.value)
        assert HUB_EVENTS.recent("refusal")[0].reason == "capacity"
        assert [w.user for w in WAIT_LINE.snapshot()["u250"]] == ["ann"]
        front._leave_line()
        assert WAIT_LINE.snapshot() == {}

    asyncio.run(run())
