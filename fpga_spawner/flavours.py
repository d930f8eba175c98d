"""What each FPGA device plugin expects of a pod.

The plugins differ in how their extended resource is named, which labels a pod
must carry, and what they inject into the container. Keeping those facts in one
table means a catalog entry only has to name its flavour; everything else about
"how do I ask this plugin for a board" is derived here. The facts:
docs/upstream-facts.md, "FPGA device plugins".

The AMD-Xilinx plugin names a board from what XRT's xocl driver publishes
(``amd_resource_name``, shared with the pod's device discovery). For an AWS
F2 xocl writes that itself, so the names an F2 can be advertised under are
known, and a catalog entry that names any other F2 is refused: its pods would
stay Pending forever.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from jupyter_ext.discovery.boards import (
    AMD_PREFIX,
    AWS_F2_SMALL_SHELL,
    AWS_F2_VBNV_HEAD,
    AWS_F2_VBNV_TAIL,
    AWS_SHELL_TIMESTAMP,
    LEGACY_PREFIX,
    amd_resource_name,
    aws_f2_vbnv,
    board_from_vbnv,
    is_aws_f2_vbnv,
    legacy_resource_name,
)

__all__ = [
    "EXTENDED_RESOURCE_RE",
    "FLAVOURS",
    "Flavour",
    "amd_resource_name",
    "legacy_resource_name",
    "resource_problem",
]

# A Kubernetes extended resource name: an optional DNS-subdomain prefix and a
# name of at most 63 characters ([A-Za-z0-9][-A-Za-z0-9_.]*).
_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_DOMAIN = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
EXTENDED_RESOURCE_RE = re.compile(rf"^{_DOMAIN}/{_NAME}$")


@dataclass(frozen=True)
class Flavour:
    """One device plugin: how its resource is named and what a pod needs to carry."""

    slug: str
    description: str
    resource_pattern: re.Pattern[str]
    resource_example: str
    pod_labels: dict[str, str] = field(default_factory=dict)
    shares_boards: str = ""
    """How the plugin offers one board as several units ("" when it cannot).

    Only then may a catalog entry give ``slots_per_board`` above 1: with any
    other plugin a pod asking for one unit gets a whole board, and the form
    would promise slots the cluster does not have."""


FLAVOURS: dict[str, Flavour] = {
    flavour.slug: flavour
    for flavour in (
        Flavour(
            "amd",
            "AMD-Xilinx FPGA device plugin (Xilinx/FPGA_as_a_Service, since 2022-08)",
            re.compile(r"^amd\.com/[A-Za-z0-9][-A-Za-z0-9_.]*$"),
            "amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0",
            shares_boards="the plugin's VirtualDev=true with VirtualNum=<slots per board>",
        ),
        Flavour(
            "xilinx-legacy",
            "Xilinx FPGA device plugin before 2022-08",
            re.compile(r"^xilinx\.com/fpga-[A-Za-z0-9][-A-Za-z0-9_.]*$"),
            "xilinx.com/fpga-xilinx_u200_xdma_201830_1-1542252769",
        ),
        Flavour(
            "inaccel",
            "InAccel FPGA operator",
            re.compile(r"^(xilinx|intel)/[a-z0-9][-a-z0-9_.]*$"),
            "xilinx/u250",
            pod_labels={"inaccel/fpga": "enabled"},
        ),
        Flavour(
            # af-/region- names are what the plugin advertises; its admission webhook
            # turns an admin's alias (an AcceleratorFunction or FpgaRegion name, such
            # as arria10.dcp1.2-nlb0-preprogrammed) into one of them.
            "intel",
            "Intel FPGA device plugin (af-/region- names, or an alias its webhook maps)",
            re.compile(r"^fpga\.intel\.com/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"),
            "fpga.intel.com/region-ce48969398f05f33946d560708be108a",
        ),
        Flavour(
            "bcom",
            "b-com generic accelerator device plugin",
            re.compile(r"^b-com\.com/accelerator$"),
            "b-com.com/accelerator",
        ),
        Flavour(
            # Not a device plugin: the board is asked for through a ResourceClaim
            # (fpga_spawner.dra); the name is the DeviceClass's KEP-5004 alias.
            "dra",
            "Kubernetes Dynamic Resource Allocation (resource.k8s.io/v1) DeviceClass",
            re.compile(r"^deviceclass\.resource\.kubernetes\.io/[a-z0-9][-a-z0-9.]*$"),
            "deviceclass.resource.kubernetes.io/fpga.amd.com",
        ),
    )
}


_NAMED_FROM_THE_ROM = {"amd": amd_resource_name, "xilinx-legacy": legacy_resource_name}
_PREFIXES = {"amd": AMD_PREFIX, "xilinx-legacy": LEGACY_PREFIX}


def _aws_f2_problem(flavour_slug: str, resource: str) -> str | None:
    """An F2 resource name that XRT's xocl driver could never lead the plugin to advertise."""
    name = _NAMED_FROM_THE_ROM.get(flavour_slug)
    if name is None:
        return None
    vbnv, _, stamp = resource.removeprefix(_PREFIXES[flavour_slug]).rpartition("-")
    if board_from_vbnv(vbnv) != "aws-vu47p-f2":
        return None
    if is_aws_f2_vbnv(vbnv) and stamp == str(AWS_SHELL_TIMESTAMP):
        return None
    example = name(aws_f2_vbnv(AWS_F2_SMALL_SHELL), AWS_SHELL_TIMESTAMP)
    return (
        "is not a name the device plugin gives an AWS F2: XRT's driver names every F2 "
        f"{AWS_F2_VBNV_HEAD}<shell version in hex> ({AWS_F2_VBNV_TAIL} follows an 8-digit "
        f"version) with timestamp {AWS_SHELL_TIMESTAMP}, so with the F2 Small Shell "
        f"(0x{AWS_F2_SMALL_SHELL:08x}) a node offers {example!r}. Copy the name from Allocatable "
        "in `kubectl describe node`"
    )


def resource_problem(flavour_slug: str, resource: str) -> str | None:
    """Why `resource` cannot be this flavour's resource name, or None if it can."""
    flavour = FLAVOURS[flavour_slug]
    if not EXTENDED_RESOURCE_RE.match(resource) or len(resource.split("/", 1)[1]) > 63:
        return "is not a valid Kubernetes extended resource name (domain/name)"
    if not flavour.resource_pattern.match(resource):
        return (
            f"does not look like a {flavour.description} resource "
            f"(expected something like {flavour.resource_example!r})"
        )
    return _aws_f2_problem(flavour_slug, resource)
