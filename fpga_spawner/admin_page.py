"""The FPGA admin page: ``/hub/fpga/admin`` and its data, ``/hub/fpga/admin/data``.

A hub page (``c.JupyterHub.extra_handlers``) rather than a service: it reads
the hub process's own capacity ledger, wait line and event log, which a
separate service process could not see. It needs the same scope as
JupyterHub's own admin page (``admin-ui``), so whoever may open /hub/admin
may open this, and anyone else gets JupyterHub's 403. Read-only: GET only.
The page is a shell that polls the data endpoint and fills its tables with
``textContent`` (names from users and pods are never parsed as HTML); what
it shows is decided by :mod:`.admin_model`.

Wire it up with::

    from fpga_spawner.admin_page import admin_handlers
    c.JupyterHub.extra_handlers = admin_handlers()
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from jupyterhub.handlers import BaseHandler
from jupyterhub.scopes import needs_scope
from tornado import web

from .admin_model import LastActivitySource, WaiterLike, WaitingSource, admin_view
from .hub_events import HUB_EVENTS
from .hub_view import live_boards
from .reclaim import last_activity as reclaim_activity
from .waitline import snapshot

WIRING = {
    "waiting": "default fpga_spawner.waitline.snapshot, or None to leave the wait line out",
    "last_activity": "default fpga_spawner.reclaim.last_activity, or None to leave activity out",
}

#: How often the page asks for fresh data (milliseconds).
REFRESH_MS = 5000

PAGE = """{% extends "page.html" %}
{% block title %}FPGA boards{% endblock title %}
{% block main %}
<div class="container" id="fpga-admin" data-url="{{ data_url }}">
  <h1>FPGA boards</h1>
  <p class="text-muted">Read-only. Refreshes every {{ refresh_s }} s;
    <span id="fpga-generated">loading</span>.</p>
  <div id="fpga-sources" class="alert alert-info" hidden></div>
  <div id="fpga-error" class="alert alert-danger" hidden></div>
  <div id="fpga-boards"></div>
  <h2>Recent bursts</h2><div id="fpga-bursts"></div>
  <h2>Recent refusals</h2><div id="fpga-refusals"></div>
  <h2>Recent reclaims</h2><div id="fpga-reclaims"></div>
  <noscript>This page needs JavaScript; the same data is at
    <a href="{{ data_url }}">{{ data_url }}</a>.</noscript>
</div>
{% endblock main %}
{% block script %}
{{ super() }}
<script>
(function () {
  "use strict";
  var dataUrl = document.getElementById("fpga-admin").getAttribute("data-url");
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function ago(iso) {
    if (!iso) return "never";
    var s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    var t = s < 120 ? s + " s" : s < 7200 ? Math.round(s / 60) + " min" : Math.round(s / 3600) + " h";
    return iso + " (" + t + " ago)";
  }
  function table(columns, rows, empty) {
    if (!rows.length) return el("p", empty, "text-muted");
    var t = el("table", null, "table table-sm"), head = el("tr");
    columns.forEach(function (c) { head.appendChild(el("th", c[0])); });
    t.appendChild(el("thead")).appendChild(head);
    var body = t.appendChild(el("tbody"));
    rows.forEach(function (r) {
      var tr = body.appendChild(el("tr"));
      columns.forEach(function (c) { tr.appendChild(el("td", c[1](r))); });
    });
    return t;
  }
  function server(r) { return r.server || "(default)"; }
  function render(data) {
    var boards = document.getElementById("fpga-boards");
    boards.replaceChildren();
    if (!data.boards.length) boards.appendChild(el("p", "No FPGA catalog loaded yet.", "text-muted"));
    data.boards.forEach(function (b) {
      var section = boards.appendChild(el("section", null, "mb-4"));
      section.setAttribute("data-board", b.slug);
      section.appendChild(el("h2", b.display_name + " (" + b.slug + ", " + b.location + ")"));
      var c = b.capacity;
      section.appendChild(el("p", c ? c.in_use + " in use, " + c.free + " free of " + c.total +
        (c.burstable ? "; cloud node groups can add " + c.burstable : "") : "capacity unknown",
        "fpga-capacity"));
      section.appendChild(el("h3", "Holders", "h5"));
      section.appendChild(table([
        ["User", function (r) { return r.user || "(not a hub server)"; }],
        ["Server", server], ["Boards", function (r) { return r.count; }],
        ["Since", function (r) { return ago(r.since); }],
        ["Last FPGA activity", function (r) {
          return data.sources.last_activity ? ago(r.last_activity) : "unknown (no reclaimer)"; }],
        ["Pod", function (r) { return r.pod; }], ["Node", function (r) { return r.node; }]
      ], b.holders, "Nobody holds one."));
      section.appendChild(el("h3", "Waiting", "h5"));
      section.appendChild(table([
        ["User", function (r) { return r.user; }], ["Server", server],
        ["Boards", function (r) { return r.count; }],
        ["Since", function (r) { return ago(r.since); }]
      ], b.waiting, data.sources.waiting ? "Nobody waits." : "No wait line in this hub."));
    });
    var eventColumns = [
      ["When", function (r) { return ago(r.at); }], ["User", function (r) { return r.user; }],
      ["Server", server], ["Board", function (r) { return r.board; }],
      ["Reason", function (r) { return r.reason || r.node_group || ""; }],
      ["Message", function (r) { return r.message; }]
    ];
    ["bursts", "refusals", "reclaims"].forEach(function (kind) {
      var box = document.getElementById("fpga-" + kind);
      box.replaceChildren(table(eventColumns, data.recent[kind], "None recently."));
    });
    document.getElementById("fpga-generated").textContent = "as of " + data.generated;
    document.getElementById("fpga-error").hidden = true;
  }
  function refresh() {
    fetch(dataUrl, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) {
        if (!r.ok) throw new Error("the hub answered " + r.status);
        return r.json();
      })
      .then(render)
      .catch(function (e) {
        var box = document.getElementById("fpga-error");
        box.textContent = "Could not refresh: " + e.message;
        box.hidden = false;
      });
  }
  refresh();
  setInterval(refresh, {{ refresh_ms }});
})();
</script>
{% endblock script %}
"""


class FPGAAdminBase(BaseHandler):
    """Shared by the page and its data: where the wait line and activity come from."""

    def initialize(
        self,
        waiting: WaitingSource | None = None,
        last_activity: LastActivitySource | None = None,
    ) -> None:
        self.waiting = waiting
        self.last_activity = last_activity

    def _waiting_now(self) -> Mapping[str, Sequence[WaiterLike]] | None:
        if self.waiting is None:
            return None
        try:
            return self.waiting()
        except Exception:
            self.log.exception("FPGA admin page: reading the wait line failed")
            return None

    def _activity(self, user: str, server: str) -> datetime | None:
        try:
            return self.last_activity(user, server) if self.last_activity else None
        except Exception:
            self.log.exception("FPGA admin page: reading %s/%s's activity failed", user, server)
            return None

    def view(self) -> dict[str, Any]:
        events = [e for kind in ("burst", "refusal", "reclaim") for e in HUB_EVENTS.recent(kind)]
        return admin_view(
            [(board, ledger) for board, ledger, _ in live_boards()],
            sorted(events, key=lambda e: -e.at),
            self._waiting_now(),
            self._activity if self.last_activity is not None else None,
            now=time.time(),
        )


class FPGAAdminDataHandler(FPGAAdminBase):
    """The page's data as JSON (a token with ``admin-ui`` works too)."""

    _accept_token_auth = True

    @needs_scope("admin-ui")
    def get(self) -> None:
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(self.view()))


class FPGAAdminPageHandler(FPGAAdminBase):
    """The page: JupyterHub's layout around tables the script fills."""

    @web.authenticated
    @needs_scope("admin-ui")
    async def get(self) -> None:
        data_url = f"{self.hub.base_url}fpga/admin/data"
        namespace = {
            **self.template_namespace,
            "xsrf_token": self.xsrf_token.decode("ascii"),
            "data_url": data_url,
            "refresh_ms": REFRESH_MS,
            "refresh_s": REFRESH_MS // 1000,
        }
        template = self.settings["jinja2_env"].from_string(PAGE)
        self.set_header("Cache-Control", "no-store")
        self.finish(await template.render_async(**namespace))


def admin_handlers(
    waiting: WaitingSource | None = snapshot,
    last_activity: LastActivitySource | None = reclaim_activity,
) -> list[tuple]:
    """Handlers for ``c.JupyterHub.extra_handlers`` (paths under the hub's prefix).

    By default the page reads this hub's own wait line
    (:func:`fpga_spawner.waitline.snapshot`) and what the idle reclaimer last read from
    each server (:func:`fpga_spawner.reclaim.last_activity`, which knows nothing while
    the reclaimer is off); None leaves either column out, another function replaces it.
    """
    sources = {"waiting": waiting, "last_activity": last_activity}
    for name, source in sources.items():
        if source is not None and not callable(source):
            raise ValueError(
                f"admin_handlers({name}=...) must be a function or None, not "
                f"{type(source).__name__}: {WIRING[name]}"
            )
    return [
        (r"/fpga/admin/?", FPGAAdminPageHandler, sources),
        (r"/fpga/admin/data", FPGAAdminDataHandler, sources),
    ]
