"""Merge a :class:`PodPatch` into kubespawner's ``V1Pod``.

The thin adapter between our plain-JSON patch and the ``kubernetes_asyncio``
models that ``KubeSpawner.get_pod_manifest()`` returns. It only adds: what the
admin configured through kubespawner (their own tolerations, affinities,
environment) stays, and an FPGA entry replaces an earlier one of the same name.
"""

from __future__ import annotations

from kubernetes_asyncio.client.models import (
    V1Affinity,
    V1EnvVar,
    V1NodeAffinity,
    V1Pod,
    V1PreferredSchedulingTerm,
    V1ResourceRequirements,
    V1Toleration,
    V1Volume,
    V1VolumeMount,
)
from kubespawner.utils import get_k8s_model

from .pod_patch import PodPatch

NOTEBOOK_CONTAINER = "notebook"


def _by_name(items: list | None, new: list) -> list:
    names = {item.name for item in new}
    return [item for item in (items or []) if item.name not in names] + new


def apply_pod_patch(pod: V1Pod, patch: PodPatch) -> V1Pod:
    spec = pod.spec
    container = next(
        (c for c in spec.containers if c.name == NOTEBOOK_CONTAINER), spec.containers[0]
    )

    resources = container.resources or V1ResourceRequirements()
    # Extended resources cannot be overcommitted: requests must equal limits.
    resources.limits = {**(resources.limits or {}), **patch.resources}
    resources.requests = {**(resources.requests or {}), **patch.resources}
    container.resources = resources

    container.env = _by_name(container.env, [get_k8s_model(V1EnvVar, e) for e in patch.env])
    container.volume_mounts = _by_name(
        container.volume_mounts, [get_k8s_model(V1VolumeMount, m) for m in patch.volume_mounts]
    )
    if patch.volumes:
        spec.volumes = _by_name(spec.volumes, [get_k8s_model(V1Volume, v) for v in patch.volumes])

    if patch.node_selector:
        spec.node_selector = {**(spec.node_selector or {}), **patch.node_selector}
    if patch.tolerations:
        existing = list(spec.tolerations or [])
        for tol in patch.tolerations:
            model = get_k8s_model(V1Toleration, tol)
            if model not in existing:
                existing.append(model)
        spec.tolerations = existing
    if patch.preferred_node_terms:
        affinity = spec.affinity or V1Affinity()
        node_affinity = affinity.node_affinity or V1NodeAffinity()
        preferred = list(node_affinity.preferred_during_scheduling_ignored_during_execution or [])
        preferred += [
            get_k8s_model(V1PreferredSchedulingTerm, t) for t in patch.preferred_node_terms
        ]
        node_affinity.preferred_during_scheduling_ignored_during_execution = preferred
        affinity.node_affinity = node_affinity
        spec.affinity = affinity

    pod.metadata.labels = {**(pod.metadata.labels or {}), **patch.labels}
    return pod
