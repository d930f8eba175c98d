"""``<base_url>fpga/metrics``: this server's FPGA activity as Prometheus text.

A registry of its own (not prometheus_client's global one, which
jupyter_server fills with its HTTP metrics): a scrape gets exactly the
``jupyter_fpga_*`` families, computed from the kernels' records at scrape
time, so nothing here keeps state between scrapes. Per-pod labels only
(backend, board, xclbin): the hub's metrics carry no per-user labels, and a
pod's own endpoint is where its figures belong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ..activity.model import ProcessRecord
from .activity import PodActivity, expected_backend

PREFIX = "jupyter_fpga_"


def families(
    pod: ProcessRecord, activity: PodActivity, discovered: Mapping[str, Any] | None
) -> Iterator[Metric]:
    """Every metric family of one scrape (pure: the records and settings in, families out)."""
    backend = pod.backend or expected_backend(discovered)
    requested = (discovered or {}).get("requested") or {}
    yield CounterMetricFamily(PREFIX + "runs", "Kernel runs through the runtime (XRT or emulation) "
                              "since the server started.", value=pod.runs)  # fmt: skip
    yield CounterMetricFamily(PREFIX + "loads", "Kernel loads (xclbin programming requests) "
                              "through the runtime since the server started.", value=pod.loads)  # fmt: skip
    yield CounterMetricFamily(PREFIX + "cells", "%fpga and %%fpga cells run since the server "
                              "started.", value=pod.cells)  # fmt: skip
    yield GaugeMetricFamily(PREFIX + "busy", "1 while a kernel call runs on the FPGA (or its "
                            "emulation), else 0.", value=1 if pod.busy else 0)  # fmt: skip
    yield GaugeMetricFamily(PREFIX + "kernel_processes", "Kernel processes that recorded FPGA "
                            "activity since the server started.", value=pod.processes)  # fmt: skip
    for name, value, help_text in (
        ("last_activity", pod.last_activity, "latest run, load or %fpga cell"),
        ("last_run", pod.last_run, "latest kernel run"),
        ("last_load", pod.last_load, "latest kernel load"),
    ):
        if value is not None:  # absent rather than 0: "never" is not the epoch
            yield GaugeMetricFamily(PREFIX + name + "_timestamp_seconds",
                                    f"Unix time of the {help_text}.", value=value)  # fmt: skip
    yield GaugeMetricFamily(PREFIX + "server_start_timestamp_seconds",
                            "Unix time the Jupyter server started.", value=activity.started)  # fmt: skip
    limits = activity.limits
    for name, value in (("idle_timeout", limits.idle_timeout), ("max_age", limits.max_age)):
        if value is not None:
            yield GaugeMetricFamily(PREFIX + name + "_seconds", f"The hub's {name.replace('_', ' ')}"
                                    " for this server.", value=value)  # fmt: skip
    info = GaugeMetricFamily(PREFIX + "info", "What this server runs FPGA calls on (always 1).",
                             labels=["backend", "emulated", "board"])  # fmt: skip
    info.add_metric([backend, str(backend != "xrt").lower(), str(requested.get("board", ""))], 1)
    yield info
    loaded = GaugeMetricFamily(PREFIX + "loaded_xclbin", "An xclbin loaded by this server's "
                               "kernels (1; newest eight).", labels=["name", "uuid"])  # fmt: skip
    for x in pod.xclbins:
        loaded.add_metric([x.name, x.uuid], 1)
    yield loaded


class ActivityCollector(Collector):
    def __init__(self, activity: PodActivity, discovered: Callable[[], Mapping[str, Any] | None]):
        self.activity = activity
        self.discovered = discovered

    def collect(self) -> Iterator[Metric]:
        return families(self.activity.pod(), self.activity, self.discovered())


def make_registry(
    activity: PodActivity, discovered: Callable[[], Mapping[str, Any] | None]
) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ActivityCollector(activity, discovered))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
