"""`python -m fpga_demo.emulator --cluster FILE --port N [--kubeconfig OUT]`.

Runs an EMULATED Kubernetes cluster until interrupted. Point a JupyterHub
process at it with `KUBECONFIG=OUT` (kubespawner reads it through
kubernetes_asyncio's load_kube_config when it is not inside a cluster).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

from .cluster import EmulatedCluster
from .config import ClusterConfigError

DEFAULT_CLUSTER = Path(__file__).parent / "clusters" / "demo.yaml"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m fpga_demo.emulator",
        description="Run an emulated Kubernetes API server, scheduler, kubelet and cluster-autoscaler "
        "(for tests and demos: pods are local processes, FPGAs are only counted).",
    )
    parser.add_argument(
        "--cluster",
        default=str(DEFAULT_CLUSTER),
        help="cluster description YAML (default: the demo cluster)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port to listen on (default: a free port)"
    )
    parser.add_argument("--kubeconfig", help="write a kubeconfig for the emulator to this path")
    parser.add_argument(
        "--namespace", default="default", help="namespace of the kubeconfig's context"
    )
    parser.add_argument(
        "--no-processes",
        action="store_true",
        help="do not run container processes: pods just go Running",
    )
    parser.add_argument(
        "--state-dir",
        help="directory for pod volumes, logs and claims (default: a temporary directory)",
    )
    parser.add_argument(
        "--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    cluster = EmulatedCluster.from_yaml(
        args.cluster, run_processes=False if args.no_processes else None, state_dir=args.state_dir
    )
    url = await cluster.start(args.host, args.port)
    if args.kubeconfig:
        cluster.write_kubeconfig(args.kubeconfig, args.namespace)
    print(f"EMULATED Kubernetes API server listening on {url}", flush=True)
    if args.kubeconfig:
        print(
            f"kubeconfig written to {args.kubeconfig}: export KUBECONFIG={args.kubeconfig}",
            flush=True,
        )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await cluster.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="[%(levelname)s %(asctime)s %(name)s] %(message)s"
    )
    try:
        asyncio.run(serve(args))
    except ClusterConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
