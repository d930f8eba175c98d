"""What an open JupyterLab tab costs with the FPGA extension, against JupyterLab alone.

Starts two real `jupyter lab` servers with an emulated U250 and the server
extension: one without the JupyterLab extension (the baseline: JupyterLab's
own background requests for kernels, sessions, terminals, contents...) and
one with it (built in `jupyter_ext/labextension` by `pip install -e .`).
Chromium opens each for the same idle window; every request the page sends
is counted with its response size, and the time the server spends answering
`fpga/api/devices` is measured from the browser's resource timing.

Run: .venv/bin/python benchmarks/lab_extension.py [seconds]  (default 30 per server)
The last line is JSON: {"baseline_req_per_min": .., "ours_req_per_min": ..,
"fpga_req_per_min": .., "baseline_kb_per_min": .., "ours_kb_per_min": ..,
"fpga_kb_per_min": .., "fpga_p50_ms": .., "bundle_kb": ..}
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright

from jupyter_ext.contract import FPGARequest

REPO = Path(__file__).resolve().parents[1]
BUILT = REPO / "jupyter_ext" / "labextension"
ENABLE = REPO / "jupyter-config" / "jupyter_server_config.d" / "jupyter_ext.json"
VBNV = "xilinx_u250_gen3x16_xdma_shell_4_1"
TOKEN = "bench-token"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update"]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(root: Path, with_extension: bool) -> tuple[subprocess.Popen, str]:
    for d in ("sys", "dev", "runtime", "data/labextensions", "config/jupyter_server_config.d"):
        (root / d).mkdir(parents=True, exist_ok=True)
    shutil.copy(ENABLE, root / "config" / "jupyter_server_config.d")
    if with_extension:
        (root / "data" / "labextensions" / "jupyterhub-fpga").symlink_to(BUILT)
    request = FPGARequest(board="u250", board_name="AMD Alveo U250", count=1,
                          resource=f"amd.com/{VBNV}-0", platform=VBNV, emulation=True)  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "FPGA_"))}
    env |= request.to_env() | {
        "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
        "JUPYTER_DATA_DIR": str(root / "data"),
        "JUPYTER_CONFIG_DIR": str(root / "config"),
    }
    port = free_port()
    cmd = [str(Path(sys.executable).with_name("jupyter")), "lab", "--allow-root", "--no-browser",
           f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
           f"--ServerApp.root_dir={root}", f"--FPGADevices.sysfs_root={root / 'sys'}",
           f"--FPGADevices.dev_root={root / 'dev'}"]  # fmt: skip
    log = open(root / "lab.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "api/status", params={"token": TOKEN}, timeout=2).ok:
                return proc, url
        except requests.ConnectionError:
            time.sleep(0.2)
    stop(proc)
    raise SystemExit(f"jupyter lab did not start; see {root / 'lab.log'}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def idle_traffic(browser, url: str, seconds: float) -> dict:
    """Requests and response bytes of an idle Lab tab, after it has loaded."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{url}lab?token={TOKEN}")
    page.locator("#jp-main-statusbar").wait_for(timeout=90_000)
    page.wait_for_timeout(5_000)  # start-up requests are over
    seen: list[tuple[str, int]] = []

    def count(response) -> None:
        try:
            size = len(response.body())
        except Exception:  # a body the browser did not keep (e.g. a websocket upgrade)
            size = 0
        seen.append((response.url, size))

    page.on("response", count)
    page.wait_for_timeout(seconds * 1000)
    page.remove_listener("response", count)
    timings = page.evaluate(
        "performance.getEntriesByType('resource')"
        ".filter(e => e.name.includes('fpga/api/devices'))"
        ".map(e => e.responseEnd - e.requestStart)"
    )
    page.close()
    per_min = 60.0 / seconds
    fpga = [(u, n) for u, n in seen if "fpga/api/" in u]
    return {
        "req_per_min": len(seen) * per_min,
        "kb_per_min": sum(n for _, n in seen) / 1024 * per_min,
        "fpga_req_per_min": len(fpga) * per_min,
        "fpga_kb_per_min": sum(n for _, n in fpga) / 1024 * per_min,
        "fpga_ms": timings,
    }


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    if not (BUILT / "package.json").is_file():
        raise SystemExit("the JupyterLab extension is not built: run `pip install -e .` first")
    bundle = sum(p.stat().st_size for p in (BUILT / "static").iterdir()) / 1024
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        results = {}
        for name, with_extension in (("baseline", False), ("ours", True)):
            proc, url = start_lab(Path(tmp) / name, with_extension)
            try:
                results[name] = idle_traffic(browser, url, seconds)
            finally:
                stop(proc)
        browser.close()
    base, ours = results["baseline"], results["ours"]
    fpga_ms = ours["fpga_ms"]
    print(f"idle JupyterLab tab, {seconds:.0f} s per server, emulated U250")
    print(f"  JupyterLab alone:     {base['req_per_min']:6.1f} requests/min "
          f"{base['kb_per_min']:8.1f} KB/min")  # fmt: skip
    print(f"  with the extension:   {ours['req_per_min']:6.1f} requests/min "
          f"{ours['kb_per_min']:8.1f} KB/min")  # fmt: skip
    print(f"  of which fpga/api:    {ours['fpga_req_per_min']:6.1f} requests/min "
          f"{ours['fpga_kb_per_min']:8.1f} KB/min")  # fmt: skip
    if fpga_ms:
        print(f"  fpga/api/devices in the browser: median {statistics.median(fpga_ms):.1f} ms "
              f"over {len(fpga_ms)} requests")  # fmt: skip
    print(f"  extension bundle: {bundle:.1f} KB (static/, loaded once)")
    print(json.dumps({
        "baseline_req_per_min": round(base["req_per_min"], 1),
        "ours_req_per_min": round(ours["req_per_min"], 1),
        "fpga_req_per_min": round(ours["fpga_req_per_min"], 1),
        "baseline_kb_per_min": round(base["kb_per_min"], 1),
        "ours_kb_per_min": round(ours["kb_per_min"], 1),
        "fpga_kb_per_min": round(ours["fpga_kb_per_min"], 1),
        "fpga_p50_ms": round(statistics.median(fpga_ms), 2) if fpga_ms else None,
        "bundle_kb": round(bundle, 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
