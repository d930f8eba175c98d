"""The cluster description file (YAML), parsed into dataclasses with clear errors.

An admin-style description of an emulated cluster: nodes with labels, taints
and allocatable resources, cluster-autoscaler node groups (given either as a
node template or as the ASG tags cluster-autoscaler reads on AWS), namespaces
and secrets. Every mistake is reported once, naming the file and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .apiserver.names import label_value_problem, qualified_name_problem, subdomain_problem
from .apiserver.validate_pod import is_extended_resource
from .quantity import QuantityError, is_whole, parse_quantity

ASG_PREFIX = "k8s.io/cluster-autoscaler/node-template/"
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")

# What AWS instance types give a node (vCPU, memory, FPGAs), for node groups
# that name an instanceType instead of spelling out cpu and memory.
INSTANCE_TYPES: dict[str, dict[str, str]] = {
    "f1.2xlarge": {"cpu": "8", "memory": "122Gi"},
    "f1.4xlarge": {"cpu": "16", "memory": "244Gi"},
    "f1.16xlarge": {"cpu": "64", "memory": "976Gi"},
    "f2.6xlarge": {"cpu": "24", "memory": "256Gi"},
    "f2.12xlarge": {"cpu": "48", "memory": "512Gi"},
    "f2.48xlarge": {"cpu": "192", "memory": "2048Gi"},
}


class ClusterConfigError(ValueError):
    """A cluster description that cannot be used; the message names file and field."""


@dataclass
class NodeTemplate:
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[dict[str, str]] = field(default_factory=list)
    allocatable: dict[str, str] = field(default_factory=dict)
    capacity: dict[str, str] = field(default_factory=dict)
    unschedulable: bool = False
    dra: list[DraDevice] = field(default_factory=list)
    """Devices a DRA driver on the node publishes in a ResourceSlice."""
    slots_per_board: dict[str, int] = field(default_factory=dict)
    """Shared boards: resource -> units per board (the AMD plugin's VirtualNum)."""


@dataclass
class DraDevice:
    """One device of a DRA driver: what its ResourceSlice says, and its CDI environment."""

    driver: str
    name: str
    attributes: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    """What the driver's CDI spec would put into a container given the device."""


@dataclass
class NodeSpec:
    name: str
    template: NodeTemplate


@dataclass
class NodeGroupSpec:
    name: str
    template: NodeTemplate
    max_size: int
    min_size: int = 0
    startup_delay_seconds: float = 30.0


@dataclass
class KubeletOptions:
    run_processes: bool = True
    default_command: list[str] = field(default_factory=lambda: ["jupyterhub-singleuser"])
    state_dir: str | None = None
    container_start_delay_seconds: float = 0.0
    restart_backoff_seconds: float = 10.0
    machine_wide_addresses: bool = True
    """Lease pod addresses machine-wide (false: unique within this emulator only)."""


@dataclass
class SchedulerOptions:
    unschedulable_retry_seconds: float = 15.0


@dataclass
class AutoscalerOptions:
    scan_interval_seconds: float = 1.0
    scale_down_unneeded_seconds: float | None = None


@dataclass
class ClusterSpec:
    name: str = "emulated"
    nodes: list[NodeSpec] = field(default_factory=list)
    node_groups: list[NodeGroupSpec] = field(default_factory=list)
    namespaces: list[str] = field(default_factory=list)
    secrets: list[dict[str, Any]] = field(default_factory=list)
    kubelet: KubeletOptions = field(default_factory=KubeletOptions)
    scheduler: SchedulerOptions = field(default_factory=SchedulerOptions)
    autoscaler: AutoscalerOptions = field(default_factory=AutoscalerOptions)
    history_size: int = 10_000
    device_classes: list[dict[str, Any]] = field(default_factory=list)
    """DeviceClass objects (resource.k8s.io/v1) the cluster starts with."""


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> ClusterConfigError:
        return ClusterConfigError(f"{self.source}: {where}: {message}")

    def mapping(self, value: Any, where: str) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(where, f"must be a mapping, got {type(value).__name__}")
        return value

    def items(self, value: Any, where: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(where, f"must be a list, got {type(value).__name__}")
        return value

    def known(self, data: Mapping[str, Any], where: str, allowed: set[str]) -> None:
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise self.fail(where, f"unknown key(s) {unknown}; allowed: {sorted(allowed)}")

    def number(self, value: Any, where: str, minimum: float = 0) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
            raise self.fail(where, f"must be a number >= {minimum}, got {value!r}")
        return float(value)

    def resources(self, value: Any, where: str) -> dict[str, str]:
        result = {}
        for name, amount in self.mapping(value, where).items():
            try:
                parsed = parse_quantity(amount)
            except QuantityError:
                raise self.fail(
                    f"{where}[{name!r}]",
                    f"{amount!r} is not a Kubernetes quantity (e.g. 16, 500m, 64Gi)",
                ) from None
            if is_extended_resource(str(name)) and not is_whole(parsed):
                raise self.fail(
                    f"{where}[{name!r}]", f"{amount!r}: extended resources must be whole numbers"
                )
            result[str(name)] = str(amount)
        return result

    def taints(self, value: Any, where: str) -> list[dict[str, str]]:
        result = []
        for i, taint in enumerate(self.items(value, where)):
            taint = self.mapping(taint, f"{where}[{i}]")
            self.known(taint, f"{where}[{i}]", {"key", "value", "effect"})
            if not taint.get("key") or qualified_name_problem(str(taint["key"])):
                raise self.fail(
                    f"{where}[{i}].key", f"{taint.get('key')!r} is not a valid taint key"
                )
            if taint.get("effect") not in TAINT_EFFECTS:
                raise self.fail(
                    f"{where}[{i}].effect",
                    f"{taint.get('effect')!r}; allowed: {list(TAINT_EFFECTS)}",
                )
            entry = {"key": str(taint["key"]), "effect": taint["effect"]}
            if taint.get("value") not in (None, ""):
                entry["value"] = str(taint["value"])
            result.append(entry)
        return result

    def labels(self, value: Any, where: str) -> dict[str, str]:
        result = {}
        for key, val in self.mapping(value, where).items():
            text = "" if val is None else str(val)
            problem = qualified_name_problem(str(key)) or label_value_problem(text)
            if problem:
                raise self.fail(f"{where}[{key!r}]", problem)
            result[str(key)] = text
        return result

    def template(self, data: Mapping[str, Any], where: str) -> NodeTemplate:
        template = NodeTemplate(
            labels=self.labels(data.get("labels"), f"{where}.labels"),
            taints=self.taints(data.get("taints"), f"{where}.taints"),
            allocatable=self.resources(data.get("allocatable"), f"{where}.allocatable"),
            capacity=self.resources(data.get("capacity"), f"{where}.capacity"),
            unschedulable=bool(data.get("unschedulable", False)),
            dra=self.dra(data.get("dra"), f"{where}.dra"),
        )
        instance = data.get("instanceType")
        if instance is not None:
            if instance not in INSTANCE_TYPES:
                raise self.fail(
                    f"{where}.instanceType", f"{instance!r}; known: {sorted(INSTANCE_TYPES)}"
                )
            for name, amount in INSTANCE_TYPES[instance].items():
                template.allocatable.setdefault(name, amount)
            template.labels.setdefault("node.kubernetes.io/instance-type", instance)
        self.asg_tags(data.get("asgTags"), f"{where}.asgTags", template)
        self.virtual_devices(data.get("virtualDevices"), f"{where}.virtualDevices", template)
        return template

    def dra(self, value: Any, where: str) -> list[DraDevice]:
        """``dra: {driver: ..., devices: [{name, attributes, env}]}`` (one driver per node)."""
        data = self.mapping(value, where)
        if not data:
            return []
        self.known(data, where, {"driver", "devices"})
        driver = str(data.get("driver") or "")
        if not driver or subdomain_problem(driver):
            raise self.fail(f"{where}.driver", f"{driver!r} is not a DNS subdomain")
        devices, names = [], set()
        for i, raw in enumerate(self.items(data.get("devices"), f"{where}.devices")):
            raw = self.mapping(raw, f"{where}.devices[{i}]")
            self.known(raw, f"{where}.devices[{i}]", {"name", "attributes", "env"})
            name = str(raw.get("name") or "")
            if not name or label_value_problem(name) or name in names:
                raise self.fail(f"{where}.devices[{i}].name", f"{name!r}: a unique DNS label")
            names.add(name)
            attributes = {}
            for key, val in self.mapping(raw.get("attributes"), f"{where}.devices[{i}]").items():
                kind = (
                    "bool" if isinstance(val, bool) else "int" if isinstance(val, int) else "string"
                )
                attributes[str(key)] = {kind: val if kind != "string" else str(val)}
            env = {str(k): str(v) for k, v in self.mapping(raw.get("env"), where).items()}
            devices.append(DraDevice(driver, name, attributes, env))
        return devices

    def virtual_devices(self, value: Any, where: str, template: NodeTemplate) -> None:
        """Boards a device plugin offers as several units each (AMD: VirtualDev, VirtualNum).

        ``{resource: {boards: 1, slotsPerBoard: 4}}`` advertises 4 units of the
        resource, and the kubelet hands them out as slots of that board.
        """
        for name, entry in self.mapping(value, where).items():
            here = f"{where}[{name!r}]"
            if not is_extended_resource(str(name)):
                raise self.fail(here, "must be an extended resource name (domain/name)")
            entry = self.mapping(entry, here)
            self.known(entry, here, {"boards", "slotsPerBoard"})
            numbers = {}
            for key, top in (("boards", 10_000), ("slotsPerBoard", 256)):
                number = entry.get(key)
                if (
                    not isinstance(number, int)
                    or isinstance(number, bool)
                    or not 1 <= number <= top
                ):
                    raise self.fail(
                        f"{here}.{key}", f"must be a whole number 1 to {top}, got {number!r}"
                    )
                numbers[key] = number
            if str(name) in template.allocatable:
                raise self.fail(here, "also given under allocatable; give it in one place")
            template.allocatable[str(name)] = str(numbers["boards"] * numbers["slotsPerBoard"])
            template.slots_per_board[str(name)] = numbers["slotsPerBoard"]

    def asg_tags(self, value: Any, where: str, template: NodeTemplate) -> None:
        """cluster-autoscaler's AWS node-template tags: resources/, label/, taint/."""
        for key, val in self.mapping(value, where).items():
            key = str(key)
            if not key.startswith(ASG_PREFIX):
                raise self.fail(f"{where}[{key!r}]", f"tag must start with {ASG_PREFIX!r}")
            kind, _, name = key[len(ASG_PREFIX) :].partition("/")
            if kind == "resources":
                template.allocatable.update(self.resources({name: val}, where))
            elif kind == "label":
                template.labels.update(self.labels({name: val}, where))
            elif kind == "taint":
                taint_value, _, effect = str(val).rpartition(":")
                template.taints += self.taints(
                    [{"key": name, "value": taint_value, "effect": effect}], f"{where}[{key!r}]"
                )
            else:
                raise self.fail(
                    f"{where}[{key!r}]", "tag kind must be resources/, label/ or taint/"
                )


NODE_KEYS = {
    "name",
    "labels",
    "taints",
    "allocatable",
    "capacity",
    "unschedulable",
    "instanceType",
    "asgTags",
    "dra",
    "virtualDevices",
}


def parse_cluster(data: Any, source: str = "<cluster>") -> ClusterSpec:
    r = _Reader(source)
    data = r.mapping(data, "top level")
    r.known(
        data,
        "top level",
        {
            "name",
            "nodes",
            "nodeGroups",
            "namespaces",
            "secrets",
            "kubelet",
            "scheduler",
            "autoscaler",
            "apiServer",
            "deviceClasses",
        },
    )
    spec = ClusterSpec(name=str(data.get("name", "emulated")))
    seen: set[str] = set()
    for i, node in enumerate(r.items(data.get("nodes"), "nodes")):
        where = f"nodes[{i}]"
        node = r.mapping(node, where)
        r.known(node, where, NODE_KEYS)
        name = str(node.get("name") or "")
        if not name or subdomain_problem(name):
            raise r.fail(f"{where}.name", f"{name!r} is not a valid node name (lowercase DNS name)")
        if name in seen:
            raise r.fail(f"{where}.name", f"duplicate node name {name!r}")
        seen.add(name)
        spec.nodes.append(NodeSpec(name, r.template(node, where)))
    for i, group in enumerate(r.items(data.get("nodeGroups"), "nodeGroups")):
        where = f"nodeGroups[{i}]"
        group = r.mapping(group, where)
        r.known(group, where, {"name", "minSize", "maxSize", "startupDelaySeconds", "template"})
        name = str(group.get("name") or "")
        if not name or subdomain_problem(name):
            raise r.fail(
                f"{where}.name", f"{name!r} is not a valid node group name (lowercase DNS name)"
            )
        template = r.mapping(group.get("template"), f"{where}.template")
        r.known(template, f"{where}.template", NODE_KEYS - {"name"})
        max_size = group.get("maxSize")
        if not isinstance(max_size, int) or isinstance(max_size, bool) or max_size < 0:
            raise r.fail(f"{where}.maxSize", f"must be a whole number >= 0, got {max_size!r}")
        min_size = group.get("minSize", 0)
        if not isinstance(min_size, int) or not 0 <= min_size <= max_size:
            raise r.fail(
                f"{where}.minSize",
                f"must be a whole number between 0 and maxSize ({max_size}), got {min_size!r}",
            )
        spec.node_groups.append(
            NodeGroupSpec(
                name,
                r.template(template, f"{where}.template"),
                max_size=max_size,
                min_size=min_size,
                startup_delay_seconds=r.number(
                    group.get("startupDelaySeconds", 30), f"{where}.startupDelaySeconds"
                ),
            )
        )
    for i, ns in enumerate(r.items(data.get("namespaces"), "namespaces")):
        if not isinstance(ns, str) or subdomain_problem(ns):
            raise r.fail(f"namespaces[{i}]", f"{ns!r} is not a valid namespace name")
        spec.namespaces.append(ns)
    for i, secret in enumerate(r.items(data.get("secrets"), "secrets")):
        where = f"secrets[{i}]"
        secret = dict(r.mapping(secret, where))
        r.known(secret, where, {"name", "namespace", "type", "data", "stringData", "labels"})
        if not secret.get("name") or not secret.get("namespace"):
            raise r.fail(where, "needs both name and namespace")
        spec.secrets.append(secret)
    kubelet = r.mapping(data.get("kubelet"), "kubelet")
    r.known(
        kubelet,
        "kubelet",
        {
            "runProcesses",
            "defaultCommand",
            "stateDir",
            "containerStartDelaySeconds",
            "restartBackoffSeconds",
            "machineWideAddresses",
        },
    )
    command = kubelet.get("defaultCommand", ["jupyterhub-singleuser"])
    if not isinstance(command, list) or not all(isinstance(c, str) for c in command):
        raise r.fail("kubelet.defaultCommand", "must be a list of strings")
    spec.kubelet = KubeletOptions(
        run_processes=bool(kubelet.get("runProcesses", True)),
        default_command=command,
        state_dir=kubelet.get("stateDir"),
        container_start_delay_seconds=r.number(
            kubelet.get("containerStartDelaySeconds", 0), "kubelet.containerStartDelaySeconds"
        ),
        restart_backoff_seconds=r.number(
            kubelet.get("restartBackoffSeconds", 10), "kubelet.restartBackoffSeconds", 0.01
        ),
        machine_wide_addresses=kubelet.get("machineWideAddresses", True) is not False,
    )
    sched = r.mapping(data.get("scheduler"), "scheduler")
    r.known(sched, "scheduler", {"unschedulableRetrySeconds"})
    spec.scheduler = SchedulerOptions(
        r.number(
            sched.get("unschedulableRetrySeconds", 15), "scheduler.unschedulableRetrySeconds", 0.05
        )
    )
    scaler = r.mapping(data.get("autoscaler"), "autoscaler")
    r.known(scaler, "autoscaler", {"scanIntervalSeconds", "scaleDownUnneededSeconds"})
    down = scaler.get("scaleDownUnneededSeconds")
    spec.autoscaler = AutoscalerOptions(
        r.number(scaler.get("scanIntervalSeconds", 1), "autoscaler.scanIntervalSeconds", 0.05),
        None if down is None else r.number(down, "autoscaler.scaleDownUnneededSeconds"),
    )
    api_server = r.mapping(data.get("apiServer"), "apiServer")
    r.known(api_server, "apiServer", {"historySize"})
    spec.history_size = int(
        r.number(api_server.get("historySize", 10_000), "apiServer.historySize", 1)
    )
    for i, klass in enumerate(r.items(data.get("deviceClasses"), "deviceClasses")):
        where = f"deviceClasses[{i}]"
        klass = r.mapping(klass, where)
        r.known(klass, where, {"name", "selectors"})
        selectors = r.items(klass.get("selectors"), f"{where}.selectors")
        spec.device_classes.append(
            {
                "metadata": {"name": str(klass.get("name") or "")},
                "spec": {"selectors": [{"cel": {"expression": str(s)}} for s in selectors]},
            }
        )
    return spec


def load_cluster_file(path: str | Path) -> ClusterSpec:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ClusterConfigError(f"{path}: cannot read the cluster file: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ClusterConfigError(f"{path}: not valid YAML: {exc}") from None
    return parse_cluster(data, str(path))
