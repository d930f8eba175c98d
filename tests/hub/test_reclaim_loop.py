"""The reclaimer loop over real HTTP: a stub hub API and stub pods (tests/support/reclaim_stub)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from fpga_spawner.hub_events import HubEvents
from fpga_spawner.reclaim.client import HubClient
from fpga_spawner.reclaim.loop import Reclaimer
from fpga_spawner.reclaim.policy import Limits
from fpga_spawner.reclaim.state import ReclaimState
from tests.support.reclaim_stub import TOKEN, StubHub, iso

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def fpga(started: datetime, last_activity: datetime | None = None, **activity) -> dict:
    """A devices-API answer of an FPGA server whose Jupyter server started at ``started``."""
    return {
        "requested": {"board": "u250"},
        "backend": "emulated",
        "activity": {
            "started": iso(started),
            "last_activity": iso(last_activity) if last_activity else None,
            **activity,
        },
    }


def add(stub: StubHub, user: str, started: datetime, *args, name: str = "", **activity):
    """A running FPGA server; the hub started its spawn 30 s before its Jupyter server ran."""
    devices = fpga(started, *args, **activity)
    return stub.add(user, started - timedelta(seconds=30), devices, name=name)


@pytest.fixture
def stub():
    hub = StubHub().start()
    yield hub
    hub.stop()


def reclaimer(stub: StubHub, limits: Limits, token: str = TOKEN, **kwargs) -> Reclaimer:
    return Reclaimer(
        HubClient(stub.api_url, token),
        limits,
        lambda s: stub.server_url(s.user, s.name),
        state=ReclaimState(),
        events=HubEvents(),
        clock=lambda: NOW,
        **kwargs,
    )


async def test_idle_fpga_servers_stop_busy_and_cpu_servers_stay(stub):
    add(stub, "idle", ago(4000))  # nothing since its start
    add(stub, "active", ago(4000), ago(60))
    add(stub, "running", ago(4000), ago(9000), busy=True)
    stub.add("cpu", ago(10**6), {"requested": None})
    stub.add("plain", ago(10**6), None)  # no devices API at all
    add(stub, "named", ago(4000), ago(3700), name="lab")
    stub.add("spawning", ago(10**6), fpga(ago(10**6)), ready=False)
    r = reclaimer(stub, Limits(idle_timeout=3600, warning=600))

    counts = await r.poll()

    assert sorted(stub.deleted) == [("idle", ""), ("named", "lab")]
    assert counts == {"servers": 6, "fpga": 4, "warned": 0, "stopped": 2}
    (idle, named) = sorted(r.events.recent("reclaim"), key=lambda e: e.user)
    assert (idle.user, idle.server, idle.reason, idle.board) == ("idle", "", "idle", "u250")
    assert "its FPGA was not used for 60 minutes" in idle.message
    assert named.message.startswith("Your FPGA server 'lab' was stopped at 12:00 UTC")
    # what the admin page reads: the running servers' last activity, stopped ones forgotten
    r.state.running = True
    assert r.state.last_activity("active", "") == ago(60)
    assert r.state.last_activity("running", "") == NOW
    assert r.state.last_activity("idle", "") is None
    assert r.state.last_activity("cpu", "") is None


async def test_a_warning_is_recorded_once_and_cleared_by_activity(stub):
    server = add(stub, "ann", ago(3100))
    r = reclaimer(stub, Limits(idle_timeout=3600, warning=600))
    await r.poll()
    await r.poll()
    (warning,) = r.events.recent("warning")
    assert warning.user == "ann" and "stops at 12:08 UTC (in 8 minutes)" in warning.message
    assert r.state.warnings[("ann", "")] == (NOW + timedelta(seconds=500), "idle")
    assert stub.deleted == []

    server.devices = None  # the devices API does not answer for a moment
    await r.poll()
    assert ("ann", "") in r.state.warnings and stub.deleted == []

    server.devices = fpga(ago(3100), ago(5))  # ann ran a kernel
    await r.poll()
    assert r.state.warnings == {}

    del stub.servers[("ann", "")]  # ann stopped it herself
    await r.poll()
    assert r.state.activity == {} and r._warned == set()


async def test_the_pods_own_limits_win_over_the_hub_default(stub):
    add(stub, "short", ago(200), idle_timeout=120, idle_warning=30)
    add(stub, "old", ago(7300), ago(1), max_age=7200)
    add(stub, "default", ago(200))
    r = reclaimer(stub, Limits(idle_timeout=3600))
    await r.poll()
    assert sorted(stub.deleted) == [("old", ""), ("short", "")]
    reasons = {e.user: e.reason for e in r.events.recent("reclaim")}
    assert reasons == {"short": "idle", "old": "max-age"}


async def test_a_stop_the_hub_refuses_is_tried_again(stub):
    add(stub, "ann", ago(4000))
    stub.refuse_delete = True
    r = reclaimer(stub, Limits(idle_timeout=60))
    assert (await r.poll())["stopped"] == 0
    assert r.events.recent("reclaim") == []
    stub.refuse_delete = False
    assert (await r.poll())["stopped"] == 1
    assert stub.deleted == [("ann", "")]


async def test_a_wrong_token_reads_and_stops_nothing(stub):
    add(stub, "ann", ago(4000))
    r = reclaimer(stub, Limits(idle_timeout=60), token="not-the-token")
    with pytest.raises(Exception, match="403"):
        await r.poll()
    assert stub.deleted == []


async def test_many_users_are_read_page_by_page(stub):
    for i in range(450):
        add(stub, f"user{i:03}", ago(4000), ago(10))
    r = reclaimer(stub, Limits(idle_timeout=3600), concurrency=8)
    counts = await r.poll()
    assert counts["servers"] == counts["fpga"] == 450
    assert len(r.state.activity) == 450


async def test_the_clock_starts_when_the_server_could_be_used(stub):
    """A spawn that waited an hour for a board has not been idle for an hour."""
    pod = {"requested": {"board": "u250"}}  # a pod side that does not say when it started
    stub.add("waited", ago(3600), pod)
    clock = [NOW]
    r = Reclaimer(
        HubClient(stub.api_url, TOKEN),
        Limits(idle_timeout=600, warning=60),
        lambda s: stub.server_url(s.user, s.name),
        state=ReclaimState(),
        events=HubEvents(),
        clock=lambda: clock[0],
    )
    await r.poll()
    assert stub.deleted == [] and r.state.warnings == {}
    clock[0] = NOW + timedelta(seconds=560)
    await r.poll()
    assert r.state.warnings[("waited", "")] == (NOW + timedelta(seconds=600), "idle")
    clock[0] = NOW + timedelta(seconds=600)
    await r.poll()
    assert stub.deleted == [("waited", "")]
    # a pod that says when its server started is believed (the hub's start is earlier)
    add(stub, "told", ago(599))
    await r.poll()
    assert stub.deleted[-1] == ("told", "")
