"""What each FPGA device plugin expects of a pod.

The plugins differ in how their extended resource is named, which labels a pod
must carry, and what they inject into the container. Keeping those facts in one
table means a catalog entry only has to name its flavour; everything else about
"how do I ask this plugin for a board" is derived here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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


FLAVOURS: dict[str, Flavour] = {
    flavour.slug: flavour
    for flavour in (
        Flavour(
            "amd",
            "AMD-Xilinx FPGA device plugin (Xilinx/FPGA_as_a_Service, since 2022-08)",
            re.compile(r"^amd\.com/[A-Za-z0-9][-A-Za-z0-9_.]*$"),
            "amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0",
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
            "intel",
            "Intel FPGA device plugin (af- or region- mode)",
            re.compile(r"^fpga\.intel\.com/(af|region)-[A-Za-z0-9][-A-Za-z0-9_.]*$"),
            "fpga.intel.com/region-ce48969398f05f33946d560708be108a",
        ),
        Flavour(
            "bcom",
            "b-com generic accelerator device plugin",
            re.compile(r"^b-com\.com/accelerator$"),
            "b-com.com/accelerator",
        ),
    )
}


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
    return None
