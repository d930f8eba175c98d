"""Start a real `jupyter server` for the tests, and always stop it."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support.paths import REPO

JUPYTER = Path(sys.executable).with_name("jupyter")
ENABLE_EXTENSION = REPO / "jupyter-config" / "jupyter_server_config.d" / "jupyter_ext.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, workdir: Path, env: dict[str, str], args: list[str], token: str = "s3cret-token",
                 base_url: str = "/user/alice/", app: str = "server"):  # fmt: skip
        """Start `jupyter <app>` (`server`, or `lab` for the JupyterLab application)."""
        self.port, self.token, self.base_url = free_port(), token, base_url
        self.url = f"http://127.0.0.1:{self.port}{base_url}"
        for d in ("runtime", "data", "config/jupyter_server_config.d"):
            (workdir / d).mkdir(parents=True, exist_ok=True)
        # Enabled the way the wheel enables it (its shared data), whatever the venv holds.
        shutil.copy(ENABLE_EXTENSION, workdir / "config" / "jupyter_server_config.d")
        full_env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("FPGA_", "ACCELERATOR_", "JUPYTER"))
        }
        full_env |= {
            "JUPYTER_RUNTIME_DIR": str(workdir / "runtime"),
            "JUPYTER_DATA_DIR": str(workdir / "data"),
            "JUPYTER_CONFIG_DIR": str(workdir / "config"),
            **env,
        }
        # The server and its kernels run this checkout's jupyter_ext, whatever the venv holds.
        paths = [full_env.get("PYTHONPATH", ""), str(REPO)]
        full_env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
        cmd = [
            str(JUPYTER), app, "--allow-root", "--no-browser",
            f"--port={self.port}", "--ip=127.0.0.1", f"--ServerApp.base_url={base_url}",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={workdir}",
            *args,
        ]  # fmt: skip
        self.log = open(workdir / "server.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            cmd,
            env=full_env,
            cwd=workdir,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token}"
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"jupyter server exited: {Path(self.log.name).read_text()[-3000:]}"
                )
            try:
                if self.session.get(self.url + "api/status", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise TimeoutError("jupyter server did not become ready")

    def get(self, path: str, **kw) -> requests.Response:
        return self.session.get(self.url + path, timeout=kw.pop("timeout", 30), **kw)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.session.close()
        self.log.close()

    def start_kernel(self) -> str:
        r = self.session.post(self.url + "api/kernels", json={"name": "python3"}, timeout=60)
        r.raise_for_status()
        return r.json()["id"]

    def execute(self, kernel_id: str, code: str, timeout: float = 120) -> list[dict]:
        """Run ``code`` in one of this server's kernels; see :func:`execute_in_kernel`."""
        return execute_in_kernel(
            self.url, {"Authorization": f"token {self.token}"}, kernel_id, code, timeout
        )


def execute_in_kernel(
    server_url: str, headers: dict[str, str], kernel_id: str, code: str, timeout: float = 120
) -> list[dict]:
    """Run ``code`` in a kernel over its websocket, as a notebook cell would; the contents
    of that request's stream, display and result messages.

    ``server_url`` is the Jupyter server's base URL (a hub's ``/user/<name>/`` too).
    Raises AssertionError with the traceback when the code raised.
    """
    import json
    import uuid

    import websocket

    ws_url = server_url.replace("http://", "ws://", 1) + f"api/kernels/{kernel_id}/channels"
    ws = websocket.create_connection(
        ws_url, header=[f"{k}: {v}" for k, v in headers.items()], timeout=timeout
    )
    try:
        msg_id = uuid.uuid4().hex
        ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                       "session": uuid.uuid4().hex, "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": True,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
        }))  # fmt: skip
        outputs: list[dict] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = json.loads(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["header"]["msg_type"]
            if kind == "error":
                raise AssertionError("\n".join(msg["content"]["traceback"]))
            if msg["channel"] == "iopub" and kind in ("stream", "display_data", "execute_result"):
                outputs.append(msg["content"])
            if kind == "status" and msg["content"]["execution_state"] == "idle":
                return outputs
        raise TimeoutError(f"kernel did not finish within {timeout} s")
    finally:
        ws.close()
