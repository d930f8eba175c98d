"""A catalog built from the cluster itself, for a hub configured with nothing but the spawner.

With ``c.JupyterHub.spawner_class = "fpga"`` and no catalog, FPGASpawner
reads the nodes' allocatable resources, keeps those the known device plugins
advertise (:mod:`.flavours`), and makes one board per resource name:

- platform and a human name from the resource name: the AMD plugin names a
  board after its shell's VBNV (``amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0``
  is the shell ``xilinx_u250_gen3x16_xdma_shell_4_1`` of an Alveo U250), read
  with the same naming rules the pod's discovery uses;
- on-premises or cloud from the nodes: the ``fpga.jupyterhub.io/location``
  label when set, else a cloud provider's marks (``spec.providerID``, managed
  node-group labels, an AWS FPGA instance type);
- tolerations for the FPGA taints those nodes carry, and at most as many
  boards per user as one node holds.

Pure: it takes node objects as the API returns them (or as ``kubectl get
nodes -o json`` prints them) and returns plain catalog entries, which then go
through the same validation as an admin's catalog.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from jupyter_ext.discovery.boards import (
    AMD_PREFIX,
    BOARD_NAMES,
    LEGACY_PREFIX,
    U30_COMMON_NAME,
    board_from_vbnv,
)

from .flavours import FLAVOURS
from .pod_patch import LOCATION_LABEL
from .quantity import QuantityError, whole_count

#: Boards the shared table (jupyter_ext/discovery/boards.py) does not name yet.
MORE_BOARD_NAMES = {
    "u30": "AMD Alveo U30",
    "u45n": "AMD Alveo U45N",
    "u50lv": "AMD Alveo U50LV",
    "u55n": "AMD Alveo U55N",
    "vck190": "AMD Versal VCK190",
    "vpk120": "AMD Versal VPK120",
}
#: Marks of a managed cloud node: provider IDs and node-group labels.
CLOUD_PROVIDER_IDS = ("aws://", "gce://", "azure://", "oci://", "ibm://", "alicloud://")
CLOUD_LABEL_PREFIXES = (
    "eks.amazonaws.com/",
    "alpha.eksctl.io/",
    "cloud.google.com/",
    "kubernetes.azure.com/",
    "oci.oraclecloud.com/",
)
_AWS_FPGA_INSTANCE = re.compile(r"^f[12]\.")
MAX_PER_USER = 8


def plugin_of(resource: str) -> str:
    """The flavour whose resource names look like this one, or "" (not an FPGA)."""
    for slug, flavour in FLAVOURS.items():
        if slug != "dra" and flavour.resource_pattern.match(resource):
            return slug
    return ""


def describe_resource(resource: str) -> tuple[str, str, str]:
    """(board code, human name, platform) for a device plugin's resource name."""
    name = resource.split("/", 1)[-1]
    if resource.startswith((AMD_PREFIX, LEGACY_PREFIX)):
        if name == U30_COMMON_NAME:
            return "u30", MORE_BOARD_NAMES["u30"], ""
        platform = name.removeprefix("fpga-").rpartition("-")[0] or name
        board = board_from_vbnv(platform)
    elif plugin_of(resource) == "inaccel":  # xilinx/u250, intel/pac_a10
        platform, board = "", name
    else:
        platform, board = "", ""
    human = BOARD_NAMES.get(board) or MORE_BOARD_NAMES.get(board) or board.upper()
    if not board:
        human = platform or resource
    return board, human, platform


def node_location(node: Mapping[str, Any]) -> str:
    """ "on-premises" or "cloud", from the location label or a cloud provider's marks."""
    meta, spec = node.get("metadata") or {}, node.get("spec") or {}
    labels = meta.get("labels") or {}
    if labels.get(LOCATION_LABEL) in ("on-premises", "cloud"):
        return str(labels[LOCATION_LABEL])
    if str(spec.get("providerID") or "").startswith(CLOUD_PROVIDER_IDS):
        return "cloud"
    if any(str(k).startswith(CLOUD_LABEL_PREFIXES) for k in labels):
        return "cloud"
    instance = str(labels.get("node.kubernetes.io/instance-type") or "")
    return "cloud" if _AWS_FPGA_INSTANCE.match(instance) else "on-premises"


def _fpga_taint(taint: Any, resource: str) -> bool:
    """A taint that keeps non-FPGA pods off FPGA nodes (what an FPGA pod must tolerate)."""
    if not isinstance(taint, Mapping) or taint.get("effect") not in ("NoSchedule", "NoExecute"):
        return False
    key = str(taint.get("key") or "")
    return key == resource or "fpga" in key.lower()


def _slug(board: str, platform: str, resource: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", (board or platform or resource).lower()).strip("-")
    base = (base or "fpga")[:55].rstrip("-")
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def discover_boards(nodes: Iterable[Any]) -> list[dict[str, Any]]:
    """Catalog ``boards`` entries for the FPGAs these nodes offer, in resource-name order."""
    found: dict[str, dict[str, Any]] = {}
    for node in nodes:
        if not isinstance(node, Mapping):
            continue
        status = node.get("status") or {}
        allocatable = status.get("allocatable") or status.get("capacity") or {}
        if not isinstance(allocatable, Mapping):
            continue
        for resource, quantity in allocatable.items():
            if not isinstance(resource, str) or not plugin_of(resource):
                continue
            try:
                count = whole_count(quantity)
            except QuantityError:
                continue
            if count < 1:
                continue
            entry = found.setdefault(
                resource, {"most": 0, "nodes": 0, "locations": set(), "taints": {}}
            )
            entry["most"] = max(entry["most"], count)
            entry["nodes"] += 1
            entry["locations"].add(node_location(node))
            for taint in (node.get("spec") or {}).get("taints") or []:
                if _fpga_taint(taint, resource):
                    entry["taints"][(taint["key"], taint["effect"])] = None
    boards: list[dict[str, Any]] = []
    taken: set[str] = set()
    for resource in sorted(found):
        facts = found[resource]
        board, human, platform = describe_resource(resource)
        location = "on-premises" if "on-premises" in facts["locations"] else "cloud"
        board_entry: dict[str, Any] = {
            "slug": _slug(board, platform, resource, taken),
            "display_name": human,
            "description": f"{human} ({platform or resource}), found on "
            f"{facts['nodes']} node{'s' if facts['nodes'] > 1 else ''} of the cluster",
            "plugin": plugin_of(resource),
            "resource": resource,
            "location": location,
            "max_per_user": min(facts["most"], MAX_PER_USER),
        }
        if platform:
            board_entry["platform"] = platform
        if facts["taints"]:
            board_entry["tolerations"] = [
                {"key": key, "operator": "Exists", "effect": effect}
                for key, effect in sorted(facts["taints"])
            ]
        boards.append(board_entry)
    return boards
