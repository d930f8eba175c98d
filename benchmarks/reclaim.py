"""Time of one reclaimer poll over 500 running FPGA servers.

A stub hub API and 500 stub devices APIs (tests/support/reclaim_stub.py, real
HTTP on loopback, served in this process's event loop) stand in for the hub
and the pods. Measured, in the same run:

- baseline: what jupyterhub-idle-culler does per round, one paginated listing
  of the active users (``GET /hub/api/users?state=active``);
- ours: a full poll (the same listing, 500 devices-API reads, 500 decisions),
  with the default concurrency of 32 and with one read at a time.

Nothing is stopped (every server was active a minute ago), so each round is
the same work. Run: .venv/bin/python benchmarks/reclaim.py
The last line is JSON: {"servers": 500, "poll_ms": .., "listing_ms": .., ...}
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fpga_spawner.hub_events import HubEvents
from fpga_spawner.reclaim.client import HubClient
from fpga_spawner.reclaim.loop import Reclaimer
from fpga_spawner.reclaim.policy import Limits
from fpga_spawner.reclaim.state import ReclaimState
from tests.support.reclaim_stub import TOKEN, StubHub, iso

SERVERS = 500
ROUNDS = 7


async def timed(action, rounds: int = ROUNDS) -> list[float]:
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        await action()
        out.append((time.perf_counter() - t0) * 1000)
    return out


async def main() -> int:
    now = datetime.now(timezone.utc)
    stub = StubHub().start()
    for i in range(SERVERS):
        devices = {
            "requested": {"board": "u250"},
            "activity": {"last_activity": iso(now - timedelta(seconds=60)), "busy": False},
        }
        stub.add(f"user{i:04}", now - timedelta(hours=1), devices)
    client = HubClient(stub.api_url, TOKEN, max_clients=32)

    def reclaimer(concurrency: int) -> Reclaimer:
        return Reclaimer(
            client,
            Limits(idle_timeout=3600, warning=600),
            lambda s: stub.server_url(s.user, s.name),
            concurrency=concurrency,
            state=ReclaimState(),
            events=HubEvents(),
        )

    await client.running_servers()  # warm up connections and the stub
    listing = await timed(client.running_servers)
    ours = reclaimer(32)
    counts = await ours.poll()
    assert counts["fpga"] == SERVERS and counts["stopped"] == 0, counts
    poll = await timed(ours.poll)
    serial = await timed(reclaimer(1).poll, rounds=3)
    stub.stop()

    listing_ms, poll_ms, serial_ms = (statistics.median(x) for x in (listing, poll, serial))
    print(f"servers: {SERVERS} (stub hub API and devices APIs over loopback HTTP, one process)")
    print(f"baseline, listing only (idle-culler's round): {listing_ms:8.1f} ms")
    print(
        f"ours, full poll, concurrency 32:             {poll_ms:8.1f} ms "
        f"({poll_ms / listing_ms:.1f}x the listing, {poll_ms / SERVERS:.2f} ms per server)"
    )
    print(f"ours, full poll, one read at a time:          {serial_ms:8.1f} ms")
    print(
        json.dumps(
            {
                "servers": SERVERS,
                "poll_ms": round(poll_ms, 1),
                "poll_ms_per_server": round(poll_ms / SERVERS, 3),
                "listing_ms": round(listing_ms, 1),
                "ratio_to_listing": round(poll_ms / listing_ms, 2),
                "serial_poll_ms": round(serial_ms, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
