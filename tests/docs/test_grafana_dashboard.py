"""docs/grafana-dashboard.json: valid JSON whose every query reads metrics the hub exports."""

from __future__ import annotations

import json
import re

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from fpga_spawner.hub_events import HubEvents
from fpga_spawner.hub_metrics import HubMetrics
from fpga_spawner.hub_view import LiveCatalog
from tests.hub.test_hub_metrics import CATALOG, Ready, cluster
from tests.support.paths import DOCS

METRIC = re.compile(r"\b(jupyterhub_[a-z0-9_]+)")


def exported_samples() -> set[str]:
    registry = CollectorRegistry()
    metrics = HubMetrics(
        registry, HubEvents(), live=lambda: [LiveCatalog(CATALOG, Ready(cluster()))]
    )
    try:
        text = generate_latest(registry).decode()
    finally:
        metrics.close()
    return {s.name for f in text_string_to_metric_families(text) for s in f.samples}


def queries() -> list[str]:
    dashboard = json.loads((DOCS / "grafana-dashboard.json").read_text())
    return [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]


def test_every_query_names_only_metrics_the_hub_exports():
    exported = exported_samples()
    found = queries()
    assert len(found) >= 8
    for expr in found:
        named = METRIC.findall(expr)
        assert named, f"a query that reads no jupyterhub_ metric: {expr}"
        for name in named:
            assert name in exported, (
                f"{name} (in {expr!r}) is not exported; have {sorted(exported)}"
            )


def test_every_fpga_metric_is_on_the_dashboard():
    shown = {name for expr in queries() for name in METRIC.findall(expr)}
    for name in (
        "jupyterhub_fpga_boards",
        "jupyterhub_fpga_spawn_wait",
        "jupyterhub_fpga_bursts_total",
        "jupyterhub_fpga_refusals_total",
        "jupyterhub_fpga_board_seconds",
        "jupyterhub_fpga_reclaims_total",
    ):
        assert any(s.startswith(name) for s in shown), name
