"""Which FPGAs does this pod have? One answer from every source.

``discover()`` reads sysfs (as the AMD-Xilinx device plugin does), the device
nodes mounted in the container, the device plugins' environment variables,
the hub's FPGA request (``jupyter_ext.contract``) and, when it imports, XRT's
``pyxrt``; it returns a ``DiscoveryReport`` whose devices keep the source of
every fact, and which says in plain words when the request and the visible
devices disagree. It never raises over what it finds.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..contract import FPGARequest
from . import devnodes, envconv, merge, sysfs, verdict, xrt_probe
from .model import Device, DiscoveryReport, Fact

__all__ = ["Device", "DiscoveryReport", "Fact", "discover"]


def discover(
    sysfs_root: str | os.PathLike[str] = "/sys",
    dev_root: str | os.PathLike[str] = "/dev",
    environ: Mapping[str, str] | None = None,
    use_pyxrt: bool = True,
    *,
    pyxrt_module: Any = None,
    xclbin_lookup: Callable[[str], dict[str, Any] | None] | None = None,
) -> DiscoveryReport:
    """Merge every source into one ``DiscoveryReport``.

    ``pyxrt_module`` stands in for ``import pyxrt`` (tests, or a caller that
    already imported it); ``xclbin_lookup(uuid)`` names a loaded xclbin, by
    default from the ``BitstreamRepository`` on the xclbin search path.
    """
    t0 = time.perf_counter()
    env = os.environ if environ is None else environ
    pci, pci_notes = sysfs.scan_pci(sysfs_root)
    nodes = devnodes.scan(dev_root)
    env_facts = envconv.read_env(env)
    if use_pyxrt or pyxrt_module is not None:
        xrt = xrt_probe.probe(pyxrt_module)
    else:
        xrt = {"available": False, "reason": "not asked (use_pyxrt=False)", "devices": []}
    req = FPGARequest.from_env(env)

    devices, unused = merge.build_devices(
        pci, nodes, env_facts, xrt, lambda n: sysfs.drm_vendor(sysfs_root, n)
    )
    hardware = [d for d in devices if d.assigned]
    unassigned = [d for d in devices if not d.assigned]
    backend, matches, problems, notes, summary = verdict.judge(
        req, hardware, unassigned, env_facts.inaccel, xrt
    )
    problems = verdict.contract_problems(req, env) + problems
    if req is not None and req.emulation:
        emulated = verdict.emulated_devices(req)
        if hardware:
            notes.insert(
                0,
                f"FPGA_EMULATION=1 is set, yet {len(hardware)} real FPGA(s) are visible; this pod "
                "runs in emulation as configured.",
            )
            for d in hardware:
                d.matches_request = None
        problems = verdict.contract_problems(req, env)
        if not emulated:
            problems.append(
                "FPGA_EMULATION=1, but the request is for 0 boards: nothing to emulate."
            )
        backend, matches = ("emulated", True) if emulated else ("none", False)
        summary = (
            f"EMULATED: {len(emulated)} × {emulated[0].get('board_name')} "
            "(FPGA_EMULATION=1: runs on the CPU, no FPGA hardware)."
            if emulated
            else summary
        )
        devices_out = emulated + hardware
    else:
        devices_out = hardware
    lookup = xclbin_lookup if xclbin_lookup is not None else _repository_lookup(req)
    for d in devices_out + unassigned:
        d.loaded_xclbin = _loaded(d, lookup)
        d.health = merge.health(d)
    return DiscoveryReport(
        requested=verdict.requested_dict(req, env),
        devices=devices_out,
        unassigned=unassigned,
        backend=backend,
        problems=problems,
        notes=notes,
        matches_request=matches,
        summary=summary,
        sources={
            "sysfs": {"root": str(sysfs_root), "fpgas": len(pci), "notes": pci_notes},
            "devnodes": {"root": str(dev_root), "nodes": [n.path for n in nodes], **unused},
            "env": env_facts.to_dict(),
            "contract": {"present": req is not None, "emulation": bool(req and req.emulation)},
            "pyxrt": {k: v for k, v in xrt.items() if k != "devices"},
        },
        elapsed_ms=(time.perf_counter() - t0) * 1000,
    )


_REPOS: dict[tuple[str, ...] | None, Any] = {}


def _repository_lookup(req: FPGARequest | None) -> Callable[[str], dict[str, Any] | None]:
    """Name a loaded xclbin from the search path; repositories are kept (parse cache)."""

    def lookup(uuid: str) -> dict[str, Any] | None:
        from ..xclbin.repository import BitstreamRepository

        dirs = req.xclbin_path if req is not None else None
        if dirs not in _REPOS:
            _REPOS[dirs] = BitstreamRepository(dirs)
        return _REPOS[dirs].by_uuid(uuid)

    return lookup


def _loaded(d: Device, lookup: Callable[[str], dict[str, Any] | None]) -> dict[str, Any] | None:
    fact = d.facts.get("xclbin_uuid")
    if fact is None:
        return None
    out: dict[str, Any] = {"uuid": fact.value, "source": fact.source, "path": None}
    try:
        entry = lookup(fact.value)
    except Exception:  # a broken xclbin directory must not hide the device
        entry = None
    if entry:
        out.update(path=entry["path"], kernels=entry["kernels"], platform=entry["platform"])
    return out
