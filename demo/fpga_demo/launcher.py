"""Start and stop the demo stack: Kubernetes API emulator, then JupyterHub.

Each part runs as its own process group, so the launcher decides the shutdown
order: JupyterHub first (it stops the users' servers, so their pods are
deleted through the API like on a real cluster), then the emulator (which
stops any pod process still running). Nothing is left behind, and a taken port
or a missing program is reported in one sentence before anything starts.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CLUSTER_FILE = HERE / "emulator" / "clusters" / "demo.yaml"
HUB_CONFIG = HERE / "jupyterhub_config.py"
BIN = Path(sys.executable).parent


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


class DemoError(RuntimeError):
    """Something the user must fix before the demo can start; said in one sentence."""


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def notebooks_dir() -> Path:
    """Example notebooks: the checkout's `notebooks/`, or the copy shipped in the wheel."""
    for candidate in (REPO / "notebooks", HERE / "notebooks"):
        if candidate.is_dir():
            return candidate
    raise DemoError("the example notebooks are missing; reinstall jupyterhub-fpga-demo")


NODE_PROXY_DIR = Path(sys.prefix) / "chp"
NODE_PROXY_INSTALL = (
    f"npm install --no-audit --no-fund --prefix {NODE_PROXY_DIR} configurable-http-proxy"
)


def proxy_command() -> str | None:
    """JupyterHub's Node proxy: the copy installed beside this Python, or one on PATH.

    The Python port of configurable-http-proxy buffers responses, which breaks
    the spawn page's progress stream, so only the Node proxy is used.
    """
    local = NODE_PROXY_DIR / "node_modules" / ".bin" / "configurable-http-proxy"
    if local.exists():
        return str(local)
    found = shutil.which("configurable-http-proxy")
    if found and Path(found).parent != BIN:  # not the Python port in this venv
        return found
    return None


def check_dependencies() -> None:
    missing = [
        name
        for name in ("jupyterhub", "jupyterhub-singleuser")
        if not (BIN / name).exists() and shutil.which(name) is None
    ]
    if proxy_command() is None:
        missing.append(f"configurable-http-proxy (Node; install it with: {NODE_PROXY_INSTALL})")
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        missing.append("jupyterlab (Python package)")
    if missing:
        raise DemoError(
            f'missing: {", ".join(missing)}. Install the demo extra: pip install -e ".[demo]"'
        )


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """The URL answers 200 (redirects followed)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


@dataclass
class DemoStack:
    """The running demo; `start()` returns once the login page is served."""

    state_dir: Path
    port: int = 8000
    admin_token: str = field(default_factory=lambda: secrets.token_hex(16))
    start_timeout: int = 120
    default_url: str = "/lab"
    cluster_file: Path = CLUSTER_FILE
    namespace: str = "jhub"
    license_value: str = "2100@demo-license-server.invalid"
    extra_env: dict[str, str] = field(default_factory=dict)
    log: Callable[[str], None] = print
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        log_file = open(self.state_dir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the process
        process = subprocess.Popen(
            argv,
            env=env,
            cwd=self.state_dir,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log_file.close()
        self.processes[name] = process
        return process

    def _wait_until(self, name: str, ready: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        process = self.processes[name]
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = (self.state_dir / f"{name}.log").read_text(errors="replace")[-2000:]
                raise DemoError(f"{name} exited with code {process.returncode}:\n{tail}")
            if ready():
                return
            time.sleep(0.1)
        raise DemoError(f"{name} did not become ready within {timeout:.0f} s")

    def start(self) -> None:
        """Start the emulator, then the hub; if either fails, stop what did start."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        check_dependencies()
        # Every child runs with cwd=state_dir and is handed paths inside it: a
        # relative state_dir would be resolved twice (state/state/cluster).
        self.state_dir = Path(self.state_dir).resolve()
        if not port_is_free(self.port):
            raise DemoError(f"port {self.port} is already in use; stop what uses it or pass --port")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._write_ipython_profile()
        api_port, hub_port, proxy_port = free_port(), free_port(), free_port()
        kubeconfig = self.state_dir / "kubeconfig.yaml"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self._spawn(
            "k8s-emulator",
            [
                sys.executable,
                "-m",
                "fpga_demo.emulator",
                "--cluster",
                str(self.cluster_file),
                "--host",
                "127.0.0.1",
                "--port",
                str(api_port),
                "--kubeconfig",
                str(kubeconfig),
                "--state-dir",
                str(self.state_dir / "cluster"),
            ],
            env,
        )
        self.api_url = f"http://127.0.0.1:{api_port}"
        self._wait_until("k8s-emulator", lambda: http_ok(f"{self.api_url}/version"), 30)
        self._create_license_secret()
        hub_env = {
            **env,
            "KUBECONFIG": str(kubeconfig),
            "FPGA_DEMO_DIR": str(self.state_dir),
            "FPGA_DEMO_HUB_PUBLIC_PORT": str(self.port),
            "FPGA_DEMO_HUB_API_PORT": str(hub_port),
            "FPGA_DEMO_PROXY_API_PORT": str(proxy_port),
            "FPGA_DEMO_ADMIN_TOKEN": self.admin_token,
            "FPGA_DEMO_NOTEBOOKS": str(notebooks_dir()),
            "FPGA_DEMO_START_TIMEOUT": str(self.start_timeout),
            "FPGA_DEMO_DEFAULT_URL": self.default_url,
            "FPGA_DEMO_NAMESPACE": self.namespace,
            "FPGA_DEMO_PROXY_COMMAND": proxy_command() or "configurable-http-proxy",
            **self.extra_env,
        }
        self._hub_env = hub_env
        self.start_hub()

    def start_hub(self) -> None:
        jupyterhub = BIN / "jupyterhub"
        self._spawn(
            "jupyterhub",
            [str(jupyterhub if jupyterhub.exists() else "jupyterhub"), "-f", str(HUB_CONFIG)],
            self._hub_env,
        )
        self._wait_until("jupyterhub", lambda: http_ok(f"{self.url}/hub/login"), 60)

    def stop_hub(self, timeout: float = 30) -> None:
        self._stop("jupyterhub", timeout)

    def _create_license_secret(self) -> None:
        """What an admin does with `kubectl create secret`: the demo's dummy license."""
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "fpga-licenses", "namespace": self.namespace},
            "type": "Opaque",
            "stringData": {"xilinx-license": self.license_value},
        }
        request = urllib.request.Request(
            f"{self.api_url}/api/v1/namespaces/{self.namespace}/secrets",
            data=json.dumps(secret).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except urllib.error.HTTPError as e:
            if e.code != 409:  # already there from an earlier run
                raise DemoError(f"could not create the license Secret: HTTP {e.code}") from None

    def _write_ipython_profile(self) -> None:
        profile = self.state_dir / "ipython" / "profile_default"
        profile.mkdir(parents=True, exist_ok=True)
        (profile / "ipython_kernel_config.py").write_text(
            'c = get_config()  # noqa: F821\nc.InteractiveShellApp.extensions = ["jupyter_ext"]\n'
        )

    def stop(self, timeout: float = 30) -> None:
        """Hub first (it deletes the pods), then the emulator; kill what lingers."""
        for name in ("jupyterhub", "k8s-emulator"):
            self._stop(name, timeout)

    def _stop(self, name: str, timeout: float) -> None:
        process = self.processes.get(name)
        # JupyterHub starts the proxy in a session of its own: remember every
        # descendant now, so none survives a hub that dies before cleaning up.
        family = descendants(process.pid) if process is not None else []
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.log(f"{name} did not stop within {timeout:.0f} s; killing it")
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            # anything the process left in its own group
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        for child in family:
            with contextlib.suppress(psutil.Error):
                child.kill()
