"""What ``xclbinutil --info`` derives from an xclbin, as values, for the text and JSON reports.

Most of the report is the file's own content, but xclbinutil adds and
overrides a few things while it loads a file, before it prints anything
(XclBinUtilMain.cxx, XclBinClass.cxx, FormattedOutput.cxx in XRT 2.25):

* with MEM_TOPOLOGY and no bank-grouping sections, it builds GROUP_CONNECTIVITY
  and GROUP_TOPOLOGY in memory, so they appear in the section list;
* with PARTITION_METADATA, the first interface UUID replaces the header's
  interface UUID ("Static UUID");
* platform facts are looked up under ``platform.`` and then ``dsa.`` of
  BUILD_METADATA, with ``--`` for anything missing.

Keeping these rules here lets both renderers show the same thing.
"""

from __future__ import annotations

import uuid as _uuid

from . import format as fmt
from .model import IpEntry, Xclbin
from .ptree import PTree


def meta_tree(x: Xclbin) -> PTree | None:
    """BUILD_METADATA's tree, or None when xclbinutil would call it "not present"."""
    return None if x.build_tree is None or x.build_tree.empty() else x.build_tree


def platform_value(meta: PTree, name: str) -> str:
    """``platform.<name>``, else ``dsa.<name>``, else ``--`` (getPTreeValue)."""
    value = meta.get("platform." + name, "--")
    return meta.get("dsa." + name, "--") if value == "--" else value


def fpga_device(meta: PTree) -> str:
    """The part's family, what precedes the first ``-`` of ``board.part``."""
    part = platform_value(meta, "board.part")
    return part if part == "--" else (part.split("-", 1)[0] if "-" in part else "--")


def generated_version(meta: PTree) -> str:
    text = (
        f"{platform_value(meta, 'generated_by.name')} "
        f"{platform_value(meta, 'generated_by.version')} "
        f"(SW Build: {platform_value(meta, 'generated_by.cl')}"
    )
    ip_cl = platform_value(meta, "generated_by.ip_cl")
    return text + (f"; {ip_cl}" if ip_cl != "--" else "") + ")"


def generated_by_line(meta: PTree | None) -> str:
    """``xclbin Information``'s first line: ``tool (version) on time``."""
    tool = meta.get("xclbin.generated_by.name") if meta else ""
    if not tool or meta is None:
        return "<unknown>"
    version = meta.get("xclbin.generated_by.version")
    return f"{tool} ({version}) on {meta.get('xclbin.generated_by.time_stamp')}"


def metadata_kernel_names(meta: PTree | None) -> list[str] | None:
    """Kernel names of BUILD_METADATA's user regions (None: no metadata)."""
    if meta is None:
        return None
    xclbin = meta.find("xclbin")
    return [
        name
        for region in (xclbin.vector("user_regions") if xclbin else [])
        for k in region.vector("kernels")
        if (name := k.get("name"))
    ]


def signature_state(x: Xclbin) -> str:
    """The ``Signature:`` value: a PKCS signature, else an appended user signature."""
    if x.signature_length >= 0 and x.length == x.file_size:
        offset = (x.length - x.signature_length) % 2**64
        return f"Present - Signed PKCS - Offset: 0x{offset:x}, Size: 0x{x.signature_length:x}"
    if x.user_signature is not None:
        return "Present - " + x.user_signature
    return ""


def action_masks(mask: int) -> list[str]:
    return [name for bit, name in ((1, "LOAD_AIE"), (2, "LOAD_PDI")) if mask & bit]


def section_names(x: Xclbin) -> list[str]:
    """The file's sections as xclbinutil names them, ``KIND[index name]`` where it has one."""
    out = []
    for s in x.sections:
        name = fmt.INFO_KIND_NAMES.get(s.kind) or fmt.SECTION_KINDS.get(s.kind, s.kind_name)
        out.append(f"{name}[{s.index_name}]" if s.index_name else name)
    return out


def sections_added_in_memory(x: Xclbin) -> list[str]:
    """GROUP_* sections xclbinutil builds while loading a file that has none (see above)."""
    if x.section("GROUP_TOPOLOGY") or x.section("GROUP_CONNECTIVITY"):
        return []
    if x.section("MEM_TOPOLOGY") is None or not x.mem_topology:
        return []
    added = ["GROUP_CONNECTIVITY"] if x.section("CONNECTIVITY") and x.connectivity else []
    return [*added, "GROUP_TOPOLOGY"]


def static_uuid(x: Xclbin) -> str:
    """The header's interface UUID, or PARTITION_METADATA's first interface UUID."""
    if x.partition_interfaces and x.partition_interfaces[0]:
        raw = x.partition_interfaces[0][0].replace("-", "")
        try:
            return str(_uuid.UUID(hex=raw)) if len(raw) == 32 else x.interface_uuid
        except ValueError:
            return x.interface_uuid
    return x.interface_uuid


def base_address(ip: IpEntry) -> str:
    return "not_used" if ip.base_address is None else f"0x{ip.base_address:x}"


def command_options(cmdline: str) -> list[str]:
    """The command line cut before each `` -`` (xclbinutil's option list, first token dropped)."""
    tokens, last = [], 0
    while True:
        pos = cmdline.find(" -", last)
        if pos < 0:
            tokens.append(cmdline[last:])
            break
        tokens.append(cmdline[last:pos])
        last = pos + 1
    return tokens[1:]
