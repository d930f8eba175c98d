"""Defaulting on create, as the API server and its admission plugins do it.

What a client reads back is not what it sent: pods get a Pending status, a QoS
class, default tolerations and requests copied from limits (how an extended
resource given only as a limit becomes a request). Tests and the capacity
watch see those defaulted objects, as they would on a real cluster.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import platform
from collections.abc import Mapping
from typing import Any

from ..clock import now_rfc3339
from ..quantity import as_wire, parse_quantity

DEFAULT_TOLERATIONS = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
)  # fmt: skip


def _pull_policy(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return "IfNotPresent"
    tag = last.split(":", 1)[1] if ":" in last else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def default_container(container: dict[str, Any]) -> None:
    container.setdefault("imagePullPolicy", _pull_policy(container.get("image") or ""))
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    resources = container.setdefault("resources", {})
    limits = resources.get("limits") or {}
    if limits:
        requests = resources.setdefault("requests", {})
        for name, value in limits.items():
            requests.setdefault(name, value)
    for port in container.get("ports") or []:
        port.setdefault("protocol", "TCP")


def qos_class(spec: Mapping[str, Any]) -> str:
    """Guaranteed / Burstable / BestEffort from cpu and memory only, as the kubelet decides."""
    containers = list(spec.get("containers") or []) + list(spec.get("initContainers") or [])
    any_set, guaranteed = False, True
    for container in containers:
        resources = container.get("resources") or {}
        requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
        for name in ("cpu", "memory"):
            if name in requests or name in limits:
                any_set = True
            if name not in limits or parse_quantity(
                requests.get(name, limits[name])
            ) != parse_quantity(limits[name]):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def default_pod(pod: dict[str, Any]) -> None:
    spec = pod.setdefault("spec", {})
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("serviceAccountName", spec.get("serviceAccount") or "default")
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("priority", 0)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    tolerations = spec.setdefault("tolerations", [])
    for default in DEFAULT_TOLERATIONS:
        if not any(
            t.get("key") == default["key"] and t.get("effect") in (None, "", "NoExecute")
            for t in tolerations
        ):
            tolerations.append(dict(default))
    for field in ("initContainers", "containers"):
        for container in spec.get(field) or []:
            default_container(container)
    for volume in spec.get("volumes") or []:
        for source in ("secret", "configMap"):
            if source in volume:
                volume[source].setdefault("defaultMode", 420)
    pod["status"] = {"phase": "Pending", "qosClass": qos_class(spec)}


def default_namespace(ns: dict[str, Any]) -> None:
    meta = ns.setdefault("metadata", {})
    meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta.get("name", "")
    ns.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    ns["status"] = {"phase": "Active"}


def default_secret(secret: dict[str, Any]) -> None:
    secret.setdefault("type", "Opaque")
    string_data = secret.pop("stringData", None) or {}
    if string_data:
        data = secret.setdefault("data", {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()


class ClusterIPs:
    """Allocates service ClusterIPs from 10.96.0.0/12, as the default service CIDR does."""

    def __init__(self) -> None:
        self._net = ipaddress.ip_network("10.96.0.0/12")
        self._next = 10
        self._used: set[str] = set()

    def allocate(self) -> str:
        while True:
            self._next += 1
            candidate = str(self._net.network_address + self._next)
            if candidate not in self._used:
                self._used.add(candidate)
                return candidate

    def release(self, ip: str) -> None:
        self._used.discard(ip)


def default_service(service: dict[str, Any], ips: ClusterIPs) -> None:
    spec = service.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec.get("type") != "ExternalName":
        if not spec.get("clusterIP"):
            spec["clusterIP"] = ips.allocate()
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
    default_service_ports(service)
    service["status"] = {"loadBalancer": {}}


def default_service_ports(service: dict[str, Any]) -> None:
    """On every write, not only on create: an update's new port gets these too."""
    for port in (service.get("spec") or {}).get("ports") or []:
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))


def default_pvc(pvc: dict[str, Any]) -> None:
    spec = pvc.setdefault("spec", {})
    resources = spec.get("resources") or {}
    for section in ("requests", "limits"):
        if isinstance(resources.get(section), dict):
            resources[section] = {k: as_wire(v) for k, v in resources[section].items()}
    spec.setdefault("volumeMode", "Filesystem")
    spec.setdefault("storageClassName", "emulated-local")
    pvc["status"] = {"phase": "Pending"}


def default_node(node: dict[str, Any]) -> None:
    meta = node.setdefault("metadata", {})
    labels = meta.setdefault("labels", {})
    labels.setdefault("kubernetes.io/hostname", meta.get("name", ""))
    labels.setdefault("kubernetes.io/os", "linux")
    labels.setdefault("kubernetes.io/arch", "amd64")
    status = node.setdefault("status", {})
    for field in ("capacity", "allocatable"):
        if isinstance(status.get(field), dict):
            status[field] = {k: as_wire(v) for k, v in status[field].items()}
    node_id = hashlib.md5(meta.get("name", "").encode()).hexdigest()
    capacity = status.setdefault("capacity", dict(status.get("allocatable") or {}))
    capacity.setdefault("pods", "110")
    status.setdefault("allocatable", dict(capacity))
    status.setdefault(
        "conditions",
        [
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "lastHeartbeatTime": now_rfc3339(),
                "lastTransitionTime": now_rfc3339(),
                "message": "kubelet is posting ready status (emulated kubelet)",
            }
        ],
    )
    status.setdefault(
        "nodeInfo",
        {
            "machineID": node_id,
            "systemUUID": node_id,
            "bootID": node_id,
            "kernelVersion": platform.release(),
            "kubeProxyVersion": "v1.31.0-emulated",
            "kubeletVersion": "v1.31.0-emulated",
            "containerRuntimeVersion": "emulated://local-processes",
            "operatingSystem": "linux",
            "architecture": "amd64",
            "osImage": "jupyterhub-fpga Kubernetes emulator",
        },
    )
    node.setdefault("spec", {})


DEFAULTERS = {
    "pods": default_pod,
    "namespaces": default_namespace,
    "secrets": default_secret,
    "persistentvolumeclaims": default_pvc,
    "nodes": default_node,
}
