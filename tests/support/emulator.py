"""Resource names, node shapes and pod bodies shared by the emulator tests."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import yaml

from fpga_demo.launcher import CLUSTER_FILE as DEMO_YAML

U250 = "amd.com/xilinx_u250_gen3x16_xdma_shell_4_1-0"
U280 = "amd.com/xilinx_u280_gen3x16_xdma_base_1-0"
VU47P = "amd.com/xilinx_aws-vu47p-f2_xdma-shell-v10212415_202410_1-43981"  # F2, Small Shell
FPGA_TAINT = {"key": "fpga.jupyterhub.io/fpga", "value": "present", "effect": "NoSchedule"}
FPGA_TOLERATION = {"key": "fpga.jupyterhub.io/fpga", "operator": "Exists", "effect": "NoSchedule"}

SMALL: dict[str, Any] = {
    "namespaces": ["jhub"],
    "nodes": [
        {
            "name": "fpga-a",
            "labels": {"fpga.jupyterhub.io/location": "on-premises"},
            "taints": [FPGA_TAINT],
            "allocatable": {"cpu": "8", "memory": "16Gi", U250: 1},
        },
        {
            "name": "fpga-b",
            "labels": {"fpga.jupyterhub.io/location": "on-premises"},
            "taints": [FPGA_TAINT],
            "allocatable": {"cpu": "8", "memory": "16Gi", U250: 1},
        },
        {
            "name": "cpu-a",
            "labels": {"fpga.jupyterhub.io/location": "on-premises"},
            "allocatable": {"cpu": "4", "memory": "8Gi"},
        },
    ],
    "kubelet": {"runProcesses": False},
    "scheduler": {"unschedulableRetrySeconds": 0.2},
    "autoscaler": {"scanIntervalSeconds": 0.1},
}


def pod_body(name: str, limits: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    """A minimal pod manifest (dict), as kubespawner would send one, with overrides."""
    labels = spec.pop("labels", {"component": "singleuser-server"})
    container = {"name": "notebook", "image": "quay.io/jupyterhub/k8s-singleuser-sample:4.1.0"}
    if limits:
        container["resources"] = {"limits": dict(limits)}
    container.update(spec.pop("container", {}))
    body = {
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [container], **spec},
    }
    return body


__all__ = ["DEMO_YAML"]


# A pod's whole process tree as a test wants it: a server on the pod's port
# 8888 that answers with $WHO, and a "kernel" in a session of its own, as
# Jupyter starts kernels; both PIDs are written to the file named by $PIDS.
IDENTITY_SERVER = """
import http.server, os, subprocess, sys
kernel = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
if os.environ.get("PIDS"):
    with open(os.environ["PIDS"], "w") as f:
        f.write(f"{os.getpid()} {kernel.pid}")
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = os.environ["WHO"].encode()
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("0.0.0.0", 8888), Handler).serve_forever()
"""


def identity_pod(name: str, who: str, pids_file: str = "", **spec: Any) -> dict[str, Any]:
    """A pod on a U250 node whose server on <podIP>:8888 answers `who`."""
    env = [{"name": "WHO", "value": who}, {"name": "PIDS", "value": pids_file}]
    container = {"command": [sys.executable, "-c", IDENTITY_SERVER], "env": env}
    return pod_body(name, {U250: 1}, tolerations=[FPGA_TOLERATION], container=container, **spec)


async def start_emulator_process(
    cluster: dict[str, Any], tmp: Path, *extra: str
) -> tuple[asyncio.subprocess.Process, str, Path]:
    """`python -m fpga_demo.emulator` on `cluster` (a dict) in its own process.

    Returns (process, url, kubeconfig path). The caller stops the process.
    """
    cluster_file = tmp / "cluster.yaml"
    cluster_file.write_text(yaml.safe_dump(cluster))
    kubeconfig = tmp / "kubeconfig.yaml"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fpga_demo.emulator", "--cluster", str(cluster_file),
        "--kubeconfig", str(kubeconfig), "--state-dir", str(tmp / "state"), *extra,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    url, seen = "", []
    while True:  # log lines come first; the kubeconfig is written before the last line
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        seen.append(line)
        assert line, f"the emulator exited: {''.join(seen)}"
        if line.startswith("EMULATED Kubernetes API server listening on"):
            url = line.rsplit(" ", 1)[1].strip()
        if line.startswith("kubeconfig written to"):
            return proc, url, kubeconfig
