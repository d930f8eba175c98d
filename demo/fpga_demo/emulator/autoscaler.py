"""The emulated cluster-autoscaler: node groups that grow when pods cannot fit.

Each scan takes the pods the scheduler marked Unschedulable, discounts those
that will fit on nodes already being started, and bin-packs the rest onto new
nodes built from each node group's template (its labels, taints and extended
resources, as the ASG tags describe them), groups tried in file order (the
`priority` expander). Pods that a group will take get `TriggeredScaleUp`
("pod triggered scale-up: [{f2-cloud 0->1 (max: 4)}]"); pods no group can take
get `NotTriggerScaleUp` with the reasons per group, both in the real wording.
A new node appears after the group's start-up delay; with
`scaleDownUnneededSeconds`, nodes it added are removed after being empty that long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .apiserver.store import Store, random_suffix
from .config import AutoscalerOptions, NodeGroupSpec
from .events import EventRecorder
from .scheduler.fit import add_usage, filter_node, is_terminal, pod_requests
from .scheduler.scheduler import missing_claims

log = logging.getLogger("fpga_demo.emulator.autoscaler")
COMPONENT = "cluster-autoscaler"
GROUP_LABEL = "eks.amazonaws.com/nodegroup"
NOT_TRIGGER_REPEAT_SECONDS = 30.0


@dataclass
class GroupState:
    spec: NodeGroupSpec
    target: int = 0
    starting: list[str] = field(default_factory=list)  # names of nodes still booting
    empty_since: dict[str, float] = field(default_factory=dict)


class Autoscaler:
    def __init__(
        self,
        store: Store,
        recorder: EventRecorder,
        groups: list[NodeGroupSpec],
        options: AutoscalerOptions,
        make_node: Callable[[str, NodeGroupSpec], dict],
        create_node: Callable[[dict], Any],
    ) -> None:
        self.store, self.recorder, self.options = store, recorder, options
        self.groups = [GroupState(g) for g in groups]
        self.make_node, self.create_node = make_node, create_node
        self._task: asyncio.Task | None = None
        self._timers: set[asyncio.TimerHandle] = set()
        self._not_triggered: dict[str, tuple[str, float]] = {}

    def start(self) -> None:
        for group in self.groups:
            for _ in range(group.spec.min_size):
                self._add_node(group)
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.options.scan_interval_seconds)
            try:
                self.scan()
                if self.options.scale_down_unneeded_seconds is not None:
                    self.scale_down()
            except Exception:
                log.exception("autoscaler scan failed")

    def _group_nodes(self, group: GroupState) -> list[dict]:
        return self.store.list(
            "nodes",
            lambda n: (n["metadata"].get("labels") or {}).get(GROUP_LABEL) == group.spec.name,
        )

    def _template(self, group: GroupState) -> dict:
        return self.make_node(f"template-{group.spec.name}", group.spec)

    def unschedulable_pods(self) -> list[dict]:
        def waiting(pod: dict) -> bool:
            if (
                pod["spec"].get("nodeName")
                or "deletionTimestamp" in pod["metadata"]
                or is_terminal(pod)
            ):
                return False
            return any(
                c.get("type") == "PodScheduled"
                and c.get("status") == "False"
                and c.get("reason") == "Unschedulable"
                for c in pod.get("status", {}).get("conditions", [])
            )

        pods = [p for p in self.store.list("pods", waiting) if not missing_claims(self.store, p)]
        return sorted(pods, key=lambda p: int(p["metadata"]["resourceVersion"]))

    @staticmethod
    def _first_fit(pod: dict, bins: list[tuple[dict, dict]]) -> bool:
        requests = pod_requests(pod)
        for node, usage in bins:
            if not filter_node(pod, node, usage, requests):
                add_usage(usage, requests)
                return True
        return False

    def scan(self) -> None:
        pending = self.unschedulable_pods()
        if not pending or not self.groups:
            return
        upcoming = [(self._template(g), {}) for g in self.groups for _ in g.starting]
        pending = [p for p in pending if not self._first_fit(p, upcoming)]
        for group in self.groups:
            if not pending:
                return
            room = group.spec.max_size - group.target
            new_bins: list[tuple[dict, dict]] = []
            helped, rest = [], []
            for pod in pending:
                if self._first_fit(pod, new_bins):
                    helped.append(pod)
                elif len(new_bins) < room and not filter_node(pod, self._template(group), {}):
                    new_bins.append((self._template(group), {}))
                    self._first_fit(pod, new_bins[-1:])
                    helped.append(pod)
                else:
                    rest.append(pod)
            if new_bins:
                before, after = group.target, group.target + len(new_bins)
                message = f"pod triggered scale-up: [{{{group.spec.name} {before}->{after} (max: {group.spec.max_size})}}]"
                for _ in new_bins:
                    self._add_node(group)
                for pod in helped:
                    self.recorder.record(
                        pod, "Pod", "Normal", "TriggeredScaleUp", message, COMPONENT
                    )
                    self._not_triggered.pop(pod["metadata"]["uid"], None)
            pending = rest
        for pod in pending:
            self._explain(pod)

    def _explain(self, pod: dict) -> None:
        reasons: list[str] = []
        for group in self.groups:
            why = filter_node(pod, self._template(group), {})
            if why:
                reasons.extend(why)
            else:
                reasons.append("max node group size reached")
        counts = Counter(reasons)
        message = "pod didn't trigger scale-up: " + ", ".join(
            sorted(f"{n} {r}" for r, n in counts.items())
        )
        uid, now = pod["metadata"]["uid"], time.monotonic()
        last = self._not_triggered.get(uid)
        if last and last[0] == message and now - last[1] < NOT_TRIGGER_REPEAT_SECONDS:
            return
        self._not_triggered[uid] = (message, now)
        self.recorder.record(pod, "Pod", "Normal", "NotTriggerScaleUp", message, COMPONENT)

    def _add_node(self, group: GroupState) -> None:
        """Raise the group's target; the node registers after the start-up delay."""
        group.target += 1
        name = f"{group.spec.name}-{random_suffix()}"
        group.starting.append(name)
        delay = group.spec.startup_delay_seconds if self._task is not None else 0

        def boot() -> None:
            if name in group.starting:
                group.starting.remove(name)
                self.create_node(self.make_node(name, group.spec))

        if delay <= 0:
            boot()
        else:
            timer = asyncio.get_running_loop().call_later(delay, boot)
            self._timers.add(timer)

    def scale_down(self) -> None:
        """Remove nodes this group added once they have been empty long enough."""
        now = time.monotonic()
        busy = {p["spec"].get("nodeName") for p in self.store.list("pods") if not is_terminal(p)}
        for group in self.groups:
            for node in self._group_nodes(group):
                name = node["metadata"]["name"]
                if name in busy:
                    group.empty_since.pop(name, None)
                    continue
                since = group.empty_since.setdefault(name, now)
                if (
                    now - since >= (self.options.scale_down_unneeded_seconds or 0)
                    and group.target > group.spec.min_size
                ):
                    self.recorder.record(
                        node,
                        "Node",
                        "Normal",
                        "ScaleDown",
                        "marked the node as toBeDeleted/unschedulable",
                        COMPONENT,
                    )
                    self.store.remove("nodes", None, name)
                    group.target -= 1
                    group.empty_since.pop(name, None)
