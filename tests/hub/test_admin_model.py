"""The admin page's data, and the events the spawner records for it and the metrics."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from fpga_spawner.admin_model import RECENT_LIMIT, admin_view, iso
from fpga_spawner.capacity import CapacityLedger, PodOwner
from fpga_spawner.capacity_watch import CapacityWatch
from fpga_spawner.hub_events import HUB_EVENTS, HubEvents
from fpga_spawner.refusals import UserOptionsRefused
from fpga_spawner.render import make_spawner
from tests.hub.test_hub_metrics import CATALOG
from tests.support.catalogs import U250, onprem_and_cloud
from tests.support.spawner import catalog_config

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc).timestamp()


@dataclass(frozen=True)
class Waiter:  # the shape of fpga_spawner.waitline.Waiter
    user: str
    server: str
    since: datetime
    count: int


def cluster() -> CapacityLedger:
    ledger = CapacityLedger.for_catalog(CATALOG)
    ledger.set_node("onprem-1", {U250: "2"}, {})
    ledger.set_pod(
        "p1", "onprem-1", {U250: "1"}, True, PodOwner("jhub/jupyter-alice", "alice", "", T0)
    )
    ledger.set_pod(
        "p2", "onprem-1", {U250: "1"}, True, PodOwner("jhub/jupyter-bob-x", "bob", "x", T0 + 60)
    )
    ledger.set_pod("p3", "onprem-1", {"cpu": "1"}, True, PodOwner("jhub/cpu-only", "zoe"))
    return ledger


def boards(ledger):
    return [(board, ledger) for board in CATALOG.boards]


def test_holders_per_board_with_their_last_activity():
    activity = {("alice", ""): datetime(2026, 12, 1, 3, 30, tzinfo=timezone.utc)}
    view = admin_view(
        boards(cluster()),
        [],
        waiting={},
        last_activity=lambda user, server: activity.get((user, server)),
        now=T0 + 3600,
    )
    u250, f2 = view["boards"]
    assert (u250["slug"], u250["display_name"], f2["location"]) == ("u250", "U250", "cloud")
    assert u250["capacity"] == {"total": 2, "in_use": 2, "free": 0, "burstable": 0}
    assert [(h["user"], h["server"], h["since"], h["last_activity"]) for h in u250["holders"]] == [
        ("alice", "", "2026-12-01T03:00:00Z", "2026-12-01T03:30:00Z"),
        ("bob", "x", "2026-12-01T03:01:00Z", None),
    ]
    assert u250["holders"][1]["pod"] == "jhub/jupyter-bob-x"
    assert f2["holders"] == [] and f2["capacity"]["burstable"] == 6
    assert view["generated"] == "2026-12-01T04:00:00Z"
    assert view["sources"] == {"waiting": True, "last_activity": True}


def test_the_wait_line_and_missing_sources():
    since = datetime(2026, 12, 1, 3, 5, tzinfo=timezone.utc)
    view = admin_view(boards(cluster()), [], waiting={"u250": [Waiter("carol", "", since, 1)]})
    assert view["boards"][0]["waiting"] == [
        {"user": "carol", "server": "", "since": "2026-12-01T03:05:00Z", "count": 1}
    ]
    assert view["boards"][0]["holders"][0]["last_activity"] is None
    assert view["sources"] == {"waiting": True, "last_activity": False}
    unknown = admin_view([(CATALOG.boards[0], None)], [])
    assert unknown["boards"][0]["capacity"] is None and unknown["boards"][0]["holders"] == []
    assert unknown["sources"]["waiting"] is False


def test_recent_bursts_refusals_and_reclaims_newest_first_and_bounded():
    events = HubEvents()
    for i in range(RECENT_LIMIT + 5):
        events.record("refusal", user=f"u{i}", reason="quota", message="you hold 1 of 1", at=T0 + i)
    events.record("burst", board="f2", user="carol", node_group="f2-cloud", at=T0)
    events.record("reclaim", board="u250", user="alice", reason="idle", at=T0)
    events.record("spawn", board="u250", user="alice", seconds=1, placement="on-premises")
    view = admin_view([], events.recent(limit=1000))
    refusals = view["recent"]["refusals"]
    assert len(refusals) == RECENT_LIMIT and refusals[0]["user"] == f"u{RECENT_LIMIT + 4}"
    assert refusals[0]["message"] == "you hold 1 of 1"
    assert view["recent"]["bursts"] == [
        {
            "at": iso(T0),
            "board": "f2",
            "user": "carol",
            "server": "",
            "reason": "",
            "message": "",
            "node_group": "f2-cloud",
        }
    ]
    assert view["recent"]["reclaims"][0]["reason"] == "idle"


def test_iso_is_utc_and_unknown_is_none():
    assert iso(0) is None and iso(None) is None
    assert iso(datetime(2026, 12, 1, 5, 0)) == "2026-12-01T05:00:00Z"  # naive: taken as UTC


# -- the spawner records what it causes -------------------------------------------


@pytest.fixture
def recorded():
    HUB_EVENTS.clear()
    yield HUB_EVENTS
    HUB_EVENTS.clear()


def demo_like_config():
    return catalog_config(**onprem_and_cloud())


async def test_refused_options_and_placements_are_recorded(recorded):
    spawner = make_spawner(demo_like_config(), "dave")
    spawner.user_options = {"profile": "nope"}
    with pytest.raises(UserOptionsRefused):
        await spawner.load_user_options()
    # a cluster with no U250 at all: the request could never start
    watch = CapacityWatch(None, CapacityLedger.for_catalog(spawner.catalog))
    watch.ready.set()
    spawner._capacity = watch
    spawner.user_options = {"profile": "u250"}
    with pytest.raises(UserOptionsRefused) as refused:
        await spawner.load_user_options()
    options, placement = reversed(recorded.recent())
    assert (options.kind, options.user, options.reason) == ("refusal", "dave", "options")
    assert "nope" in options.message
    assert (placement.kind, placement.board, placement.reason) == ("refusal", "u250", "placement")
    assert placement.message == str(refused.value)


async def test_a_burst_is_recorded_with_its_node_group(recorded):
    spawner = make_spawner(demo_like_config(), "carol")
    ledger = CapacityLedger.for_catalog(spawner.catalog)
    ledger.set_node("onprem-1", {U250: "1"}, {})
    ledger.set_pod("busy", "onprem-1", {U250: "1"}, True)
    watch = CapacityWatch(None, ledger)
    watch.ready.set()
    spawner._capacity = watch
    spawner.user_options = {"profile": "accel-vision-stereo-bm", "replicas": "4"}
    await spawner.load_user_options()
    assert spawner.fpga_placement.board.slug == "f2"
    (burst,) = recorded.recent("burst")
    assert (burst.user, burst.board, burst.detail["node_group"]) == ("carol", "f2", "f2-cloud")
    await asyncio.sleep(0)


def test_admin_handlers_take_functions_or_none():
    from fpga_spawner import reclaim, waitline
    from fpga_spawner.admin_page import admin_handlers

    paths = [h[0] for h in admin_handlers()]
    assert paths == [r"/fpga/admin/?", r"/fpga/admin/data"]
    assert admin_handlers(waiting=dict, last_activity=lambda u, s: None)[1][2]["waiting"] is dict
    defaults = admin_handlers()[0][2]
    assert defaults["waiting"] is waitline.snapshot
    assert defaults["last_activity"] is reclaim.last_activity
    assert admin_handlers(waiting=None)[0][2]["waiting"] is None
    with pytest.raises(ValueError, match=r"admin_handlers\(waiting=...\) must be a function"):
        admin_handlers(waiting={"u250": []})
    with pytest.raises(ValueError, match="fpga_spawner.reclaim.last_activity"):
        admin_handlers(last_activity="reclaim")
