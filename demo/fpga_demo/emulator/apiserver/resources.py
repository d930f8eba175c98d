"""The core/v1 resource types the emulator serves, and their API-level facts.

One table says, per resource, its kind, whether it is namespaced, which fields
field selectors accept and whether DELETE answers with the object or a Status:
the things a client can observe that differ between kinds.
"""

from __future__ import annotations

from dataclasses import dataclass

_META = frozenset({"metadata.name", "metadata.namespace"})


@dataclass(frozen=True)
class ResourceType:
    plural: str
    kind: str
    namespaced: bool
    field_labels: frozenset[str] = _META
    delete_returns_object: bool = False
    short_names: tuple[str, ...] = ()
    has_status: bool = False
    group: str = ""

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def api_version(self) -> str:
        return f"{self.group}/v1" if self.group else "v1"


RESOURCES: dict[str, ResourceType] = {
    r.plural: r
    for r in (
        ResourceType(
            "pods",
            "Pod",
            True,
            _META
            | {
                "spec.nodeName",
                "spec.restartPolicy",
                "spec.schedulerName",
                "spec.serviceAccountName",
                "spec.hostNetwork",
                "status.phase",
                "status.podIP",
                "status.nominatedNodeName",
            },
            delete_returns_object=True,
            short_names=("po",),
            has_status=True,
        ),
        ResourceType(
            "events",
            "Event",
            True,
            _META
            | {
                "involvedObject.kind",
                "involvedObject.namespace",
                "involvedObject.name",
                "involvedObject.uid",
                "involvedObject.apiVersion",
                "involvedObject.resourceVersion",
                "involvedObject.fieldPath",
                "reason",
                "reportingComponent",
                "source",
                "type",
            },
            short_names=("ev",),
        ),
        ResourceType(
            "nodes",
            "Node",
            False,
            frozenset({"metadata.name", "spec.unschedulable"}),
            short_names=("no",),
            has_status=True,
        ),
        ResourceType(
            "namespaces",
            "Namespace",
            False,
            frozenset({"metadata.name", "status.phase"}),
            delete_returns_object=True,
            short_names=("ns",),
            has_status=True,
        ),
        ResourceType("secrets", "Secret", True, _META | {"type"}),
        ResourceType("configmaps", "ConfigMap", True, short_names=("cm",)),
        ResourceType(
            "services",
            "Service",
            True,
            _META | {"spec.clusterIP", "spec.type"},
            delete_returns_object=True,
            short_names=("svc",),
            has_status=True,
        ),
        ResourceType(
            "persistentvolumeclaims",
            "PersistentVolumeClaim",
            True,
            delete_returns_object=True,
            short_names=("pvc",),
            has_status=True,
        ),
        ResourceType("serviceaccounts", "ServiceAccount", True, short_names=("sa",)),
        ResourceType("endpoints", "Endpoints", True, short_names=("ep",)),
    )
}

BY_KIND: dict[str, ResourceType] = {r.kind: r for r in RESOURCES.values()}

DRA_GROUP = "resource.k8s.io"
DRA_RESOURCES: dict[str, ResourceType] = {
    r.plural: r
    for r in (
        ResourceType(
            "deviceclasses", "DeviceClass", False, group=DRA_GROUP, delete_returns_object=True
        ),
        ResourceType(
            "resourceslices", "ResourceSlice", False, group=DRA_GROUP, delete_returns_object=True
        ),
        ResourceType(
            "resourceclaims",
            "ResourceClaim",
            True,
            has_status=True,
            group=DRA_GROUP,
            delete_returns_object=True,
        ),
        ResourceType(
            "resourceclaimtemplates",
            "ResourceClaimTemplate",
            True,
            group=DRA_GROUP,
            delete_returns_object=True,
        ),
    )
}
"""Dynamic Resource Allocation, served under /apis/resource.k8s.io/v1 (Kubernetes 1.34)."""

ALL_RESOURCES: dict[str, ResourceType] = {**RESOURCES, **DRA_RESOURCES}
"""Every type the store holds, core and API groups (plurals are unique across them)."""
