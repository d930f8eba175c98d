"""Latency of GET fpga/api/devices vs. jupyter_server's own /api/status.

Starts a real `jupyter server` with this extension on a sysfs/dev tree that
mirrors a pod with one Alveo U250 (the hub's request in the environment),
then sends 1,000 requests to each endpoint, alternating, over one keep-alive
connection, in the same run. Target: devices p99 <= 2x /api/status p99, and
under 5 ms.

The devices answer includes ``activity``, read fresh on every request: during
the measurement three kernel records in the activity directory change all the
time (a thread records a run on one of them every millisecond, so each is
rewritten four times a second, as busy kernels do), and a retired total is
there too. ``fpga/metrics`` is measured the same way and reported beside.

Run: .venv/bin/python benchmarks/devices_api.py
The last line is JSON: {"p50_ms": .., "p99_ms": .., "status_p99_ms": .., "ratio_p99": ..,
"metrics_p99_ms": .., "metrics_ratio_p99": ..}
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from jupyter_ext.activity import Recorder
from jupyter_ext.activity.model import ProcessRecord
from jupyter_ext.activity.store import RETIRED, write_json
from jupyter_ext.contract import ENV_ACTIVITY_DIR, FPGARequest

N = 1000
VBNV = "xilinx_u250_gen3x16_xdma_shell_4_1"
TOKEN = "bench-token"
REPO = Path(__file__).resolve().parents[1]
ENABLE = REPO / "jupyter-config" / "jupyter_server_config.d" / "jupyter_ext.json"


def pod_tree(root: Path) -> tuple[Path, Path]:
    """One U250 as XRT publishes it in sysfs, its nodes mounted in /dev."""
    sysfs, dev = root / "sys", root / "dev"
    pci = sysfs / "bus" / "pci" / "devices"
    files = {
        "0000:3b:00.0/vendor": "0x10ee",
        "0000:3b:00.0/device": "0x5004",
        "0000:3b:00.0/mgmt_pf": "",
        "0000:3b:00.0/instance": "15104",
        "0000:3b:00.0/xmc.m.15104/hwmon/hwmon3/temp1_input": "41000",
        "0000:3b:00.0/xmc.m.15104/hwmon/hwmon3/power1_input": "23500000",
        "0000:3b:00.1/vendor": "0x10ee",
        "0000:3b:00.1/device": "0x5005",
        "0000:3b:00.1/user_pf": "",
        "0000:3b:00.1/rom.u.15105/VBNV": VBNV,
        "0000:3b:00.1/rom.u.15105/timestamp": "0",
        "0000:3b:00.1/logic_uuids": "e6f1ef0e22d6f3be5d8e6b3c84bbd9cd",
        "0000:3b:00.1/xmc.u.15105/serial_num": "21290594G00L",
    }
    for rel, text in files.items():
        (pci / rel).parent.mkdir(parents=True, exist_ok=True)
        (pci / rel).write_text(text + "\n")
    (pci / "0000:3b:00.1" / "drm" / "renderD128").mkdir(parents=True)
    for node in ("dri/renderD128", "xclmgmt15104"):
        (dev / node).parent.mkdir(parents=True, exist_ok=True)
        (dev / node).write_bytes(b"")
    return sysfs, dev


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))]


def busy_kernels(directory: Path, stop: threading.Event) -> list[Recorder]:
    """Three kernels' records (this process holds their locks, so they count as live),
    one of them recording a run every millisecond until ``stop``; plus a retired total."""
    directory.mkdir(parents=True)
    write_json(directory / RETIRED, ProcessRecord(runs=500, processes=7).to_dict())
    kernels = [Recorder(directory) for _ in range(3)]

    def run_forever() -> None:
        i = 0
        while not stop.is_set():
            k = kernels[i % len(kernels)]
            k.begin("run", "emulated")
            k.end("run", "emulated")
            i += 1
            time.sleep(0.001)

    threading.Thread(target=run_forever, daemon=True).start()
    return kernels


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="fpga-bench-"))
    sysfs, dev = pod_tree(tmp)
    port = free_port()
    stop = threading.Event()
    kernels = busy_kernels(tmp / "activity", stop)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FPGA_", "JUPYTER"))}
    env |= FPGARequest(board="u250", count=1, resource=f"amd.com/{VBNV}-0", platform=VBNV).to_env()
    env[ENV_ACTIVITY_DIR] = str(tmp / "activity")
    env |= {f"JUPYTER_{d.upper()}_DIR": str(tmp / d) for d in ("runtime", "data", "config")}
    # The extension enabled as the wheel enables it, and this checkout's code first.
    (tmp / "config" / "jupyter_server_config.d").mkdir(parents=True)
    shutil.copy(ENABLE, tmp / "config" / "jupyter_server_config.d")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), str(REPO)) if p)
    cmd = [
        str(Path(sys.executable).with_name("jupyter")), "server", "--allow-root", "--no-browser",
        f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={tmp}", "--ServerApp.log_level=WARN",
        f"--FPGADevices.sysfs_root={sysfs}", f"--FPGADevices.dev_root={dev}",
    ]  # fmt: skip
    log = open(tmp / "server.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        cmd, env=env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}/"
    s = requests.Session()
    s.headers["Authorization"] = f"token {TOKEN}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if s.get(base + "fpga/api/devices", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit(
                    f"server did not start: {(tmp / 'server.log').read_text()[-2000:]}"
                )
            time.sleep(0.2)
        time.sleep(0.5)  # every kernel has written its record
        body = s.get(base + "fpga/api/devices").json()
        assert body["backend"] == "hardware" and len(body["devices"]) == 1, body
        first_runs = body["activity"]["runs"]
        assert first_runs > 500 and body["activity"]["last_run"], body["activity"]
        endpoints = (("devices", "fpga/api/devices"), ("status", "api/status"),
                     ("metrics", "fpga/metrics"))  # fmt: skip
        for _ in range(100):  # warm-up, every endpoint
            for _, path in endpoints:
                s.get(base + path)
        lat: dict[str, list[float]] = {name: [] for name, _ in endpoints}
        for _ in range(N):
            for name, path in endpoints:
                t0 = time.perf_counter()
                r = s.get(base + path)
                lat[name].append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200
        last_runs = s.get(base + "fpga/api/devices").json()["activity"]["runs"]
        assert last_runs > first_runs, (first_runs, last_runs)  # fresh, not cached
    finally:
        stop.set()
        for k in kernels:
            k.close()
        s.close()
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()

    d, st, m = lat["devices"], lat["status"], lat["metrics"]
    p50, p99, sp50, sp99 = (
        percentile(d, 50),
        percentile(d, 99),
        percentile(st, 50),
        percentile(st, 99),
    )
    print(f"{N} requests each, alternating, one keep-alive connection")
    print(
        f"GET fpga/api/devices: p50 {p50:.3f} ms, p99 {p99:.3f} ms (body {len(json.dumps(body))} B)"
    )
    print(f"GET api/status:       p50 {sp50:.3f} ms, p99 {sp99:.3f} ms")
    mp50, mp99 = percentile(m, 50), percentile(m, 99)
    print(f"GET fpga/metrics:     p50 {mp50:.3f} ms, p99 {mp99:.3f} ms ({mp99 / sp99:.2f}x status)")
    print(f"activity read fresh each request: runs went {first_runs} -> {last_runs} meanwhile")
    ratio = p99 / sp99
    ok = ratio <= 2.0 and p99 < 5.0
    print(f"target: p99 <= 2x api/status and < 5 ms -> {'met' if ok else 'NOT met'}")
    print(
        json.dumps(
            {
                "p50_ms": round(p50, 3),
                "p99_ms": round(p99, 3),
                "status_p99_ms": round(sp99, 3),
                "ratio_p99": round(ratio, 3),
                "metrics_p99_ms": round(mp99, 3),
                "metrics_ratio_p99": round(mp99 / sp99, 3),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
