"""Inter-pod affinity and anti-affinity: the scheduler's InterPodAffinity plugin.

Placement that depends on the other pods: "next to the pods labelled X"
(affinity) or "never in the same topology domain as them" (anti-affinity,
how a deployment spreads users' servers across FPGA hosts). A term names a
label selector, the namespaces to look in (the pod's own by default, or a
`namespaceSelector`) and a `topologyKey`: two nodes are in the same domain
when they carry the same value for that label. Required terms filter nodes,
preferred terms add or subtract their weight when nodes are ranked; existing
pods' required anti-affinity is honoured too (symmetry), as is the rule that
the first pod of a group may schedule when its affinity matches itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

AFFINITY_REASON = "node(s) didn't match pod affinity rules"
ANTI_AFFINITY_REASON = "node(s) didn't match pod anti-affinity rules"
EXISTING_ANTI_AFFINITY_REASON = "node(s) didn't satisfy existing pods anti-affinity rules"
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
PREFERRED = "preferredDuringSchedulingIgnoredDuringExecution"


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A metav1.LabelSelector: null matches nothing, {} everything."""
    if selector is None:
        return False
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def _terms(pod: Mapping[str, Any], kind: str, which: str) -> list[dict]:
    affinity = ((pod.get("spec") or {}).get("affinity") or {}).get(kind) or {}
    return list(affinity.get(which) or [])


class InterPodContext:
    """The bound pods and node labels one scheduling pass sees; placements are added as made."""

    def __init__(
        self,
        nodes: Iterable[Mapping[str, Any]],
        pods: Iterable[Mapping[str, Any]],
        namespace_labels: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.node_labels = {
            n["metadata"]["name"]: dict(n["metadata"].get("labels") or {}) for n in nodes
        }
        self.namespace_labels = dict(namespace_labels or {})
        self.pods: list[Mapping[str, Any]] = [
            p for p in pods if (p.get("spec") or {}).get("nodeName")
        ]
        # the few placed pods with required anti-affinity, which every node check
        # must consult: scanning all placed pods per node costs pods x nodes
        self._repelling = [p for p in self.pods if _terms(p, "podAntiAffinity", REQUIRED)]

    def add(self, pod: Mapping[str, Any]) -> None:
        self.pods.append(pod)
        if _terms(pod, "podAntiAffinity", REQUIRED):
            self._repelling.append(pod)

    def _namespaces_match(self, term: Mapping[str, Any], owner_ns: str, other_ns: str) -> bool:
        names = term.get("namespaces") or []
        selector = term.get("namespaceSelector")
        if not names and selector is None:
            return other_ns == owner_ns
        if other_ns in names:
            return True
        return selector is not None and selector_matches(
            selector, self.namespace_labels.get(other_ns, {})
        )

    def _term_pods(self, term: Mapping[str, Any], owner_ns: str) -> list[Mapping[str, Any]]:
        return [
            p
            for p in self.pods
            if self._namespaces_match(term, owner_ns, p["metadata"].get("namespace", ""))
            and selector_matches(term.get("labelSelector"), p["metadata"].get("labels") or {})
        ]

    def _same_domain(self, node: str, other: str, key: str) -> bool:
        mine, theirs = self.node_labels.get(node, {}), self.node_labels.get(other, {})
        return key in mine and key in theirs and mine[key] == theirs[key]

    def reason(self, pod: Mapping[str, Any], node: Mapping[str, Any]) -> str:
        """'' if the pod may go on `node` as far as other pods are concerned, else the reason.

        Checked in the plugin's order: the pod's affinity, its anti-affinity, then
        the anti-affinity of the pods already placed.
        """
        name = node["metadata"]["name"]
        namespace = pod["metadata"].get("namespace", "")
        labels = pod["metadata"].get("labels") or {}
        for term in _terms(pod, "podAffinity", REQUIRED):
            key = term.get("topologyKey", "")
            matching = self._term_pods(term, namespace)
            if not matching:
                # The first pod of a group may go anywhere its own term would match it.
                if (
                    self._namespaces_match(term, namespace, namespace)
                    and selector_matches(term.get("labelSelector"), labels)
                    and key in self.node_labels.get(name, {})
                ):
                    continue
                return AFFINITY_REASON
            if not any(self._same_domain(name, p["spec"]["nodeName"], key) for p in matching):
                return AFFINITY_REASON
        for term in _terms(pod, "podAntiAffinity", REQUIRED):
            key = term.get("topologyKey", "")
            if any(
                self._same_domain(name, p["spec"]["nodeName"], key)
                for p in self._term_pods(term, namespace)
            ):
                return ANTI_AFFINITY_REASON
        for existing in self._repelling:
            for term in _terms(existing, "podAntiAffinity", REQUIRED):
                if (
                    self._namespaces_match(
                        term, existing["metadata"].get("namespace", ""), namespace
                    )
                    and selector_matches(term.get("labelSelector"), labels)
                    and self._same_domain(
                        name, existing["spec"]["nodeName"], term.get("topologyKey", "")
                    )
                ):
                    return EXISTING_ANTI_AFFINITY_REASON
        return ""

    def score(self, pod: Mapping[str, Any], node: Mapping[str, Any]) -> int:
        """Preferred terms: + weight for each affinity term met, - weight for anti-affinity."""
        name = node["metadata"]["name"]
        namespace = pod["metadata"].get("namespace", "")
        total = 0
        for kind, sign in (("podAffinity", 1), ("podAntiAffinity", -1)):
            for weighted in _terms(pod, kind, PREFERRED):
                term = weighted.get("podAffinityTerm") or {}
                key = term.get("topologyKey", "")
                if any(
                    self._same_domain(name, p["spec"]["nodeName"], key)
                    for p in self._term_pods(term, namespace)
                ):
                    total += sign * int(weighted.get("weight", 0))
        return total
