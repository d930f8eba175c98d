"""Does a pod fit a node? The scheduler's filter plugins as pure functions.

The checks run in the default scheduler profile's order (NodeUnschedulable,
TaintToleration, NodeAffinity, NodeResourcesFit, then InterPodAffinity from
`interpod.py`, which needs the other pods) and stop at the first failing
plugin, as the real framework does, so the reasons it reports, and therefore the
FailedScheduling message users read, come out the same.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from typing import Any

from ..quantity import parse_quantity

Resources = dict[str, Fraction]
NODE_AFFINITY_REASON = "node(s) didn't match Pod's node affinity/selector"
UNSCHEDULABLE_REASON = "node(s) were unschedulable"
HARD_EFFECTS = ("NoSchedule", "NoExecute")


def is_terminal(pod: Mapping[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def pod_requests(pod: Mapping[str, Any]) -> Resources:
    """What a pod takes from a node: containers summed, init containers as a floor, +1 pod.

    A resource given only as a limit counts as requested (the API server
    defaults requests from limits, so extended resources always are).
    """
    spec = pod.get("spec") or {}
    total: Resources = {}
    for container in spec.get("containers") or []:
        for name, amount in _container_requests(container).items():
            total[name] = total.get(name, Fraction(0)) + amount
    for container in spec.get("initContainers") or []:
        for name, amount in _container_requests(container).items():
            total[name] = max(total.get(name, Fraction(0)), amount)
    total["pods"] = Fraction(1)
    return total


def _container_requests(container: Mapping[str, Any]) -> Resources:
    resources = container.get("resources") or {}
    merged = dict(resources.get("limits") or {})
    merged.update(resources.get("requests") or {})
    return {name: parse_quantity(value) for name, value in merged.items()}


def node_allocatable(node: Mapping[str, Any]) -> Resources:
    status = node.get("status") or {}
    raw = status.get("allocatable") or status.get("capacity") or {}
    return {name: parse_quantity(value) for name, value in raw.items()}


def add_usage(usage: Resources, requests: Resources) -> None:
    for name, amount in requests.items():
        usage[name] = usage.get(name, Fraction(0)) + amount


def usage_by_node(pods: Iterable[Mapping[str, Any]]) -> dict[str, Resources]:
    """Resources held on each node by bound, non-terminal pods."""
    usage: dict[str, Resources] = {}
    for pod in pods:
        node = (pod.get("spec") or {}).get("nodeName")
        if node and not is_terminal(pod):
            add_usage(usage.setdefault(node, {}), pod_requests(pod))
    return usage


def tolerates(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    operator = toleration.get("operator") or "Equal"
    key = toleration.get("key") or ""
    if not key:
        return operator == "Exists"
    if key != taint.get("key"):
        return False
    if operator == "Exists":
        return True
    return (toleration.get("value") or "") == (taint.get("value") or "")


def untolerated_taints(
    pod: Mapping[str, Any], node: Mapping[str, Any], effects: tuple[str, ...] = HARD_EFFECTS
) -> list[dict]:
    tolerations = (pod.get("spec") or {}).get("tolerations") or []
    return [
        taint
        for taint in (node.get("spec") or {}).get("taints") or []
        if taint.get("effect") in effects and not any(tolerates(t, taint) for t in tolerations)
    ]


def _expression_matches(expr: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
    present = key in labels
    if op == "In":
        return present and labels[key] in values
    if op == "NotIn":
        return not present or labels[key] not in values
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt") and present:
        try:
            number, bound = int(labels[key]), int(values[0])
        except (ValueError, IndexError):
            return False
        return number > bound if op == "Gt" else number < bound
    return False


def term_matches(term: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """A node selector term: all matchExpressions (labels) and matchFields (name) hold."""
    labels = (node.get("metadata") or {}).get("labels") or {}
    fields = {"metadata.name": (node.get("metadata") or {}).get("name", "")}
    expressions = term.get("matchExpressions") or []
    match_fields = term.get("matchFields") or []
    if not expressions and not match_fields:
        return False  # an empty term matches no objects
    return all(_expression_matches(e, labels) for e in expressions) and all(
        _expression_matches(f, fields) for f in match_fields
    )


def matches_node_selection(pod: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """nodeSelector AND required node affinity (its terms are ORed)."""
    spec = pod.get("spec") or {}
    labels = (node.get("metadata") or {}).get("labels") or {}
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    affinity = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    if affinity is None:
        return True
    return any(term_matches(term, node) for term in affinity.get("nodeSelectorTerms") or [])


def preferred_score(pod: Mapping[str, Any], node: Mapping[str, Any]) -> int:
    """Sum of the weights of the preferred node-affinity terms the node matches."""
    prefs = (((pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {}).get(
        "preferredDuringSchedulingIgnoredDuringExecution"
    ) or []
    return sum(
        int(p.get("weight", 0)) for p in prefs if term_matches(p.get("preference") or {}, node)
    )


def insufficient(requests: Resources, allocatable: Resources, used: Resources) -> list[str]:
    """NodeResourcesFit's reasons, in its order: pods, cpu, memory, storage, then others."""
    reasons = []
    if used.get("pods", 0) + 1 > allocatable.get("pods", Fraction(110)):
        reasons.append("Too many pods")
    ordered = ["cpu", "memory", "ephemeral-storage"] + sorted(
        n for n in requests if n not in ("cpu", "memory", "ephemeral-storage", "pods")
    )
    for name in ordered:
        want = requests.get(name, Fraction(0))
        if want and used.get(name, Fraction(0)) + want > allocatable.get(name, Fraction(0)):
            reasons.append(f"Insufficient {name}")
    return reasons


def filter_node(
    pod: Mapping[str, Any],
    node: Mapping[str, Any],
    used: Resources,
    requests: Resources | None = None,
) -> list[str]:
    """Why the pod cannot go on this node ([] if it can); resource reasons may be several."""
    spec = node.get("spec") or {}
    if spec.get("unschedulable"):
        unschedulable_taint = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
        tolerations = (pod.get("spec") or {}).get("tolerations") or []
        if not any(tolerates(t, unschedulable_taint) for t in tolerations):
            return [UNSCHEDULABLE_REASON]
    taints = untolerated_taints(pod, node)
    if taints:
        taint = taints[0]
        return [f"node(s) had untolerated taint {{{taint.get('key')}: {taint.get('value', '')}}}"]
    if not matches_node_selection(pod, node):
        return [NODE_AFFINITY_REASON]
    return insufficient(requests or pod_requests(pod), node_allocatable(node), used)


def is_resource_reason(reason: str) -> bool:
    return reason.startswith("Insufficient ") or reason == "Too many pods"


def _histogram(reasons: Iterable[str]) -> str:
    counts = Counter(reasons)
    return ", ".join(sorted(f"{n} {reason}" for reason, n in counts.items()))


def failure_message(
    num_nodes: int, reasons_by_node: Mapping[str, list[str]], prefilter: str = ""
) -> str:
    """The FailedScheduling text, built like the scheduler's FitError.Error()."""
    if num_nodes == 0:
        return "no nodes available to schedule pods"
    head = f"0/{num_nodes} nodes are available:"
    if prefilter:
        body = f" {prefilter}."
        preemption = ["Preemption is not helpful for scheduling"] * num_nodes
    else:
        body = " " + _histogram(r for reasons in reasons_by_node.values() for r in reasons) + "."
        preemption = [
            "No preemption victims found for incoming pod"
            if reasons and all(is_resource_reason(r) for r in reasons)
            else "Preemption is not helpful for scheduling"
            for reasons in reasons_by_node.values()
        ]
    return f"{head}{body} preemption: {head} {_histogram(preemption)}."


def least_allocated(requests: Resources, allocatable: Resources, used: Resources) -> Fraction:
    """Free share of cpu and memory after placing the pod (higher is emptier)."""
    shares = []
    for name in ("cpu", "memory"):
        total = allocatable.get(name, Fraction(0))
        if total > 0:
            shares.append(
                (total - used.get(name, Fraction(0)) - requests.get(name, Fraction(0))) / total
            )
    return sum(shares, Fraction(0)) / len(shares) if shares else Fraction(0)


def rank_nodes(
    pod: Mapping[str, Any],
    nodes: list[Mapping[str, Any]],
    usage: Mapping[str, Resources],
    requests: Resources,
    pod_score: Callable[[Mapping[str, Any], Mapping[str, Any]], int] | None = None,
) -> list[Mapping[str, Any]]:
    """Feasible nodes best first: preferred node and pod affinity weights, fewer
    PreferNoSchedule taints, least allocated, then name (deterministic where the
    real one is random)."""

    def score(node: Mapping[str, Any]) -> tuple:
        name = node["metadata"]["name"]
        used = usage.get(name, {})
        return (
            -preferred_score(pod, node) - (pod_score(pod, node) if pod_score else 0),
            len(untolerated_taints(pod, node, ("PreferNoSchedule",))),
            -least_allocated(requests, node_allocatable(node), used),
            name,
        )

    return sorted(nodes, key=score)
