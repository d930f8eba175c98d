"""`jupyterhub-fpga demo`: time to a served login page, and what Ctrl-C leaves behind.

Runs the demo command as a user would, waits for the login page, starts one
U250 server through the spawn form (so a pod process exists too), records
every process of the demo's tree, sends SIGINT (Ctrl-C) and counts the
recorded processes still alive afterwards. Baseline in the same run: a bare
`jupyterhub` (default spawner, same proxy) from command to login page.

Last line: JSON with the figures issue 6 names.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import psutil
import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from fpga_demo.launcher import free_port, proxy_command  # noqa: E402

BIN = Path(sys.executable).parent


def wait_for_login(url: str, process: subprocess.Popen, timeout: float = 120) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"exited early with {process.returncode}")
        try:
            if requests.get(f"{url}/hub/login", timeout=2).status_code == 200:
                return time.perf_counter() - started
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise RuntimeError("no login page")


def tree(pid: int) -> set[int]:
    try:
        return {pid, *(p.pid for p in psutil.Process(pid).children(recursive=True))}
    except psutil.Error:
        return {pid}


def alive(pids: set[int]) -> list[int]:
    left = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                left.append(pid)
        except psutil.Error:
            pass
    return left


def start_a_u250_server(url: str) -> None:
    session = requests.Session()
    page = session.get(f"{url}/hub/login", timeout=10).text
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page).group(1)
    session.post(f"{url}/hub/login", data={"username": "bench", "_xsrf": xsrf}, timeout=10)
    xsrf = session.cookies.get("_xsrf") or xsrf
    session.post(
        f"{url}/hub/spawn/bench",
        data={"profile": "u250", "profile-option-u250--count": "1", "_xsrf": xsrf},
        timeout=30,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        # a page, not an API: the request follows the OAuth redirects like a browser
        response = session.get(f"{url}/user/bench/lab", timeout=30)
        if response.status_code == 200 and "/user/bench/lab" in response.url:
            return
        time.sleep(0.5)
    raise RuntimeError("the U250 server did not start")


def measure_demo() -> tuple[float, int, int]:
    port = free_port()
    state = tempfile.mkdtemp(prefix="demo-bench-")
    command = [str(BIN / "jupyterhub-fpga"), "demo", "--port", str(port), "--state-dir", state]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        start_s = wait_for_login(url, process)
        start_a_u250_server(url)
        recorded = tree(process.pid)
    finally:
        os.kill(process.pid, signal.SIGINT)  # what Ctrl-C sends
        process.wait(60)
    time.sleep(0.5)
    return start_s, len(recorded), len(alive(recorded))


def measure_bare_jupyterhub() -> float:
    state = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    port = free_port()
    (state / "jupyterhub_config.py").write_text(
        textwrap.dedent(
            f"""
            c.JupyterHub.ip = "127.0.0.1"
            c.JupyterHub.port = {port}
            c.JupyterHub.hub_port = {free_port()}
            c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{free_port()}"
            c.ConfigurableHTTPProxy.command = [{proxy_command()!r}]
            c.JupyterHub.authenticator_class = "dummy"
            c.Authenticator.allow_all = True
            """
        )
    )
    process = subprocess.Popen(
        [str(BIN / "jupyterhub"), "-f", "jupyterhub_config.py"],
        cwd=state,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        return wait_for_login(f"http://127.0.0.1:{port}", process)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


def main() -> dict:
    baseline = measure_bare_jupyterhub()
    demo_s, recorded, left = measure_demo()
    print(f"bare jupyterhub to login page: {baseline:.2f} s")
    print(f"jupyterhub-fpga demo to login page: {demo_s:.2f} s ({demo_s / baseline:.2f}x)")
    print(f"after Ctrl-C: {left} of {recorded} demo processes left (incl. a U250 pod)")
    return {
        "demo_start_s": round(demo_s, 2),
        "baseline_jupyterhub_start_s": round(baseline, 2),
        "ratio": round(demo_s / baseline, 2),
        "processes_recorded": recorded,
        "leftover_processes": left,
    }


if __name__ == "__main__":
    print(json.dumps(main()))
