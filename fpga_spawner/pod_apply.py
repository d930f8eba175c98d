"""Merge a :class:`PodPatch` into kubespawner's ``V1Pod``.

The thin adapter between our plain-JSON patch and the ``kubernetes_asyncio``
models that ``KubeSpawner.get_pod_manifest()`` returns. It only adds: what the
admin configured through kubespawner (their own tolerations, affinities,
environment) stays, and an FPGA entry replaces an earlier one of the same name.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubernetes_asyncio.client.models import (
    CoreV1ResourceClaim,
    V1Affinity,
    V1EnvVar,
    V1NodeAffinity,
    V1Pod,
    V1PodResourceClaim,
    V1PreferredSchedulingTerm,
    V1ResourceRequirements,
    V1Toleration,
    V1Volume,
    V1VolumeMount,
)

from .pod_patch import PodPatch

NOTEBOOK_CONTAINER = "notebook"

# Direct constructors rather than kubespawner's get_k8s_model, which deep-copies
# every dict: nested fragments stay plain camelCase dicts, which the client
# serialises unchanged (as kubespawner itself does for tolerations).


def _env(e: dict) -> V1EnvVar:
    return V1EnvVar(name=e["name"], value=e.get("value"), value_from=e.get("valueFrom"))


def _mount(m: dict) -> V1VolumeMount:
    return V1VolumeMount(name=m["name"], mount_path=m["mountPath"], read_only=m.get("readOnly"))


def _toleration(t: dict) -> V1Toleration:
    return V1Toleration(
        key=t.get("key"),
        operator=t.get("operator"),
        value=t.get("value"),
        effect=t.get("effect"),
        toleration_seconds=t.get("tolerationSeconds"),
    )


def _by_name(items: list | None, new: list) -> list:
    names = {item.name for item in new}
    return [item for item in (items or []) if item.name not in names] + new


@dataclass(frozen=True)
class PatchModels:
    """A :class:`PodPatch` as client models, built once per spawn and shared by its pods.

    Building ~15 models per call was most of the patch's cost; pods only
    reference these objects, so treat them as read-only.
    """

    patch: PodPatch
    env: list[V1EnvVar]
    volume_mounts: list[V1VolumeMount]
    volumes: list[V1Volume]
    tolerations: list[V1Toleration]
    preferred: list[V1PreferredSchedulingTerm]
    resource_claims: list[V1PodResourceClaim]
    container_claims: list[CoreV1ResourceClaim]


def patch_models(patch: PodPatch) -> PatchModels:
    return PatchModels(
        patch=patch,
        env=[_env(e) for e in patch.env],
        volume_mounts=[_mount(m) for m in patch.volume_mounts],
        volumes=[V1Volume(name=v["name"], secret=v["secret"]) for v in patch.volumes],
        tolerations=[_toleration(t) for t in patch.tolerations],
        preferred=[
            V1PreferredSchedulingTerm(weight=t["weight"], preference=t["preference"])
            for t in patch.preferred_node_terms
        ],
        resource_claims=[
            V1PodResourceClaim(
                name=c["name"],
                resource_claim_name=c.get("resourceClaimName"),
                resource_claim_template_name=c.get("resourceClaimTemplateName"),
            )
            for c in patch.resource_claims
        ],
        container_claims=[CoreV1ResourceClaim(name=c["name"]) for c in patch.container_claims],
    )


def apply_pod_patch(pod: V1Pod, patch: PodPatch | PatchModels) -> V1Pod:
    models = patch if isinstance(patch, PatchModels) else patch_models(patch)
    patch = models.patch
    spec = pod.spec
    container = next(
        (c for c in spec.containers if c.name == NOTEBOOK_CONTAINER), spec.containers[0]
    )

    resources = container.resources or V1ResourceRequirements()
    if patch.resources:
        # Extended resources cannot be overcommitted: requests must equal limits.
        resources.limits = {**(resources.limits or {}), **patch.resources}
        resources.requests = {**(resources.requests or {}), **patch.resources}
    if models.container_claims:
        resources.claims = _by_name(resources.claims, models.container_claims)
        spec.resource_claims = _by_name(spec.resource_claims, models.resource_claims)
    container.resources = resources

    container.env = _by_name(container.env, models.env)
    if models.volume_mounts:
        container.volume_mounts = _by_name(container.volume_mounts, models.volume_mounts)
    if models.volumes:
        spec.volumes = _by_name(spec.volumes, models.volumes)

    if patch.node_selector:
        spec.node_selector = {**(spec.node_selector or {}), **patch.node_selector}
    if models.tolerations:
        existing = list(spec.tolerations or [])
        existing += [t for t in models.tolerations if t not in existing]
        spec.tolerations = existing
    if models.preferred:
        affinity = spec.affinity or V1Affinity()
        node_affinity = affinity.node_affinity or V1NodeAffinity()
        preferred = list(node_affinity.preferred_during_scheduling_ignored_during_execution or [])
        node_affinity.preferred_during_scheduling_ignored_during_execution = (
            preferred + models.preferred
        )
        affinity.node_affinity = node_affinity
        spec.affinity = affinity

    pod.metadata.labels = {**(pod.metadata.labels or {}), **patch.labels}
    return pod
