"""``jupyter-fpga``: the pod-side command line.

An argparse CLI with one sub-command per job. To add a command, write a
``_add_<name>(sub)`` function that registers a sub-parser with
``set_defaults(func=...)`` and append it to ``REGISTRARS``; ``func(args)``
returns the exit code. Errors a user can fix are printed as one line on
stderr with exit code 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from . import __version__


def _cmd_xclbin_info(args: argparse.Namespace) -> int:
    from .xclbin import XclbinError, parse_xclbin
    from .xclbin.info import info_dict, info_text

    try:
        x = parse_xclbin(args.file)
    except XclbinError as e:
        print(f"jupyter-fpga xclbin-info: error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(info_dict(x), indent=2))
    else:
        sys.stdout.write(info_text(x))
    return 0


def _add_xclbin_info(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "xclbin-info",
        help="describe an xclbin like `xclbinutil --info` (no XRT needed)",
        description="Print what XRT's `xclbinutil --info` prints for an xclbin file, line for "
        "line after the version banner: header, platform, clocks, memory banks, kernels, "
        "how it was built and its key-value pairs.",
    )
    p.add_argument("file", help="path of the .xclbin file")
    p.add_argument(
        "--json",
        action="store_true",
        help="print the same report as JSON, with an `xrt` block: the kernels, argument "
        "counts and memory banks XRT's loader (pyxrt.xclbin) sees, or why it would refuse the file",
    )
    p.set_defaults(func=_cmd_xclbin_info)


def _cmd_xclbins(args: argparse.Namespace) -> int:
    from .xclbin.repository import BitstreamRepository

    repo = BitstreamRepository(args.dir or None)
    entries, problems = repo.index(), repo.problems()
    if args.json:
        print(
            json.dumps(
                {"dirs": [str(d) for d in repo.dirs], "xclbins": entries, "problems": problems},
                indent=2,
            )
        )
        return 0
    print("Searched: " + ", ".join(str(d) for d in repo.dirs))
    if not entries:
        print("No xclbin files found.")
    for e in entries:
        print(
            f"{e['path']}\n   platform {e['platform'] or '<not defined>'}, mode {e['mode']}, "
            f"kernels: {', '.join(e['kernels']) or '<none>'}"
        )
    for p in problems:
        print(f"unreadable: {p['error']}")
    return 0


def _add_xclbins(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "xclbins",
        help="list the xclbins on the search path (FPGA_XCLBIN_PATH)",
        description="Index the xclbin files this pod can load, by platform and kernel.",
    )
    p.add_argument("--dir", action="append", help="search this directory instead (repeatable)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_xclbins)


def _cmd_devices(args: argparse.Namespace) -> int:
    from .discovery import discover

    report = discover(sysfs_root=args.sysfs, dev_root=args.dev, use_pyxrt=not args.no_pyxrt)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        sys.stdout.write(report.to_text())
    return 0


def _add_devices(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "devices",
        help="which FPGAs this pod has, and whether that is what was requested",
        description="Merge sysfs, device nodes, device-plugin environment variables, the "
        "hub's FPGA request and pyxrt into one answer.",
    )
    p.add_argument("--sysfs", default="/sys", help="sysfs root (default /sys)")
    p.add_argument("--dev", default="/dev", help="device-node root (default /dev)")
    p.add_argument("--no-pyxrt", action="store_true", help="do not import pyxrt")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_devices)


def _cmd_check_repo(args: argparse.Namespace) -> int:
    from .contract import FPGARequest
    from .discovery import discover
    from .repo_requirements import (
        REPO_FILES,
        RepoRequirementsError,
        check,
        library_functions,
        load_requirements,
        unknown_functions,
    )

    try:
        req = load_requirements(args.dir)
    except RepoRequirementsError as e:
        print(f"jupyter-fpga check-repo: error: {e}", file=sys.stderr)
        return 2
    if req is None:
        print(
            f"jupyter-fpga check-repo: error: no fpga.yaml in {args.dir} "
            f"(looked for {', '.join(REPO_FILES)})",
            file=sys.stderr,
        )
        return 2
    known = library_functions()
    if args.file_only:  # at build time (postBuild): the file and its function names only
        warnings = unknown_functions(req, known) if known is not None else []
    else:
        report = discover(sysfs_root=args.sysfs, dev_root=args.dev, use_pyxrt=not args.no_pyxrt)
        warnings = check(req, FPGARequest.from_env(), report.to_dict(), known)
    if args.json:
        print(json.dumps({**req.to_dict(), "warnings": warnings}, indent=2))
    else:
        boards = ", ".join(req.boards) or "any board"
        print(f"{req.path}: functions {', '.join(req.functions) or '(none)'}; boards {boards}")
        for w in warnings:
            print(f"warning: {w}")
        if not warnings:
            print("OK: " + ("the file is valid." if args.file_only else "this server suits it."))
    return 1 if warnings and args.strict else 0


def _add_check_repo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check-repo",
        help="does this server have the FPGAs a repository's binder/fpga.yaml asks for?",
        description="Read DIR/binder/fpga.yaml (or .binder/fpga.yaml, fpga.yaml) and compare "
        "the functions and boards it names with this pod's FPGAs. Exit 2 for a bad or "
        "missing file; warnings exit 0 unless --strict.",
    )
    p.add_argument("dir", nargs="?", default=".", help="repository directory (default .)")
    p.add_argument(
        "--file-only", action="store_true", help="only validate the file (e.g. in postBuild)"
    )
    p.add_argument("--strict", action="store_true", help="exit 1 when there are warnings")
    p.add_argument("--sysfs", default="/sys", help="sysfs root (default /sys)")
    p.add_argument("--dev", default="/dev", help="device-node root (default /dev)")
    p.add_argument("--no-pyxrt", action="store_true", help="do not import pyxrt")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_cmd_check_repo)


def _cmd_compile_emulation(args: argparse.Namespace) -> int:
    from .library.precompile import cache_dirs, precompile

    done = precompile()
    for c in done:
        print(f"{c.kernel:24} {c.variant:14} {c.seconds:7.2f} s")
    print(f"{len(done)} kernel variants ready in {sum(c.seconds for c in done):.1f} s; "
          f"cache: {', '.join(cache_dirs())}")  # fmt: skip
    return 0


def _add_compile_emulation(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compile-emulation",
        help="compile the emulation's vision kernels now (for image builds: postBuild)",
        description="Compile every CPU-emulation kernel that Numba compiles on first use "
        "(Gaussian, resize, stereo block matching) into Numba's on-disk cache, so a "
        "notebook's first emulated call does not wait for the compiler. Prints each "
        "kernel variant with the time it took (a second or so when compiled, milliseconds "
        "when already cached) and where the cache is.",
    )
    p.set_defaults(func=_cmd_compile_emulation)


REGISTRARS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_xclbin_info,
    _add_xclbins,
    _add_devices,
    _add_check_repo,
    _add_compile_emulation,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jupyter-fpga", description="FPGA tools for the notebook pod (jupyterhub-fpga)."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for register in REGISTRARS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
