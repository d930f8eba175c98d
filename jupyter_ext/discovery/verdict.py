"""Compare what the hub asked for with what the pod sees, in plain English.

The pod never fails over a mismatch: it reports it (``problems``) and carries
on, because a notebook user with the wrong board still wants to read their
notebook and see why. ``FPGA_EMULATION=1`` turns a request into emulated
boards, labelled as such everywhere.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from ..contract import ENV_COUNT, FPGARequest
from . import boards
from .model import Device


def requested_dict(req: FPGARequest | None, environ: Mapping[str, str]) -> dict[str, Any] | None:
    if req is None:
        return None
    d = asdict(req)
    d["xclbin_path"] = list(req.xclbin_path)
    return d


def contract_problems(req: FPGARequest | None, environ: Mapping[str, str]) -> list[str]:
    if req is None:
        return []
    raw = environ.get(ENV_COUNT, "1")
    try:
        count = int(raw)
    except ValueError:
        return [f"{ENV_COUNT}={raw!r} is not a whole number; the request is read as 0 boards."]
    if count < 0:
        return [f"{ENV_COUNT}={raw!r} is negative; the request is read as 0 boards."]
    return []


def _name(req: FPGARequest) -> str:
    if req.board_name and req.board_name != req.board:
        return req.board_name
    return boards.BOARD_NAMES.get(req.board, req.board)


def _describe(d: Device) -> str:
    return d.get("board_name") or d.get("platform") or d.get("board") or "an FPGA of unknown type"


def _advertised_names(d: Device) -> set[str]:
    """What the AMD device plugin calls this board, now and before 2022-08."""
    vbnv, stamp = d.get("platform", ""), d.get("shell_timestamp", "")
    names = {d.get("resource", "")}
    with contextlib.suppress(ValueError):
        names.add(boards.legacy_resource_name(vbnv, stamp))
    return names - {""}


def device_matches(req: FPGARequest, d: Device) -> bool | None:
    """True/False when it can tell, None when the device says too little about itself."""
    vbnv, board = d.get("platform", ""), d.get("board", "")
    if req.resource and req.resource in _advertised_names(d):
        return True  # the device plugin's own name for this board
    if req.platform and vbnv:
        return vbnv == req.platform
    if req.resource and vbnv and boards.vbnv_in_resource(req.resource, vbnv):
        return True
    if board or vbnv:
        return boards.board_matches(req.board, board, vbnv)
    return None


def emulated_devices(req: FPGARequest) -> list[Device]:
    out = []
    for i in range(max(req.count, 0)):
        d = Device(id=f"emulated-{i}", assigned=True, emulated=True, matches_request=True)
        why = "FPGA_EMULATION=1"
        d.set("board", req.board, "emulation", f"{why}; FPGA_BOARD")
        d.set("board_name", _name(req), "emulation", f"{why}; FPGA_BOARD_NAME")
        d.set("platform", req.platform, "emulation", f"{why}; FPGA_PLATFORM")
        d.set("emulated", True, "emulation", why)
        out.append(d)
    return out


def judge(
    req: FPGARequest | None,
    hardware: list[Device],
    unassigned: list[Device],
    inaccel: bool,
    pyxrt: dict[str, Any],
) -> tuple[str, bool | None, list[str], list[str], str]:
    """-> backend, matches_request, problems, notes, summary (emulation handled by caller)."""
    problems: list[str] = []
    notes: list[str] = []
    backend = "hardware" if hardware else "none"
    for d in hardware:
        d.matches_request = device_matches(req, d) if req else None
    if req is None:
        if hardware:
            notes.append(
                f"This pod did not ask the hub for an FPGA (no FPGA_BOARD), yet sees {len(hardware)}."
            )
            return (
                backend,
                None,
                problems,
                notes,
                f"{len(hardware)} FPGA(s) visible; none requested.",
            )
        return backend, None, problems, notes, "No FPGA requested and none visible."

    want, name = max(req.count, 0), _name(req)
    good = [d for d in hardware if d.matches_request is not False]
    for d in hardware:
        if d.matches_request is None:
            notes.append(
                f"{d.id}: cannot tell which board this is; counted as the requested {name}."
            )
        elif d.matches_request is False:
            vbnv = d.get("platform", "")
            if req.platform and vbnv and boards.board_matches(req.board, d.get("board", ""), vbnv):
                problems.append(
                    f"{d.id} runs shell {vbnv}, but the request expects {req.platform}; "
                    "xclbins built for one shell do not load on the other."
                )
            else:
                problems.append(f"{d.id} is {_describe(d)}, not the requested {name}.")
    if inaccel and not hardware:
        notes.append(
            "InAccel manages the FPGAs of this pod (INACCEL_FPGA=enabled): boards are reached "
            "through InAccel's runtime, not seen directly here."
        )
        return backend, None, problems, notes, f"{want} × {name} requested through InAccel."
    if len(good) < want:
        seen = "no FPGA" if not good else f"only {len(good)}"
        where = f" ({req.resource})" if req.resource else ""
        problems.insert(0, f"Asked for {want} × {name}{where}, but this pod sees {seen}.")
        if unassigned:
            ids = ", ".join(f"{d.id} ({_describe(d)})" for d in unassigned)
            problems.append(
                f"The node has {len(unassigned)} more FPGA(s) in sysfs ({ids}) whose device nodes "
                "are not mounted into this container: the device plugin did not give them to this pod."
            )
        elif not hardware:
            problems.append(
                "sysfs shows no FPGA with a loaded XRT driver: the node may have no such board, "
                "or the XRT drivers are not loaded."
            )
        if not pyxrt.get("available"):
            notes.append("pyxrt is not installed in this image, so XRT itself was not asked.")
    elif len(good) > want:
        notes.append(f"This pod sees {len(good)} matching FPGAs, more than the {want} requested.")
    matches = not problems
    if hardware:
        summary = f"{want} × {name} requested; {len(good)} matching FPGA(s) visible."
    else:
        summary = f"{want} × {name} requested; no FPGA visible."
    return backend, matches, problems, notes, summary
