"""Rendering /hub/metrics with the FPGA metrics, at 2,000 nodes and 20,000 pods.

Prometheus scrapes the hub every 15 to 60 s, and JupyterHub renders the whole
default registry inside its event loop for each scrape: whatever the FPGA
metrics add to a render delays every request the hub serves meanwhile. The
claim: with the FPGA metrics registered, a render stays under 20 ms on a
cluster of 2,000 nodes (three board types) and 20,000 pods (4,000 of them
holding boards), with a full event log (1,000 hub events observed).

In one process we time ``generate_latest(REGISTRY)``, the call JupyterHub's
``MetricsHandler`` makes, alternating run by run (medians of 200 each):

- baseline: the registry with JupyterHub's own metrics only;
- ours: the same registry with the FPGA metrics installed;
- for scale, what the boards gauge would cost if it recounted the pods at
  each scrape instead of reading the ledger's running totals.

Last line: one JSON object.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import jupyterhub.metrics  # noqa: E402, F401 - registers JupyterHub's own metrics
from prometheus_client import REGISTRY, generate_latest  # noqa: E402

from fpga_spawner import hub_view  # noqa: E402
from fpga_spawner.capacity import CapacityLedger, PodOwner  # noqa: E402
from fpga_spawner.catalog import parse_catalog  # noqa: E402
from fpga_spawner.hub_events import HUB_EVENTS  # noqa: E402
from fpga_spawner.hub_metrics import install  # noqa: E402
from tests.support.catalogs import F2, F2_INSTANCE, U250, U280, onprem_and_cloud  # noqa: E402

NODES, PODS, FPGA_PODS, EVENTS, RUNS = 2000, 20_000, 4000, 1000, 200
LIMIT_MS = 20.0
RESOURCES = (U250, U280, F2)
CATALOG = parse_catalog(
    **onprem_and_cloud(
        more_boards=({"slug": "u280", "plugin": "amd", "resource": U280},),
        max_nodes=1000,
        node_labels=F2_INSTANCE,
        accelerators=False,
    )
)


class ListedWatch:
    """A capacity watch whose first listing has landed."""

    def __init__(self, ledger: CapacityLedger):
        self.ledger = ledger
        self.is_ready = True


def big_cluster() -> CapacityLedger:
    ledger = CapacityLedger.for_catalog(CATALOG)
    for i in range(NODES):
        resource = RESOURCES[i % 3]
        labels = {"node.kubernetes.io/instance-type": "f2.12xlarge"} if resource == F2 else {}
        ledger.set_node(f"node-{i:04d}", {resource: "4", "cpu": "64"}, labels)
    for i in range(PODS):
        node = i % NODES
        requests = {RESOURCES[node % 3]: "1"} if i < FPGA_PODS else {"cpu": "100m"}
        owner = PodOwner(f"jhub/jupyter-user{i}", f"user{i}", "", 1.7e9 + i)
        ledger.set_pod(f"uid-{i}", f"node-{node:04d}", requests, True, owner)
    return ledger


def render() -> tuple[float, int]:
    """Milliseconds of one render of the default registry, and its size in bytes."""
    started = time.perf_counter()
    size = len(generate_latest(REGISTRY))
    return (time.perf_counter() - started) * 1000, size


def interleaved(collectors, runs: int = RUNS) -> tuple[float, int, float, int]:
    """Median render time and size with, then without, the FPGA metrics, alternating
    run by run so that the load of a shared machine falls on both alike."""
    ours, baseline = [], []
    ours_size = baseline_size = 0
    for _ in range(runs):
        ms, ours_size = render()
        ours.append(ms)
        for collector in collectors:
            REGISTRY.unregister(collector)
        ms, baseline_size = render()
        baseline.append(ms)
        for collector in collectors:
            REGISTRY.register(collector)
    return statistics.median(ours), ours_size, statistics.median(baseline), baseline_size


def recount_ms(ledger: CapacityLedger, runs: int = 20) -> float:
    """What a scrape would pay to count boards in use by scanning every holding pod."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        in_use = dict.fromkeys(RESOURCES, 0)
        for holder in ledger.holders():
            in_use[holder.resource] += holder.count
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    ledger = big_cluster()
    hub_view.register(CATALOG, ListedWatch(ledger))
    metrics = install([CATALOG])
    kinds = ("spawn", "burst", "refusal", "stop", "reclaim")
    for i in range(EVENTS):
        kind = kinds[i % len(kinds)]
        board = ("u250", "u280", "f2")[i % 3]
        HUB_EVENTS.record(
            kind,
            board=board,
            user=f"user{i}",
            reason={"refusal": "quota", "reclaim": "idle"}.get(kind, ""),
            seconds=float(i % 300),
            placement="on-premises" if board != "f2" else "burst",
            node_group="f2-cloud",
            board_seconds=float(i),
        )
    ours_ms, ours_bytes, baseline_ms, baseline_bytes = interleaved(metrics.collectors)
    print(f"baseline, JupyterHub's own metrics: {baseline_ms:.3f} ms ({baseline_bytes} bytes)")
    text = generate_latest(REGISTRY).decode()
    assert 'jupyterhub_fpga_boards{board="u250",state="in_use"}' in text
    in_use = ledger.board(U250).in_use
    print(f"cluster: {NODES} nodes, {PODS} pods ({FPGA_PODS} holding boards); U250 in use {in_use}")
    print(
        f"ours, with the FPGA metrics: {ours_ms:.3f} ms ({ours_bytes} bytes), "
        f"+{ours_ms - baseline_ms:.3f} ms ({ours_ms / baseline_ms:.2f}x the baseline)"
    )
    naive = recount_ms(ledger)
    print(f"for scale, recounting the holding pods at each scrape: {naive:.3f} ms")
    verdict = "PASS" if ours_ms < LIMIT_MS else "FAIL"
    print(f"{verdict}: render {ours_ms:.3f} ms < {LIMIT_MS:.0f} ms")
    print(
        json.dumps(
            {
                "nodes": NODES,
                "pods": PODS,
                "fpga_pods": FPGA_PODS,
                "events": EVENTS,
                "baseline_render_ms": round(baseline_ms, 3),
                "render_ms": round(ours_ms, 3),
                "ratio_to_baseline": round(ours_ms / baseline_ms, 2),
                "recount_ms": round(naive, 3),
                "limit_ms": LIMIT_MS,
                "ok": ours_ms < LIMIT_MS,
            }
        )
    )


if __name__ == "__main__":
    main()
