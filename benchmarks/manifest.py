"""get_pod_manifest() time: FPGASpawner with FPGA profiles vs plain KubeSpawner.

Both spawners are built from the same config in the same process; FPGASpawner
renders a U250 profile with licenses (the full patch), KubeSpawner the same
pod without FPGAs. Last line: JSON with the figures issue 2 names.
"""

from __future__ import annotations

import asyncio
import copy
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from fpga_spawner.render import ensure_kube_config  # noqa: E402

ensure_kube_config()

from kubespawner import KubeSpawner  # noqa: E402

from fpga_spawner.render import load_config, make_spawner  # noqa: E402

CALLS = 2000
ROUNDS = 5


async def time_manifest(spawner, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        await spawner.get_pod_manifest()
    return (time.perf_counter() - start) / calls * 1000


async def main() -> dict:
    config = load_config(REPO / "examples" / "jupyterhub_config.py")
    fpga = make_spawner(copy.deepcopy(config), "alice")
    fpga.user_options = {"profile": "u250", "count": "2"}
    await fpga.load_user_options()
    plain = make_spawner(copy.deepcopy(config), "alice", cls=KubeSpawner)
    plain.user_options = {"profile": "cpu"}
    await plain.load_user_options()
    for spawner in (fpga, plain):  # warm up
        await time_manifest(spawner, 200)
    fpga_ms, plain_ms = [], []
    for _ in range(ROUNDS):  # interleave so machine noise hits both alike
        fpga_ms.append(await time_manifest(fpga, CALLS))
        plain_ms.append(await time_manifest(plain, CALLS))
    ours, theirs = statistics.median(fpga_ms), statistics.median(plain_ms)
    print(f"FPGASpawner.get_pod_manifest (u250 x2, licenses): {ours:.4f} ms/call")
    print(f"KubeSpawner.get_pod_manifest (same config, no FPGA): {theirs:.4f} ms/call")
    print(f"ratio: {ours / theirs:.3f} (median of {ROUNDS} rounds of {CALLS} calls)")
    return {
        "fpga_manifest_ms": round(ours, 4),
        "kubespawner_manifest_ms": round(theirs, 4),
        "ratio": round(ours / theirs, 3),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
