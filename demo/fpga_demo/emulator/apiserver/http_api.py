"""Tornado handlers: the Kubernetes REST paths over `Api`, and watch streaming.

Watches are what kubespawner's reflectors live on, so they behave like the API
server's: a chunked response, one JSON event per line, flushed as it happens,
ending cleanly at `timeoutSeconds`; a too-old resourceVersion is answered with
HTTP 200 and an ERROR event carrying a 410 Status, as the real server does.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any

from tornado import web
from tornado.iostream import StreamClosedError

from . import errors
from .api import Api, resource_type, with_kind
from .apply import server_side_apply
from .fields import FieldValidation
from .http_base import BaseHandler, _bool
from .http_discovery import DiscoveryHandler, OpenAPIHandler
from .http_exec import ExecHandler
from .pod_subresources import bind, evict
from .resources import DRA_GROUP, DRA_RESOURCES, RESOURCES, ResourceType
from .schema import kind_schema
from .table import to_table, wants_table

log = logging.getLogger("fpga_demo.emulator.http")

DEFAULT_WATCH_SECONDS = 1800  # the API server's --min-request-timeout


def parse_path(
    path: str, table: Mapping[str, ResourceType] = RESOURCES
) -> tuple[str, str | None, str | None, str, bool]:
    """Split /api/v1/... (or /apis/<group>/v1/...) into (plural, namespace, name, sub, watch)."""
    segs = [s for s in path.split("/") if s]
    legacy_watch = bool(segs) and segs[0] == "watch"
    if legacy_watch:
        segs = segs[1:]
    if not segs:
        raise errors.route_not_found()
    if segs[0] == "namespaces" and len(segs) >= 3 and segs[2] not in ("status", "finalize"):
        namespace, rest = segs[1], segs[2:]
        plural = rest[0]
        if not table.get(plural) or not table[plural].namespaced or len(rest) > 3:
            raise errors.route_not_found()
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else ""
        return plural, namespace, name, sub, legacy_watch
    plural = segs[0]
    if plural not in table or len(segs) > 3:
        raise errors.route_not_found()
    name = segs[1] if len(segs) > 1 else None
    sub = segs[2] if len(segs) > 2 else ""
    if table[plural].namespaced and name is not None:
        raise errors.route_not_found()
    return plural, None, name, sub, legacy_watch


class ResourceHandler(BaseHandler):
    """Every /api/v1/... path: collections, items, status and log subresources."""

    def initialize(
        self, api: Api, kubelet: Any = None, table: Mapping[str, ResourceType] = RESOURCES
    ) -> None:
        self.api = api
        self.kubelet = kubelet
        self.table = table
        self._watch = None

    async def get(self, path: str) -> None:
        plural, namespace, name, sub, legacy_watch = parse_path(path, self.table)
        query = self.query()
        table = wants_table(self.request.headers.get("Accept", ""))
        kind = resource_type(plural).kind
        include = query.get("includeObject") or "Metadata"
        if name is None:
            if legacy_watch or _bool(query.get("watch")):
                await self._stream_watch(plural, namespace, query, table)
            else:
                listed = await self.api.list(plural, namespace, query)
                if table:
                    rv = listed["metadata"]["resourceVersion"]
                    listed = {**to_table(kind, listed["items"], rv, include), "metadata": listed["metadata"]}  # fmt: skip
                self.write_json(listed)
            return
        if sub == "log" and plural == "pods":
            self._write_log(namespace, name, query)
            return
        if sub not in ("", "status"):
            raise errors.route_not_found()
        obj = self.api.get(plural, namespace, name)
        if table:
            obj = to_table(kind, [obj], obj["metadata"]["resourceVersion"], include)
        self.write_json(obj)

    def post(self, path: str) -> None:
        plural, namespace, name, sub, _ = parse_path(path, self.table)
        if plural == "pods" and name is not None and sub in ("eviction", "binding"):
            body = self.body_json() or {}
            if sub == "eviction":
                options = self._delete_options(body.get("deleteOptions"))
                dry_run = self.dry_run() or "All" in (options.get("dryRun") or [])
                self.write_json(evict(self.api, namespace, name, body, options, dry_run), 201)
            else:
                self.write_json(bind(self.api, namespace, name, body, self.dry_run()), 201)
            return
        if name is not None:
            raise errors.method_not_allowed("POST")
        fields = FieldValidation.from_query(self.get_query_argument("fieldValidation", None))
        created = self.api.create(
            plural, namespace, self.body_json(), self.dry_run(), fields, self.manager()
        )
        self._warn(fields)
        self.write_json(with_kind(resource_type(plural), created), 201)

    def put(self, path: str) -> None:
        plural, namespace, name, sub, _ = parse_path(path, self.table)
        if name is None:
            raise errors.method_not_allowed("PUT")
        fields = FieldValidation.from_query(self.get_query_argument("fieldValidation", None))
        updated = self.api.update(
            plural, namespace, name, self.body_json(), sub, self.dry_run(), fields, self.manager()
        )
        self._warn(fields)
        self.write_json(with_kind(resource_type(plural), updated))

    def patch(self, path: str) -> None:
        plural, namespace, name, sub, _ = parse_path(path, self.table)
        if name is None:
            raise errors.method_not_allowed("PATCH")
        content_type = self.request.headers.get("Content-Type", "")
        dry_run = self.dry_run()
        fields = FieldValidation.from_query(self.get_query_argument("fieldValidation", None))
        force = _bool(self.get_query_argument("force", None))
        applying = content_type.startswith("application/apply-patch")
        manager = self.get_query_argument("fieldManager", None) or (
            "" if applying else self.manager()
        )
        if applying and self.api.store.get(plural, namespace, name) is None:
            body = self.body_json() or {}
            body = {**body, "metadata": {**(body.get("metadata") or {}), "name": name}}
            spec = kind_schema(resource_type(plural).kind)
            created = self.api.create(
                plural,
                namespace,
                server_side_apply({}, body, spec, manager, force),
                dry_run,
                fields,
            )
            self._warn(fields)
            self.write_json(with_kind(resource_type(plural), created), 201)
            return
        patched = self.api.patch(
            plural, namespace, name, content_type, self.body_json(), sub, dry_run, fields,
            manager, force,
        )  # fmt: skip
        self._warn(fields)
        self.write_json(with_kind(resource_type(plural), patched))

    def manager(self) -> str:
        """The field manager of a write: `fieldManager`, else the user agent's first word."""
        given = self.get_query_argument("fieldManager", None)
        if given:
            return given
        agent = self.request.headers.get("User-Agent", "")
        return agent.split("/", 1)[0].strip()[:128] or "unknown"

    def _warn(self, fields: FieldValidation) -> None:
        for warning in fields.warnings:
            self.add_header("Warning", "299 - " + json.dumps(warning))

    def delete(self, path: str) -> None:
        plural, namespace, name, sub, _ = parse_path(path, self.table)
        if name is None or sub:
            raise errors.method_not_allowed("DELETE")
        options = self._delete_options(self.body_json())
        dry_run = self.dry_run() or "All" in (options.get("dryRun") or [])
        self.write_json(self.api.delete(plural, namespace, name, options, dry_run))

    def _delete_options(self, body: Any) -> dict[str, Any]:
        """DeleteOptions from the body, overridden by the query parameters of the same names."""
        options: dict[str, Any] = dict(body or {})
        grace = self.get_query_argument("gracePeriodSeconds", None)
        if grace is not None:
            try:
                options["gracePeriodSeconds"] = int(grace)
            except ValueError:
                raise errors.bad_request(f"gracePeriodSeconds: Invalid value: {grace!r}") from None
        policy = self.get_query_argument("propagationPolicy", None)
        if policy is not None:
            options["propagationPolicy"] = policy
        return options

    def dry_run(self) -> bool:
        """`?dryRun=All` on any writing verb; the API server knows no other value."""
        values = self.get_query_arguments("dryRun")
        for value in values:
            if value != "All":
                raise errors.bad_request(
                    f'Invalid dryRun value: "{value}": supported values: "All"'
                )
        return bool(values)

    def _write_log(self, namespace: str | None, name: str, query: Mapping[str, str]) -> None:
        pod = self.api.store.must_get("pods", namespace, name)
        if self.kubelet is None:
            raise errors.bad_request(
                f'pod "{name}" has no logs: the emulated kubelet is not running'
            )
        text = self.kubelet.read_log(pod, query.get("container"), query.get("tailLines"))
        self.set_header("Content-Type", "text/plain")
        self.finish(text)

    async def _stream_watch(
        self, plural: str, namespace: str | None, query: Mapping[str, str], table: bool = False
    ) -> None:
        try:
            timeout = float(query.get("timeoutSeconds") or DEFAULT_WATCH_SECONDS)
        except ValueError:
            raise errors.bad_request(
                f"timeoutSeconds: Invalid value: {query.get('timeoutSeconds')!r}"
            ) from None
        # No Content-Length: tornado sends HTTP/1.1 chunked encoding by itself.
        self.set_header("Content-Type", "application/json")
        try:
            watch = self.api.watch(plural, namespace, query)
        except errors.ApiError as exc:
            if exc.code != 410:
                raise
            # The real API server answers 200 and sends the 410 as an ERROR event.
            self.write(json.dumps({"type": "ERROR", "object": exc.status_body()}) + "\n")
            self.finish()
            return
        self._watch = watch
        rtype = resource_type(plural)
        include = query.get("includeObject") or "Metadata"

        def shown(obj: dict) -> dict:
            if table:
                return to_table(rtype.kind, [obj], obj["metadata"]["resourceVersion"], include)
            return with_kind(rtype, obj)

        send_initial = _bool(query.get("sendInitialEvents"))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(timeout, 0)
        try:
            self.flush()
            while True:
                if send_initial and watch.queue.empty():
                    send_initial = False
                    bookmark = {
                        "kind": rtype.kind,
                        "apiVersion": rtype.api_version,
                        "metadata": {
                            "resourceVersion": str(self.api.store.rv),
                            "annotations": {"k8s.io/initial-events-end": "true"},
                        },
                    }
                    self.write(json.dumps({"type": "BOOKMARK", "object": bookmark}) + "\n")
                    await self.flush()
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    kind, obj = await asyncio.wait_for(watch.queue.get(), remaining)
                except asyncio.TimeoutError:
                    break
                if kind == "CLOSED":
                    return
                lines = [json.dumps({"type": kind, "object": shown(obj)})]
                while not watch.queue.empty():
                    kind, obj = watch.queue.get_nowait()
                    if kind == "CLOSED":
                        return
                    lines.append(json.dumps({"type": kind, "object": shown(obj)}))
                self.write("\n".join(lines) + "\n")
                await self.flush()
        except StreamClosedError:
            return
        finally:
            self.api.store.stop_watch(watch)
        self.finish()

    def on_connection_close(self) -> None:
        if self._watch is not None:
            self.api.store.stop_watch(self._watch)
            self._watch.queue.put_nowait(("CLOSED", {}))


class NotFoundHandler(BaseHandler):
    def prepare(self) -> None:
        raise errors.route_not_found()


def make_app(api: Api, kubelet: Any = None) -> web.Application:
    """The tornado application serving the emulated API server."""
    return web.Application(
        [
            (r"/(version|healthz|livez|readyz|api|apis)/?", DiscoveryHandler, {"api": api}),
            (r"/openapi/(v2|v3)/?(.*)", OpenAPIHandler, {"api": api}),
            (r"/api/(v1)/?", DiscoveryHandler, {"api": api}),
            (
                r"/api/v1/namespaces/([^/]+)/pods/([^/]+)/exec",
                ExecHandler,
                {"api": api, "kubelet": kubelet},
            ),
            (r"/api/v1/(.+)", ResourceHandler, {"api": api, "kubelet": kubelet}),
            (rf"/apis/({DRA_GROUP}/v1)/?", DiscoveryHandler, {"api": api}),
            (
                rf"/apis/{DRA_GROUP}/v1/(.+)",
                ResourceHandler,
                {"api": api, "kubelet": kubelet, "table": DRA_RESOURCES},
            ),
        ],
        default_handler_class=NotFoundHandler,
        default_handler_args={"api": api},
        log_function=_log_request,
    )


def _log_request(handler: web.RequestHandler) -> None:
    # Method, path and status only: bodies may carry Secret data.
    status = handler.get_status()
    level = logging.WARNING if status >= 500 else logging.DEBUG
    log.log(
        level,
        "%s %s %s %.1fms",
        handler.request.method,
        handler.request.path,
        status,
        1000.0 * handler.request.request_time(),
    )
