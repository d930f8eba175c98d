"""A stand-in for the hub REST API and the pods' devices API, over real HTTP.

The reclaimer's unit tests and ``benchmarks/reclaim.py`` run the real
:class:`~fpga_spawner.reclaim.client.HubClient` and
:class:`~fpga_spawner.reclaim.loop.Reclaimer` against it: it pages
``GET /hub/api/users?state=active`` like JupyterHub (with the pagination
Accept header), serves each server's ``fpga/api/devices`` from what the test
set, accepts ``DELETE`` of a server, and refuses any other token with a 403.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from tornado import web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

TOKEN = "reclaimer-test-token"


def iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass
class StubServer:
    user: str
    name: str
    started: datetime
    devices: dict[str, Any] | None
    """The devices-API answer; None answers 404 (a server without the extension)."""
    ready: bool = True


@dataclass
class StubHub:
    servers: dict[tuple[str, str], StubServer] = field(default_factory=dict)
    deleted: list[tuple[str, str]] = field(default_factory=list)
    refuse_delete: bool = False
    requests: int = 0
    port: int = 0
    _http: HTTPServer | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hub/api"

    def server_url(self, user: str, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/user/{user}/{name}"

    def add(
        self,
        user: str,
        started: datetime,
        devices: dict[str, Any] | None,
        name: str = "",
        ready: bool = True,
    ) -> StubServer:
        server = StubServer(user, name, started, devices, ready)
        self.servers[(user, name)] = server
        return server

    def start(self) -> StubHub:
        app = web.Application(
            [
                (r"/hub/api/users", _Users, {"stub": self}),
                (r"/hub/api/users/([^/]+)/server", _Delete, {"stub": self}),
                (r"/hub/api/users/([^/]+)/servers/([^/]+)", _Delete, {"stub": self}),
                (r"/user/([^/]+)/([^/]*)/?fpga/api/devices", _Devices, {"stub": self}),
            ]
        )
        (sock,) = bind_sockets(0, "127.0.0.1")
        self.port = sock.getsockname()[1]
        self._http = HTTPServer(app)
        self._http.add_sockets([sock])
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.stop()


class _Handler(web.RequestHandler):
    def initialize(self, stub: StubHub) -> None:
        self.stub = stub

    def prepare(self) -> None:
        self.stub.requests += 1
        if self.request.headers.get("Authorization") != f"token {TOKEN}":
            raise web.HTTPError(403)


class _Users(_Handler):
    def get(self) -> None:
        assert self.get_argument("state") == "active"
        by_user: dict[str, dict[str, Any]] = {}
        for s in self.stub.servers.values():
            model = {
                "name": s.name,
                "ready": s.ready,
                "pending": None if s.ready else "spawn",
                "started": iso(s.started),
                "url": f"/user/{s.user}/{s.name}",
            }
            by_user.setdefault(s.user, {"name": s.user, "servers": {}})["servers"][s.name] = model
        users = sorted(by_user.values(), key=lambda u: u["name"])
        offset, limit = int(self.get_argument("offset", "0")), int(self.get_argument("limit", "50"))
        page = users[offset : offset + limit]
        following = {"offset": offset + limit} if offset + limit < len(users) else None
        self.finish(json.dumps({"items": page, "_pagination": {"next": following}}))


class _Delete(_Handler):
    def delete(self, user: str, name: str = "") -> None:
        if self.stub.refuse_delete or (user, name) not in self.stub.servers:
            raise web.HTTPError(400)
        del self.stub.servers[(user, name)]
        self.stub.deleted.append((user, name))
        self.set_status(204)


class _Devices(_Handler):
    def get(self, user: str, name: str) -> None:
        server = self.stub.servers.get((user, name))
        if server is None or server.devices is None:
            raise web.HTTPError(404)
        self.finish(json.dumps(server.devices))
