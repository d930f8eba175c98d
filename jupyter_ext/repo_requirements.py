"""Does this server suit the repository's notebooks? ``fpga.yaml`` against the pod.

A Binder repository states what its notebooks need in ``binder/fpga.yaml``::

    functions: [vision.stereo_bm, finance.black_scholes]
    boards: [u250, u280, f2]      # any one of these will do
    count: 1                      # boards needed (default 1)

BinderHub picks the FPGA from the admin's rules, not from the repository, so
the two can disagree: a repository for U250s may land on a CPU-only server.
Nothing fails then (the library emulates on the CPU), but the user should be
told why their notebook says "emulated". This module is pure: it parses the
file (clear errors naming the file and the field) and compares it with what
the hub asked for (:class:`~jupyter_ext.contract.FPGARequest`) and what
discovery saw (``DiscoveryReport.to_dict()``), returning plain-English
warnings. The server extension and ``jupyter-fpga check-repo`` are its adapters.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .contract import FPGARequest
from .discovery.boards import BOARD_NAMES, board_matches

# Searched in this order, as repo2docker looks in binder/, then .binder/, then the root.
REPO_FILES = ("binder/fpga.yaml", ".binder/fpga.yaml", "fpga.yaml")
KEYS = ("functions", "boards", "count")
_FUNCTION_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_BOARD_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


class RepoRequirementsError(ValueError):
    """A malformed fpga.yaml: the message names the file, the field and what is allowed."""


@dataclass(frozen=True)
class RepoRequirements:
    """What a repository's notebooks need, as stated in its fpga.yaml."""

    path: str
    functions: tuple[str, ...] = ()
    boards: tuple[str, ...] = ()
    count: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "functions": list(self.functions),
            "boards": list(self.boards),
            "count": self.count,
        }


def find_requirements_file(*roots: str | os.PathLike[str]) -> Path | None:
    """The first fpga.yaml under the first root that has one (binder/, .binder/, root)."""
    for root in roots:
        if not root:
            continue
        for name in REPO_FILES:
            candidate = Path(root) / name
            if candidate.is_file():
                return candidate
    return None


def _names(path: str, field: str, value: Any, pattern: re.Pattern[str], what: str) -> tuple:
    """A list of names (``what`` is singular, e.g. "a board slug like u250")."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]  # `boards: u250` is a natural shorthand for a list of one
    if not isinstance(value, list):
        raise RepoRequirementsError(
            f"{path}: field {field!r} must be a list, each entry {what}; got "
            f"{type(value).__name__} {value!r}"
        )
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not pattern.match(item):
            raise RepoRequirementsError(
                f"{path}: field {field!r} entry #{i} = {item!r} is not {what}"
            )
        if item not in out:
            out.append(item)
    return tuple(out)


def parse_requirements(text: str, path: str = "fpga.yaml") -> RepoRequirements:
    """Parse the text of an fpga.yaml; raise :class:`RepoRequirementsError` on any mistake."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise RepoRequirementsError(f"{path}: not valid YAML{where}: {problem}") from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise RepoRequirementsError(
            f"{path}: must be a mapping with keys {', '.join(KEYS)}, got {type(doc).__name__}"
        )
    unknown = [k for k in doc if k not in KEYS]
    if unknown:
        raise RepoRequirementsError(
            f"{path}: unknown field {unknown[0]!r}; allowed fields: {', '.join(KEYS)}"
        )
    functions = _names(
        path,
        "functions",
        doc.get("functions"),
        _FUNCTION_RE,
        "a function name like vision.stereo_bm",
    )
    boards = _names(path, "boards", doc.get("boards"), _BOARD_RE, "a board slug like u250")
    count = doc.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise RepoRequirementsError(f"{path}: field 'count' = {count!r} must be an integer >= 1")
    return RepoRequirements(path=path, functions=functions, boards=boards, count=count)


def load_requirements(*roots: str | os.PathLike[str]) -> RepoRequirements | None:
    """Read the repository's fpga.yaml; None when there is none."""
    path = find_requirements_file(*roots)
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RepoRequirementsError(f"{path}: cannot be read: {e}") from None
    return parse_requirements(text, str(path))


def unknown_functions(req: RepoRequirements, known: Collection[str]) -> list[str]:
    """One warning per function this package does not provide."""
    return [
        f"This repository's notebooks use {name}, which this version of jupyterhub-fpga does "
        f"not provide (it has: {', '.join(sorted(known))})."
        for name in req.functions
        if name not in known
    ]


def _pod_boards(request: FPGARequest | None, report: Mapping[str, Any] | None) -> list[dict]:
    """What the pod has, as {board, platform, name, emulated} entries, one per board."""
    out = []
    for d in (report or {}).get("devices", []) or []:
        out.append(
            {
                "board": d.get("board") or "",
                "platform": d.get("platform") or "",
                "name": d.get("board_name") or d.get("board") or d.get("platform") or "an FPGA",
                "emulated": bool(d.get("emulated")),
            }
        )
    if not out and request is not None and request.emulation:
        # discovery not run (or failed): the contract alone says these are emulated
        name = request.board_name or BOARD_NAMES.get(request.board, request.board)
        for _ in range(max(request.count, 0)):
            entry = {"board": request.board, "platform": request.platform, "name": name}
            out.append({**entry, "emulated": True})
    return out


def _fits(wanted: Iterable[str], board: Mapping[str, Any]) -> bool:
    # loose, as discovery compares: admins' slugs vary (u250, alveo-u250, u250-vision)
    return any(board_matches(slug, board["board"], board["platform"]) for slug in wanted)


def check(
    req: RepoRequirements,
    request: FPGARequest | None,
    report: Mapping[str, Any] | None,
    known_functions: Collection[str] | None = None,
) -> list[str]:
    """Plain-English warnings when this server does not suit the repository's notebooks.

    ``request`` is what the hub asked for (``FPGARequest.from_env()``),
    ``report`` the discovery answer (``DiscoveryReport.to_dict()``). An empty
    list means the server has what the notebooks say they need.
    """
    warnings = unknown_functions(req, known_functions) if known_functions is not None else []
    wanted = list(req.boards)
    need = f"one of {', '.join(wanted)}" if len(wanted) > 1 else (wanted[0] if wanted else "")
    if req.count > 1 and need:
        need = f"{req.count} boards ({need})"
    elif req.count > 1:
        need = f"{req.count} FPGA boards"
    prefix = f"This repository's notebooks need {need}" if need else ""
    boards = _pod_boards(request, report)
    real = [b for b in boards if not b["emulated"]]
    emulated = [b for b in boards if b["emulated"]]
    if not boards:
        if not prefix:
            prefix = "This repository's notebooks use FPGA functions"
        if request is not None:
            asked = request.board_name or request.board
            warnings.append(
                f"{prefix}; this server asked for {request.count} × {asked} but sees no FPGA "
                "(they will run emulated)."
            )
        else:
            warnings.append(f"{prefix}; this server has no FPGA (they will run emulated).")
        return warnings
    if not emulated:  # real boards (with FPGA_EMULATION=1 even real ones run emulated)
        fitting = [b for b in real if not wanted or _fits(wanted, b)]
        have = _describe(real)
        if wanted and not fitting:
            warnings.append(
                f"{prefix}; this server has {have}, which is not one of them (functions without "
                "an xclbin for its platform will run emulated)."
            )
        elif len(fitting) < req.count:
            warnings.append(f"{prefix}; this server has {have}.")
        return warnings
    fitting = [b for b in emulated if not wanted or _fits(wanted, b)]
    have = _describe(emulated)
    if wanted and not fitting:
        warnings.append(
            f"{prefix}; this server emulates {have}, which is not one of them (they will run "
            "emulated on the CPU)."
        )
    else:
        what = f"{prefix}; this server's" if prefix else "This server's"
        warnings.append(
            f"{what} {have} {'is' if len(emulated) == 1 else 'are'} emulated (FPGA_EMULATION=1): "
            "the notebooks run on the CPU model and say 'emulated'."
        )
    return warnings


def _describe(boards: list[dict]) -> str:
    names: dict[str, int] = {}
    for b in boards:
        names[b["name"]] = names.get(b["name"], 0) + 1
    return ", ".join(f"{n} × {name}" for name, n in names.items())


def repository_answer(
    roots: Iterable[str | os.PathLike[str]],
    request: FPGARequest | None,
    report: Mapping[str, Any] | None,
    known_functions: Callable[[], Collection[str] | None] | None = None,
) -> dict[str, Any]:
    """The ``repository`` part of ``GET fpga/api/devices``: never raises over the file.

    ``known_functions`` is called only when there is a file to check, so a
    server without one never imports the (numpy) library.
    """
    roots = [r for r in roots if r]
    try:
        req = load_requirements(*roots)
    except RepoRequirementsError as e:
        return {"file": str(find_requirements_file(*roots)), "error": str(e), "warnings": [str(e)]}
    if req is None:
        return {"file": None, "error": None, "warnings": [], "searched": [str(r) for r in roots]}
    known = known_functions() if known_functions is not None else None
    return {**req.to_dict(), "error": None, "warnings": check(req, request, report, known)}


def library_functions() -> frozenset[str] | None:
    """Names of the library functions, or None when the library cannot import here."""
    try:
        from .library import FUNCTIONS
    except Exception:  # numpy/OpenCV missing: skip the name check rather than fail
        return None
    return frozenset(FUNCTIONS)
