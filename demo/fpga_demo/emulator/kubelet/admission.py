"""Pod admission: the checks a kubelet makes before it runs a pod bound to it.

The scheduler is not the only way onto a node: a pod can name its node in
`spec.nodeName` and skip scheduling altogether. The real kubelet then checks
the pod itself and rejects what cannot run there (a device the node does not
have, a node selector it does not match, a NoExecute taint it does not
tolerate): the pod goes to phase Failed with the kubelet's reason and message
and a Warning event, and never starts. Without this, a pod asking for a U250
on a node without one would run, and the hub would think it had an FPGA.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

from ..scheduler.fit import (
    is_terminal,
    matches_node_selection,
    node_allocatable,
    pod_requests,
    untolerated_taints,
)


def _amount(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else str(float(value))


def admit(
    pod: Mapping[str, Any], node: Mapping[str, Any], others: Iterable[Mapping[str, Any]]
) -> tuple[str, str] | None:
    """None to run the pod, else (reason, message) as the kubelet rejects it."""
    if not matches_node_selection(pod, node):
        return "NodeAffinity", "Pod was rejected: Predicate NodeAffinity failed"
    if untolerated_taints(pod, node, ("NoExecute",)):
        return "TaintToleration", "Pod was rejected: Predicate TaintToleration failed"
    uid = pod["metadata"].get("uid")
    used: dict[str, Fraction] = {}
    for other in others:
        if other["metadata"].get("uid") == uid or is_terminal(other):
            continue
        for name, amount in pod_requests(other).items():
            used[name] = used.get(name, Fraction(0)) + amount
    allocatable = node_allocatable(node)
    requests = pod_requests(pod)
    ordered = ["pods", "cpu", "memory", "ephemeral-storage"] + sorted(
        n for n in requests if n not in ("pods", "cpu", "memory", "ephemeral-storage")
    )
    for name in ordered:
        want = requests.get(name, Fraction(0))
        if not want:
            continue
        have, taken = allocatable.get(name, Fraction(0)), used.get(name, Fraction(0))
        if name == "pods" and name not in allocatable:
            have = Fraction(110)
        if taken + want > have:
            return (
                f"OutOf{name}",
                f"Pod was rejected: Node didn't have enough resource: {name}, requested: "
                f"{_amount(want)}, used: {_amount(taken)}, capacity: {_amount(have)}",
            )
    return None
