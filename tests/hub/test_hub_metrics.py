"""The FPGA metrics in a Prometheus registry, read back with prometheus_client's parser."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from fpga_spawner.capacity import CapacityLedger, PodOwner
from fpga_spawner.catalog import parse_catalog
from fpga_spawner.hub_events import HubEvents
from fpga_spawner.hub_metrics import HubMetrics, node_group_of
from fpga_spawner.hub_view import LiveCatalog
from fpga_spawner.placement import Placement, place_accelerator, placement_kind
from tests.support.catalogs import F2, F2_INSTANCE, U55C, U250, onprem_and_cloud

CATALOG = parse_catalog(**onprem_and_cloud(u250={"max_per_user": 2}, node_labels=F2_INSTANCE))


class Ready:
    """A capacity watch that has listed the cluster."""

    def __init__(self, ledger: CapacityLedger):
        self.ledger = ledger
        self.is_ready = True


def cluster() -> CapacityLedger:
    ledger = CapacityLedger.for_catalog(CATALOG)
    ledger.set_node("onprem-1", {U250: "2"}, {})
    ledger.set_node("f2-a", {F2: "2"}, {"node.kubernetes.io/instance-type": "f2.12xlarge"})
    ledger.set_pod("p1", "onprem-1", {U250: "1"}, True, PodOwner("jhub/jupyter-alice", "alice"))
    ledger.set_pod("p2", "f2-a", {F2: "2"}, True, PodOwner("jhub/jupyter-carol", "carol"))
    return ledger


@pytest.fixture
def metrics():
    registry, events, ledger = CollectorRegistry(), HubEvents(), cluster()
    hub = HubMetrics(registry, events, live=lambda: [LiveCatalog(CATALOG, Ready(ledger))])
    yield hub, registry, events, ledger
    hub.close()


def samples(registry) -> dict[tuple, float]:
    """(sample name, sorted labels) -> value, from the text Prometheus would scrape."""
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(registry, name: str, **labels: str) -> float:
    return samples(registry)[(name, tuple(sorted(labels.items())))]


def test_every_label_value_exists_before_anything_happens(metrics):
    _, registry, _, _ = metrics
    seen = samples(registry)
    for board in ("u250", "f2"):
        assert seen[("jupyterhub_fpga_board_seconds_total", (("board", board),))] == 0
        for placement in ("on-premises", "cloud", "burst"):
            labels = (("board", board), ("placement", placement))
            assert seen[("jupyterhub_fpga_spawn_wait_seconds_count", labels)] == 0
    assert seen[("jupyterhub_fpga_bursts_total", (("node_group", "f2-cloud"),))] == 0
    for reason in ("options", "placement", "quota", "timeout"):
        assert seen[("jupyterhub_fpga_refusals_total", (("reason", reason),))] == 0
    for reason in ("idle", "max-age"):
        assert seen[("jupyterhub_fpga_reclaims_total", (("reason", reason),))] == 0


def test_boards_gauge_is_read_from_the_ledger_at_scrape_time(metrics):
    _, registry, _, ledger = metrics
    assert value(registry, "jupyterhub_fpga_boards", board="u250", state="in_use") == 1
    assert value(registry, "jupyterhub_fpga_boards", board="u250", state="free") == 1
    assert value(registry, "jupyterhub_fpga_boards", board="f2", state="in_use") == 2
    # one of three F2 nodes exists: the group can add two more, 2 boards each
    assert value(registry, "jupyterhub_fpga_boards", board="f2", state="burstable") == 4
    assert value(registry, "jupyterhub_fpga_slots_per_board", board="u250") == 1

    ledger.delete_pod("p1")  # the next scrape sees it, no event needed
    assert value(registry, "jupyterhub_fpga_boards", board="u250", state="in_use") == 0
    assert value(registry, "jupyterhub_fpga_boards", board="u250", state="free") == 2


def test_a_shared_board_counts_slots_and_says_how_many_per_board():
    registry = CollectorRegistry()
    catalog = parse_catalog(
        boards=[{"slug": "u55c", "plugin": "amd", "resource": U55C, "slots_per_board": 4}]
    )
    ledger = CapacityLedger.for_catalog(catalog)
    ledger.set_node("shared-1", {U55C: "4"}, {})
    ledger.set_pod("p1", "shared-1", {U55C: "1"}, True, PodOwner("jhub/jupyter-alice", "alice"))
    hub = HubMetrics(registry, HubEvents(), live=lambda: [LiveCatalog(catalog, Ready(ledger))])
    try:
        assert value(registry, "jupyterhub_fpga_boards", board="u55c", state="free") == 3
        assert value(registry, "jupyterhub_fpga_slots_per_board", board="u55c") == 4
    finally:
        hub.close()


def test_boards_of_a_cluster_not_listed_yet_are_left_out():
    registry = CollectorRegistry()
    watch = Ready(cluster())
    watch.is_ready = False
    hub = HubMetrics(registry, HubEvents(), live=lambda: [LiveCatalog(CATALOG, watch)])
    try:
        assert not [k for k in samples(registry) if k[0] == "jupyterhub_fpga_boards"]
    finally:
        hub.close()


def test_events_move_the_counters(metrics):
    _, registry, events, _ = metrics
    events.record("spawn", board="u250", user="alice", seconds=3.2, placement="on-premises")
    events.record("spawn", board="f2", user="carol", seconds=75.0, placement="burst")
    events.record("burst", board="f2", user="carol", node_group="f2-cloud")
    events.record("refusal", user="dave", reason="placement")
    events.record("refusal", user="erin", reason="timeout")
    events.record("refusal", user="zed", reason="something new")
    events.record("stop", board="u250", user="alice", board_seconds=120.5)
    events.record("reclaim", board="u250", user="alice", reason="idle")

    wait = {"board": "f2", "placement": "burst"}
    assert value(registry, "jupyterhub_fpga_spawn_wait_seconds_count", **wait) == 1
    assert value(registry, "jupyterhub_fpga_spawn_wait_seconds_sum", **wait) == 75.0
    assert value(registry, "jupyterhub_fpga_spawn_wait_seconds_bucket", le="60.0", **wait) == 0
    assert value(registry, "jupyterhub_fpga_spawn_wait_seconds_bucket", le="120.0", **wait) == 1
    onprem = {"board": "u250", "placement": "on-premises"}
    assert value(registry, "jupyterhub_fpga_spawn_wait_seconds_count", **onprem) == 1
    assert value(registry, "jupyterhub_fpga_bursts_total", node_group="f2-cloud") == 1
    assert value(registry, "jupyterhub_fpga_refusals_total", reason="placement") == 1
    assert value(registry, "jupyterhub_fpga_refusals_total", reason="timeout") == 1
    assert value(registry, "jupyterhub_fpga_refusals_total", reason="other") == 1
    assert value(registry, "jupyterhub_fpga_board_seconds_total", board="u250") == 120.5
    assert value(registry, "jupyterhub_fpga_reclaims_total", reason="idle") == 1


def test_no_user_and_no_unknown_value_becomes_a_label(metrics):
    _, registry, events, _ = metrics
    events.record("spawn", board="x" * 300, user="alice", seconds=1, placement="on-premises")
    events.record("spawn", board="u250", user="alice", seconds=1, placement="moon")
    events.record("spawn", board="u250", user="alice", seconds="soon", placement="cloud")
    events.record("burst", board="f2", user="alice", node_group="unknown-group")
    events.record("stop", board="u250", user="alice", board_seconds=-5)
    text = generate_latest(registry).decode()
    assert "alice" not in text and "moon" not in text and "unknown-group" not in text
    assert "x" * 300 not in text
    assert value(registry, "jupyterhub_fpga_board_seconds_total", board="u250") == 0
    assert (
        value(
            registry,
            "jupyterhub_fpga_spawn_wait_seconds_count",
            **{"board": "u250", "placement": "cloud"},
        )
        == 0
    )


def test_close_leaves_the_registry_and_the_log():
    registry, events = CollectorRegistry(), HubEvents()
    hub = HubMetrics(registry, events, live=lambda: [])
    hub.prepare(CATALOG)
    hub.close()
    events.record("refusal", reason="options")
    assert not [k for k in samples(registry) if "fpga" in k[0]]
    again = HubMetrics(registry, events, live=lambda: [])  # no "Duplicated timeseries"
    again.close()


def test_placement_kind_tells_a_burst_from_a_cloud_board_that_fits():
    ledger = CapacityLedger.for_catalog(CATALOG)
    ledger.set_node("onprem-1", {U250: "1"}, {})
    ledger.set_pod("busy", "onprem-1", {U250: "1"}, True)
    burst = place_accelerator(CATALOG, "vision.stereo_bm", 4, capacity=ledger)
    assert burst.board.slug == "f2"
    assert placement_kind(burst, ledger) == "burst"
    ledger.set_node("f2-a", {F2: "2"}, {"node.kubernetes.io/instance-type": "f2.12xlarge"})
    assert placement_kind(burst, ledger) == "cloud"
    onprem = Placement(CATALOG.board("u250"), 1)
    assert placement_kind(onprem, ledger) == "on-premises"
    assert placement_kind(burst, None) == "cloud"
    assert node_group_of(CATALOG, CATALOG.board("f2")) == "f2-cloud"
    assert node_group_of(CATALOG, CATALOG.board("u250")) == ""
