"""Kernels as one picture: metadata (arguments) joined with IP_LAYOUT and CONNECTIVITY.

No section holds a whole kernel. BUILD_METADATA or EMBEDDED_METADATA give its
arguments, IP_LAYOUT the address of each compute unit (``kernel:instance``),
CONNECTIVITY which banks each argument of each unit reaches. The runtime, the
magics and the repository want the joined view; the join indexes connections
by compute unit first, so its cost is linear in the sizes of the tables.
"""

from __future__ import annotations

from collections.abc import Sequence

from .metadata import MetaKernel
from .model import Connection, IpEntry, Kernel, KernelInstance, MemBank


def kernels(
    metas: Sequence[MetaKernel],
    xml_kernels: Sequence[MetaKernel],
    ips: Sequence[IpEntry],
    mems: Sequence[MemBank],
    conns: Sequence[Connection],
) -> tuple[Kernel, ...]:
    """Every kernel named by the metadata or by a kernel entry of IP_LAYOUT, in that order."""
    xml_by_name = {m.name: m for m in xml_kernels}
    meta_by_name: dict[str, MetaKernel] = {}
    for mk in metas:
        meta_by_name.setdefault(mk.name, mk)
    ip_instances: dict[str, dict[str, IpEntry]] = {}
    for ip in ips:
        if ip.control_protocol is None:
            continue  # not a kernel
        kname, _, iname = ip.name.partition(":")
        ip_instances.setdefault(kname, {}).setdefault(iname or kname, ip)
    by_ip: dict[int, list[Connection]] = {}
    for c in conns:
        by_ip.setdefault(c.ip_index, []).append(c)

    out = []
    for name in dict.fromkeys([mk.name for mk in metas] + list(ip_instances)):
        m = meta_by_name.get(name) or xml_by_name.get(name)
        args = m.args if m else ()
        if m and not args and name in xml_by_name:
            args = xml_by_name[name].args  # BUILD_METADATA without args: use the XML's
        by_inst = ip_instances.get(name, {})
        inst_names = list(m.instances if m else ()) + [
            n for n in by_inst if not m or n not in m.instances
        ]
        instances = []
        for iname in dict.fromkeys(inst_names):
            found = by_inst.get(iname)
            memory: dict[int, tuple[str, ...]] = {}
            for c in by_ip.get(found.index, []) if found is not None else []:
                tag = mems[c.mem_index].tag
                if tag not in memory.get(c.arg_index, ()):
                    memory[c.arg_index] = (*memory.get(c.arg_index, ()), tag)
            instances.append(
                KernelInstance(
                    name=iname,
                    base_address=found.base_address if found else None,
                    control_protocol=found.control_protocol if found else None,
                    interrupt=found.interrupt if found else False,
                    memory=memory,
                )
            )
        out.append(
            Kernel(name=name, args=args, ports=m.ports if m else (), instances=tuple(instances))
        )
    return tuple(out)
