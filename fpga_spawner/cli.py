"""`jupyterhub-fpga`: the admin's command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from pathlib import Path

#: Exit status after the reader of stdout went away (`| head`), as for SIGPIPE.
BROKEN_PIPE = 128 + 13


def _parse_option(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"--option expects KEY=VALUE, got {text!r}")
    return key, value


def write_stdout(text: str) -> int:
    """Write `text` to stdout; if the reader has gone (`| head`), stop quietly.

    stdout is then pointed at /dev/null, so Python's own flush at exit does
    not print a second BrokenPipeError either.
    """
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return BROKEN_PIPE
    return 0


def _render(args: argparse.Namespace) -> int:
    """stdout carries the manifests only (a DRA board's claim template, then the pod):
    whatever the config prints goes to stderr."""
    import yaml

    from .render import ensure_kube_config, import_without_optional_validator

    ensure_kube_config()  # before kubernetes_asyncio is imported: it reads KUBECONFIG once
    import_without_optional_validator("kubespawner")
    from tornado import web
    from traitlets import TraitError

    from .catalog import CatalogError
    from .refusals import UserOptionsRefused
    from .render import load_config, render_manifests

    user_options: dict[str, str] = dict(args.option)
    if args.profile:
        user_options["profile"] = args.profile
    # z2jh's jupyterhub_config.py prints "Loading ..." lines: keep them off the manifest
    with contextlib.redirect_stdout(sys.stderr):
        try:
            config = load_config(args.config)
            manifests = asyncio.run(render_manifests(config, args.user, user_options, args.group))
        except CatalogError as e:
            print(f"error: bad FPGA catalog: {e}", file=sys.stderr)
            return 2
        except (UserOptionsRefused, web.HTTPError) as e:
            message = getattr(e, "jupyterhub_message", None) or e.log_message
            print(f"error: the spawner refuses these options: {message}", file=sys.stderr)
            return 2
        except (FileNotFoundError, ValueError, TraitError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    return write_stdout(yaml.safe_dump_all(manifests, sort_keys=False))


def _nodes_from_file(path: str) -> list:
    """Nodes as `kubectl get nodes -o json` (or -o yaml) prints them; "-" is stdin."""
    import yaml

    text = sys.stdin.read() if path == "-" else Path(path).read_text()
    data = yaml.safe_load(text) or {}
    items = data.get("items", []) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a node list (kubectl get nodes -o json)")
    return items


async def _nodes_from_cluster() -> list:
    """The nodes, through the kubeconfig (or the in-cluster service account)."""
    from kubernetes_asyncio import client, config
    from kubernetes_asyncio.config import ConfigException

    from .zero_config import list_nodes

    try:
        config.load_incluster_config()
    except ConfigException:
        await config.load_kube_config()
    async with client.ApiClient() as api_client:
        return await list_nodes(client.CoreV1Api(api_client))


def _discover(args: argparse.Namespace) -> int:
    """The catalog FPGASpawner would discover, as a catalog file an admin can keep and edit."""
    import logging

    import yaml

    from .render import import_without_optional_validator
    from .zero_config import usable_boards

    logging.basicConfig(stream=sys.stderr, format="%(message)s", level=logging.INFO)
    try:
        if args.nodes:
            nodes = _nodes_from_file(args.nodes)
        else:
            import_without_optional_validator("kubernetes_asyncio")
            nodes = asyncio.run(_nodes_from_cluster())
    except Exception as e:  # no kubeconfig, no cluster, no permission, unreadable file
        print(f"error: cannot read the cluster's nodes: {e}", file=sys.stderr)
        return 2
    boards = usable_boards(nodes, logging.getLogger("jupyterhub-fpga"))
    if not boards:
        print(f"no FPGA found on {len(nodes)} nodes", file=sys.stderr)
    header = (
        f"# FPGA boards on {len(nodes)} nodes, as FPGASpawner discovers them when no catalog\n"
        "# is configured. Keep this as FPGASpawner.catalog_file to edit or extend it.\n"
    )
    return write_stdout(header + yaml.safe_dump({"boards": boards}, sort_keys=False))


DEMO_MISSING = (
    "jupyterhub-fpga demo: the demo is not installed (a hub install leaves it out); "
    'install it with: pip install "jupyterhub-fpga[demo]"'
)


def _demo_module():
    """The demo package, or None on an install without the `demo` extra."""
    try:
        import fpga_demo
    except ModuleNotFoundError as e:
        if e.name != "fpga_demo":
            raise
        return None
    return fpga_demo


def _demo(args: argparse.Namespace) -> int:
    demo = _demo_module()
    if demo is None:
        print(DEMO_MISSING, file=sys.stderr)
        return 2
    return demo.run_demo(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jupyterhub-fpga", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    render = sub.add_parser(
        "render",
        help="print the manifests the spawner would submit: claim template (DRA), pod (a dry run)",
    )
    render.add_argument("--config", required=True, help="path of jupyterhub_config.py")
    render.add_argument("--user", required=True, help="user name to render for")
    render.add_argument("--profile", default="", help="profile slug, e.g. u250")
    render.add_argument(
        "--option",
        action="append",
        type=_parse_option,
        default=[],
        metavar="KEY=VALUE",
        help="a profile option, e.g. count=2 (repeatable)",
    )
    render.add_argument(
        "--group", action="append", default=[], help="a JupyterHub group of the user (repeatable)"
    )
    render.set_defaults(func=_render)

    discover = sub.add_parser(
        "discover", help="print the FPGA catalog discovered from the cluster's nodes (YAML)"
    )
    discover.add_argument(
        "--nodes",
        default="",
        metavar="FILE",
        help="read the nodes from FILE (`kubectl get nodes -o json`; - for stdin) "
        "instead of the cluster of the kubeconfig",
    )
    discover.set_defaults(func=_discover)

    demo = sub.add_parser(
        "demo", help="run JupyterHub, FPGASpawner and an emulated cluster on this machine"
    )
    demo_module = _demo_module()
    if demo_module is not None:
        demo_module.add_arguments(demo)
    demo.set_defaults(func=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
