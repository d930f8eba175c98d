"""The reclaimer's calls: the hub's REST API and the pods' devices API, over HTTP.

Every call carries the reclaimer's own token, whose role
(:data:`RECLAIMER_SCOPES`) allows listing servers, reading them through the
proxy-less internal address (``access:servers``) and stopping them, nothing
else. Answers are parsed into plain data for the loop; an unreachable or
odd answer becomes None, never an exception in the loop.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

#: What the reclaimer's token may do: list users' servers and read their start,
#: read the devices API of a server, stop a server. Nothing more.
RECLAIMER_SCOPES = ("list:users", "read:servers", "access:servers", "delete:servers")

PAGINATION = "application/jupyterhub-pagination+json"


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 time from JupyterHub or the pod, as an aware UTC datetime (None if not one)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


@dataclass(frozen=True)
class RunningServer:
    user: str
    name: str
    """"" for the default server."""
    started: datetime | None
    url: str
    """The server's path on the hub, e.g. ``/user/alice/``."""


@dataclass(frozen=True)
class Activity:
    """The part of a devices-API answer the reclaimer uses."""

    fpga: bool
    """The server was started with an FPGA (its report has a ``requested`` board)."""
    board: str = ""
    started: datetime | None = None
    """When the pod's Jupyter server started (it could be used from then on)."""
    last_activity: datetime | None = None
    busy: bool = False
    idle_timeout: float | None = None
    idle_warning: float | None = None
    max_age: float | None = None


def _seconds(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
    return float(value) if ok else None


def parse_devices(doc: Mapping[str, Any]) -> Activity:
    """Read a devices-API answer; a pod without ``activity`` yet is idle since its start."""
    requested = doc.get("requested")
    if not isinstance(requested, Mapping) or not requested.get("board"):
        return Activity(fpga=False)
    activity = doc.get("activity")
    activity = activity if isinstance(activity, Mapping) else {}
    return Activity(
        fpga=True,
        board=str(requested.get("board")),
        started=parse_time(activity.get("started")),
        last_activity=parse_time(activity.get("last_activity")),
        busy=activity.get("busy") is True,
        idle_timeout=_seconds(activity.get("idle_timeout")),
        idle_warning=_seconds(activity.get("idle_warning")),
        max_age=_seconds(activity.get("max_age")),
    )


def running_servers(users: list[Any]) -> list[RunningServer]:
    """Ready servers from a ``GET /users?state=active`` page (pending ones are left alone)."""
    out = []
    for user in users:
        if not isinstance(user, Mapping):
            continue
        for name, server in (user.get("servers") or {}).items():
            if isinstance(server, Mapping) and server.get("ready") and not server.get("pending"):
                out.append(
                    RunningServer(
                        str(user.get("name")),
                        name,
                        parse_time(server.get("started")),
                        str(server.get("url") or ""),
                    )
                )
    return out


class HubClient:
    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        timeout: float = 10,
        max_clients: int = 32,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self._headers = {"Authorization": f"token {token}"}
        self.timeout = timeout
        # A client of its own: 500 reads queued in the hub's shared client would
        # hold up the hub's own calls (proxy, spawners) for the length of a poll.
        self.http = AsyncHTTPClient(force_instance=True, max_clients=max_clients)

    def _request(self, url: str, method: str = "GET", **headers: str) -> HTTPRequest:
        return HTTPRequest(
            url,
            method=method,
            headers={**self._headers, **headers},
            request_timeout=self.timeout,
            connect_timeout=self.timeout,
            follow_redirects=False,
        )

    async def running_servers(self, page: int = 200) -> list[RunningServer]:
        """Every ready server, page by page (raises on a hub error: the poll is skipped)."""
        found: list[RunningServer] = []
        offset = 0
        while True:
            url = f"{self.api_url}/users?state=active&offset={offset}&limit={page}"
            response = await self.http.fetch(self._request(url, Accept=PAGINATION))
            body = json.loads(response.body)
            items = body.get("items", []) if isinstance(body, dict) else body
            found.extend(running_servers(items))
            following = (
                (body.get("_pagination") or {}).get("next") if isinstance(body, dict) else None
            )
            if not following or not items:
                return found
            offset = int(following.get("offset", offset + len(items)))

    async def devices(self, server_url: str) -> Activity | None:
        """The server's devices API, or None when it cannot be read now."""
        url = server_url.rstrip("/") + "/fpga/api/devices"
        try:
            response = await self.http.fetch(self._request(url))
            doc = json.loads(response.body)
        except (HTTPClientError, OSError, ValueError):
            return None
        return parse_devices(doc) if isinstance(doc, Mapping) else None

    async def stop(self, user: str, server: str) -> bool:
        """Ask the hub to stop the server; True when it accepted (202) or is done (204)."""
        path = f"/users/{quote(user, safe='')}/server"
        if server:
            path = f"/users/{quote(user, safe='')}/servers/{quote(server, safe='')}"
        try:
            response = await self.http.fetch(self._request(self.api_url + path, "DELETE"))
        except (HTTPClientError, OSError):
            return False
        return response.code in (202, 204)
