"""Table output (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`).

`kubectl get` asks the server to render its rows: the columns are the API
server's for each kind (a pod's READY, STATUS, RESTARTS, AGE, and with
`-o wide` its IP and NODE), the cells computed the way its printers compute
them (a pod shows ContainerCreating, CrashLoopBackOff, Terminating or
Completed rather than its bare phase). Each row carries the object's metadata
(`includeObject=Metadata`, the default), the whole object, or nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from ..clock import parse_time

Row = list[Any]
Column = tuple[str, str, int]  # name, type, priority (1: only with -o wide)


def wants_table(accept: str) -> bool:
    return any(
        "as=Table" in part
        and "g=meta.k8s.io" in part
        and ("v=v1;" in part + ";" or "v=v1beta1" in part)  # fmt: skip
        for part in accept.split(",")
    )


def age(timestamp: str | None, now: float | None = None) -> str:
    """duration.HumanDuration of the time since `timestamp`, as kubectl shows AGE."""
    if not timestamp:
        return "<unknown>"
    seconds = int((now or time.time()) - parse_time(timestamp))
    if seconds < 0:
        return "<invalid>"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 120:
        return f"{seconds}s"
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 192:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    return f"{days // 365}y{days % 365}d" if days < 365 * 8 else f"{days // 365}y"


def _pod_status(pod: Mapping[str, Any]) -> str:
    status, meta = pod.get("status") or {}, pod["metadata"]
    reason = status.get("reason") or status.get("phase") or "Unknown"
    for state in status.get("initContainerStatuses") or []:
        current = state.get("state") or {}
        if "terminated" in current and current["terminated"].get("exitCode") == 0:
            continue
        waiting = current.get("waiting") or {}
        if waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = f"Init:{waiting['reason']}"
            break
    else:
        for state in reversed(status.get("containerStatuses") or []):
            current = state.get("state") or {}
            if (current.get("waiting") or {}).get("reason"):
                reason = current["waiting"]["reason"]
            elif (current.get("terminated") or {}).get("reason"):
                reason = current["terminated"]["reason"]
    if meta.get("deletionTimestamp"):
        reason = "Terminating"
    return reason


def _pod(pod: Mapping[str, Any]) -> Row:
    status, spec = pod.get("status") or {}, pod.get("spec") or {}
    states = status.get("containerStatuses") or []
    ready = sum(1 for s in states if s.get("ready"))
    restarts = sum(int(s.get("restartCount") or 0) for s in states)
    return [
        pod["metadata"]["name"], f"{ready}/{len(spec.get('containers') or [])}", _pod_status(pod),
        restarts, age(pod["metadata"].get("creationTimestamp")), status.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>", status.get("nominatedNodeName") or "<none>", "<none>",
    ]  # fmt: skip


def _node(node: Mapping[str, Any]) -> Row:
    status, spec = node.get("status") or {}, node.get("spec") or {}
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {})
    shown = "Ready" if ready.get("status") == "True" else "NotReady"
    if spec.get("unschedulable"):
        shown += ",SchedulingDisabled"
    addresses = {a["type"]: a["address"] for a in status.get("addresses") or []}
    info = status.get("nodeInfo") or {}
    labels = node["metadata"].get("labels") or {}
    roles = sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/"))
    return [
        node["metadata"]["name"], shown, ",".join(roles) or "<none>",
        age(node["metadata"].get("creationTimestamp")), info.get("kubeletVersion", ""),
        addresses.get("InternalIP", "<none>"), addresses.get("ExternalIP", "<none>"),
        info.get("osImage", ""), info.get("kernelVersion", ""), info.get("containerRuntimeVersion", ""),
    ]  # fmt: skip


def _service(svc: Mapping[str, Any]) -> Row:
    spec = svc.get("spec") or {}
    ports = ",".join(
        f"{p['port']}{'/' + str(p['nodePort']) if p.get('nodePort') else ''}/{p.get('protocol', 'TCP')}"
        for p in spec.get("ports") or []
    )
    selector = ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items()))
    return [
        svc["metadata"]["name"], spec.get("type", "ClusterIP"), spec.get("clusterIP") or "<none>",
        ",".join(spec.get("externalIPs") or []) or "<none>", ports or "<none>",
        age(svc["metadata"].get("creationTimestamp")), selector or "<none>",
    ]  # fmt: skip


def _endpoints(ep: Mapping[str, Any]) -> Row:
    pairs = [
        f"{a['ip']}:{p['port']}"
        for subset in ep.get("subsets") or []
        for a in subset.get("addresses") or []
        for p in subset.get("ports") or [{"port": ""}]
    ]
    shown = ",".join(pairs[:3]) + (f" + {len(pairs) - 3} more..." if len(pairs) > 3 else "")
    return [ep["metadata"]["name"], shown or "<none>", age(ep["metadata"].get("creationTimestamp"))]


def _event(ev: Mapping[str, Any]) -> Row:
    involved = ev.get("involvedObject") or {}
    stamp = ev.get("lastTimestamp") or ev.get("eventTime")
    return [
        age(stamp), ev.get("type", ""), ev.get("reason", ""),
        f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}", ev.get("message", ""),
    ]  # fmt: skip


def _created(obj: Mapping[str, Any]) -> str:
    return age(obj["metadata"].get("creationTimestamp"))


N, S, INT = "name", "string", "integer"
KINDS: dict[str, tuple[list[Column], Callable[[Mapping[str, Any]], Row]]] = {
    "Pod": (
        [("Name", N, 0), ("Ready", S, 0), ("Status", S, 0), ("Restarts", INT, 0), ("Age", S, 0),
         ("IP", S, 1), ("Node", S, 1), ("Nominated Node", S, 1), ("Readiness Gates", S, 1)],
        _pod,
    ),
    "Node": (
        [("Name", N, 0), ("Status", S, 0), ("Roles", S, 0), ("Age", S, 0), ("Version", S, 0),
         ("Internal-IP", S, 1), ("External-IP", S, 1), ("OS-Image", S, 1), ("Kernel-Version", S, 1),
         ("Container-Runtime", S, 1)],
        _node,
    ),
    "Service": (
        [("Name", N, 0), ("Type", S, 0), ("Cluster-IP", S, 0), ("External-IP", S, 0),
         ("Port(s)", S, 0), ("Age", S, 0), ("Selector", S, 1)],
        _service,
    ),
    "Endpoints": ([("Name", N, 0), ("Endpoints", S, 0), ("Age", S, 0)], _endpoints),
    "Event": (
        [("Last Seen", S, 0), ("Type", S, 0), ("Reason", S, 0), ("Object", S, 0), ("Message", S, 0)],
        _event,
    ),
    "Namespace": (
        [("Name", N, 0), ("Status", S, 0), ("Age", S, 0)],
        lambda o: [o["metadata"]["name"], (o.get("status") or {}).get("phase", ""), _created(o)],
    ),
    "Secret": (
        [("Name", N, 0), ("Type", S, 0), ("Data", INT, 0), ("Age", S, 0)],
        lambda o: [o["metadata"]["name"], o.get("type", ""), len(o.get("data") or {}), _created(o)],
    ),
    "ConfigMap": (
        [("Name", N, 0), ("Data", INT, 0), ("Age", S, 0)],
        lambda o: [o["metadata"]["name"], len(o.get("data") or {}) + len(o.get("binaryData") or {}), _created(o)],
    ),
    "PersistentVolumeClaim": (
        [("Name", N, 0), ("Status", S, 0), ("Volume", S, 0), ("Capacity", S, 0),
         ("Access Modes", S, 0), ("StorageClass", S, 0), ("Age", S, 0)],
        lambda o: [
            o["metadata"]["name"], (o.get("status") or {}).get("phase", ""),
            (o.get("spec") or {}).get("volumeName", ""),
            ((o.get("status") or {}).get("capacity") or {}).get("storage", ""),
            ",".join({"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX",
                      "ReadWriteOncePod": "RWOP"}.get(m, m)
                     for m in (o.get("status") or {}).get("accessModes") or []),
            (o.get("spec") or {}).get("storageClassName") or "<unset>", _created(o),
        ],
    ),
    "ServiceAccount": (
        [("Name", N, 0), ("Secrets", INT, 0), ("Age", S, 0)],
        lambda o: [o["metadata"]["name"], len(o.get("secrets") or []), _created(o)],
    ),
}  # fmt: skip


def to_table(
    kind: str, items: list[Mapping[str, Any]], resource_version: str, include: str = "Metadata"
) -> dict[str, Any]:
    columns, row = KINDS.get(kind) or ([("Name", N, 0), ("Created At", "date", 0)], lambda o: [o["metadata"]["name"], o["metadata"].get("creationTimestamp")])  # fmt: skip
    rows = []
    for item in items:
        entry: dict[str, Any] = {"cells": row(item)}
        if include == "Object":
            entry["object"] = {"kind": kind, "apiVersion": "v1", **item}
        elif include != "None":
            entry["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": item["metadata"],
            }
        rows.append(entry)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": [
            {
                "name": name,
                "type": "string" if type_ == N else type_,
                "format": "name" if type_ == N else "",
                "description": "",
                "priority": priority,
            }  # fmt: skip
            for name, type_, priority in columns
        ],
        "rows": rows,
    }
