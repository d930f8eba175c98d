"""The FPGA part of a pod, as plain Kubernetes JSON fragments.

:func:`build_pod_patch` is a pure function from a :class:`Placement` to the
resources, placement rules, labels, environment and volumes the pod needs.
The spawner merges it into kubespawner's ``V1Pod`` after ``super()`` (so the
admin's ``extra_container_config`` cannot wipe the FPGA resources, kubespawner
issue 637), and the ``render`` dry run prints exactly the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jupyter_ext.contract import (
    DEFAULT_XCLBIN_PATH,
    ENV_IDLE_TIMEOUT,
    ENV_IDLE_WARNING,
    ENV_MAX_AGE,
    FPGARequest,
)

from .catalog import Catalog, License
from .dra import CLAIM_NAME, pod_claim
from .flavours import FLAVOURS
from .placement import Placement

LOCATION_LABEL = "fpga.jupyterhub.io/location"


@dataclass(frozen=True)
class PodPatch:
    resources: dict[str, str]
    node_selector: dict[str, str] = field(default_factory=dict)
    preferred_node_terms: list[dict[str, Any]] = field(default_factory=list)
    tolerations: list[dict[str, Any]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    env: list[dict[str, Any]] = field(default_factory=list)
    volumes: list[dict[str, Any]] = field(default_factory=list)
    volume_mounts: list[dict[str, Any]] = field(default_factory=list)
    resource_claims: list[dict[str, str]] = field(default_factory=list)
    """The pod's ``spec.resourceClaims`` (DRA boards)."""
    container_claims: list[dict[str, str]] = field(default_factory=list)
    """The notebook container's ``resources.claims`` (DRA boards)."""


def license_volume_name(lic: License) -> str:
    return f"fpga-license-{lic.name}"[:63].rstrip("-")


def _license_env(lic: License) -> dict[str, Any]:
    # A reference only: the kubelet resolves the value, the spec never holds it.
    return {
        "name": lic.env,
        "valueFrom": {"secretKeyRef": {"name": lic.secret, "key": lic.key}},
    }


def _license_volume(lic: License) -> tuple[dict[str, Any], dict[str, Any]]:
    secret: dict[str, Any] = {"secretName": lic.secret, "defaultMode": 0o440}
    if lic.items:
        secret["items"] = [{"key": key, "path": path} for key, path in lic.items]
    name = license_volume_name(lic)
    return (
        {"name": name, "secret": secret},
        {"name": name, "mountPath": lic.mount_path, "readOnly": True},
    )


def reclaim_env(idle_timeout: int, idle_warning: int, max_age: int) -> dict[str, str]:
    """The idle-reclaim limits the pod is told about (seconds; an unset limit is left out).

    The pod reports them back in its devices API, so the reclaimer applies the
    limits this server was started with (a profile may set its own), and the
    notebook can warn before the stop. The warning alone means nothing.
    """
    env: dict[str, str] = {}
    if idle_timeout > 0:
        env[ENV_IDLE_TIMEOUT] = str(idle_timeout)
    if max_age > 0:
        env[ENV_MAX_AGE] = str(max_age)
    if env:
        env[ENV_IDLE_WARNING] = str(max(idle_warning, 0))
    return env


def build_pod_patch(
    placement: Placement,
    catalog: Catalog,
    *,
    xclbin_path: tuple[str, ...] = DEFAULT_XCLBIN_PATH,
    emulation: bool = False,
    location_label: str = LOCATION_LABEL,
    idle_timeout: int = 0,
    idle_warning: int = 0,
    max_age: int = 0,
    dra_template: str = "",
) -> PodPatch:
    """`dra_template`: the ResourceClaimTemplate the spawner writes for a DRA board."""
    board = placement.board
    request = FPGARequest(
        board=board.slug,
        count=placement.count,
        resource=board.resource,
        plugin=board.plugin,
        board_name=board.display_name,
        platform=board.platform,
        accelerator=placement.accelerator,
        accelerator_replicas=placement.replicas,
        xclbin_path=xclbin_path,
        emulation=emulation,
        slots_per_board=board.slots_per_board,
    )
    env = [
        {"name": k, "value": v}
        for k, v in {
            **request.to_env(),
            **reclaim_env(idle_timeout, idle_warning, max_age),
        }.items()
    ]
    volumes, mounts = [], []
    for lic in catalog.licenses_for(board.slug):
        if lic.env:
            env.append(_license_env(lic))
        else:
            volume, mount = _license_volume(lic)
            volumes.append(volume)
            mounts.append(mount)
    labels = dict(FLAVOURS[board.plugin].pod_labels)
    labels.update(request.to_labels())
    # Prefer on-premises nodes: when a board type exists both on premises and
    # in a cloud node group, the pod lands on hardware already paid for.
    preferred = [
        {
            "weight": 100,
            "preference": {
                "matchExpressions": [
                    {"key": location_label, "operator": "In", "values": ["on-premises"]}
                ]
            },
        }
    ]
    resources = {board.resource: str(placement.count)}
    claims: list[dict[str, str]] = []
    if board.dra is not None and board.dra.request_as == "claim":
        resources, claims = {}, [pod_claim(board.dra, dra_template)]
    return PodPatch(
        resources=resources,
        resource_claims=claims,
        container_claims=[{"name": CLAIM_NAME}] if claims else [],
        node_selector=dict(board.node_selector),
        preferred_node_terms=preferred,
        tolerations=[dict(t) for t in board.tolerations],
        labels=labels,
        env=env,
        volumes=volumes,
        volume_mounts=mounts,
    )
