"""EMBEDDED_METADATA: the XML XRT's runtime reads for kernel arguments.

Same element and attribute names as the XML v++ embeds (``project/platform/
device/core/kernel`` with ``port``, ``arg`` and ``instance`` children), written
from the kernel rows of ``xclbin_specs.kernel_model``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any


def embedded_xml(platform: str, models: list[dict[str, Any]]) -> str:
    project = ET.Element("project", name="jupyterhub-fpga")
    plat = ET.SubElement(project, "platform", vendor="xilinx", boardid="", name=platform)
    device = ET.SubElement(plat, "device", name="fpga0")
    core = ET.SubElement(device, "core", name="OCL_REGION_0", target="bitstream", type="clc_region")
    for m in models:
        kern = ET.SubElement(
            core,
            "kernel",
            name=m["name"],
            language="c",
            vlnv=f"jupyterhub-fpga:hls:{m['name']}:1.0",
            hwControlProtocol={0: "ap_ctrl_hs", 1: "ap_ctrl_chain", 2: "ap_ctrl_none"}.get(
                m["control_protocol"], "ap_ctrl_hs"
            ),
        )
        for p in m["ports"]:
            ET.SubElement(
                kern,
                "port",
                name=p["name"],
                mode=p["mode"],
                range=p["range"],
                dataWidth=p["data_width"],
                portType=p["port_type"],
                base=p["base"],
            )
        for a in m["arguments"]:
            ET.SubElement(
                kern,
                "arg",
                name=a["name"],
                addressQualifier=a["address_qualifier"],
                id=a["id"],
                port=a["port"],
                size=a["size"],
                offset=a["offset"],
                hostOffset=a["host_offset"],
                hostSize=a["host_size"],
                type=a["type"],
            )
        for inst in m["instances"]:
            el = ET.SubElement(kern, "instance", name=inst["name"])
            ET.SubElement(
                el, "addrRemap", base=f"0x{inst['base']:x}", range="0x10000", port="S_AXI_CONTROL"
            )
    ET.indent(project)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(project, encoding="unicode") + "\n"
    )
