"""`jupyterhub-fpga`: the admin's command line."""

from __future__ import annotations

import argparse
import asyncio
import sys


def _parse_option(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"--option expects KEY=VALUE, got {text!r}")
    return key, value


def _render(args: argparse.Namespace) -> int:
    import yaml
    from tornado import web

    from .catalog import CatalogError
    from .render import ensure_kube_config, load_config, render_pod

    ensure_kube_config()  # before kubernetes_asyncio is imported: it reads KUBECONFIG once

    user_options: dict[str, str] = dict(args.option)
    if args.profile:
        user_options["profile"] = args.profile
    try:
        config = load_config(args.config)
        pod = asyncio.run(render_pod(config, args.user, user_options, args.group))
    except CatalogError as e:
        print(f"error: bad FPGA catalog: {e}", file=sys.stderr)
        return 2
    except web.HTTPError as e:
        print(f"error: the spawner refuses these options: {e.log_message}", file=sys.stderr)
        return 2
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    yaml.safe_dump(pod, sys.stdout, sort_keys=False)
    return 0


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
        "render", help="print the pod manifest the spawner would submit (a dry run)"
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
