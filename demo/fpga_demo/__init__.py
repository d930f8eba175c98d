"""`jupyterhub-fpga demo`: the whole product on one machine, with emulated FPGAs."""

from __future__ import annotations

import argparse
import signal
import tempfile
import threading
import time
from pathlib import Path

from .launcher import DemoError, DemoStack

WHAT_TO_TRY = """\
JupyterHub with FPGASpawner is running at {url}
  (an EMULATED Kubernetes cluster: U250 and U280 on premises, a U55C shared as 2
   slots, AWS F2 nodes on demand; every FPGA here is an emulated CPU model)

Try:
  1. Log in with any name (no password).
  2. Pick "AMD Alveo U250" (see the live "1 of 1 free"), then Start.
  3. Open getting-started.ipynb and run %fpga status: the emulated U250 appears.
  4. In a second browser profile, log in as someone else and ask for the U250 too:
     the spawn page explains that none is free and waits until the first user stops.
  5. Pick "Accelerator: Stereo block matching" x 4 while the U250 is busy: the
     emulated autoscaler adds an F2 node (watch the progress messages). In the demo
     the F2 stands in for a cloud board that runs the library; a real F2 runs no
     Vitis xclbin today.
  6. Two users can each take one slot of the shared "AMD Alveo U55C"; a third is
     told how many slots are free.
  7. Log in as "admin" and open {url}/hub/fpga/admin: who holds each board, who
     waits, recent bursts and refusals.

An FPGA server whose FPGA is unused for an hour is stopped, with a warning on the
home page and in the notebook 10 minutes before (FPGA_DEMO_IDLE_TIMEOUT changes it).
Prometheus metrics (jupyterhub_fpga_*, no token in the demo): {url}/hub/metrics
State and logs: {state}
Press Ctrl-C to stop everything.
"""


def run_demo(args: argparse.Namespace) -> int:
    state = Path(args.state_dir or tempfile.mkdtemp(prefix="fpga-demo-")).resolve()
    stack = DemoStack(state_dir=state, port=args.port)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        started = time.monotonic()
        print("Starting the Kubernetes API emulator and JupyterHub ...", flush=True)
        stack.start()
        print(f"Ready in {time.monotonic() - started:.1f} s.\n", flush=True)
        print(WHAT_TO_TRY.format(url=stack.url, state=state), flush=True)
        while not stop.wait(0.5):
            for name, process in stack.processes.items():
                if process.poll() is not None:
                    raise DemoError(f"{name} stopped unexpectedly; see {state / (name + '.log')}")
    except DemoError as e:
        print(f"jupyterhub-fpga demo: {e}", flush=True)
        return 1
    finally:
        print("Stopping ...", flush=True)
        stack.stop()
        print("Stopped; nothing is left running.", flush=True)
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8000, help="public port of the hub (8000)")
    parser.add_argument(
        "--state-dir", default="", help="where the demo keeps its database, homes and logs"
    )
