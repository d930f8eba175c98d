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

import yaml
from tornado import web
from tornado.iostream import StreamClosedError

from . import errors
from .api import API_VERSION, Api, resource_type, with_kind
from .resources import RESOURCES

log = logging.getLogger("fpga_demo.emulator.http")

DEFAULT_WATCH_SECONDS = 1800  # the API server's --min-request-timeout
VERSION = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.0-emulated",
    "gitCommit": "emulated",
    "gitTreeState": "clean",
    "buildDate": "2024-08-13T00:00:00Z",
    "goVersion": "n/a",
    "compiler": "python",
    "platform": "linux/amd64",
}


def _bool(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes")


class BaseHandler(web.RequestHandler):
    """JSON in, JSON out, every error as a `Status` body."""

    def initialize(self, api: Api) -> None:
        self.api = api

    def write_json(self, body: Any, code: int = 200) -> None:
        self.set_status(code)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None))[1]
        if isinstance(exc, errors.ApiError):
            err = exc
        elif isinstance(exc, web.HTTPError) and status_code < 500:
            err = errors.ApiError(status_code, exc.log_message or self._reason)
        else:
            err = errors.ApiError(500, f"Internal error occurred: {exc!r}", "InternalError")
        self.set_status(err.code)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(err.status_body()))

    def log_exception(self, typ, value, tb) -> None:  # type: ignore[override]
        if isinstance(value, errors.ApiError):
            return  # an answer, not a server fault
        super().log_exception(typ, value, tb)

    def query(self) -> dict[str, str]:
        return {k: self.get_query_argument(k) for k in self.request.query_arguments}

    def body_json(self) -> Any:
        raw = self.request.body or b""
        if not raw.strip():
            return None
        content_type = self.request.headers.get("Content-Type", "")
        try:
            if "yaml" in content_type:
                return yaml.safe_load(raw)
            return json.loads(raw)
        except (ValueError, yaml.YAMLError) as exc:
            raise errors.bad_request(
                f"the body of the request could not be decoded: {exc}"
            ) from None


class DiscoveryHandler(BaseHandler):
    def get(self, what: str) -> None:
        if what == "version":
            self.write_json(VERSION)
        elif what in ("healthz", "livez", "readyz"):
            self.set_header("Content-Type", "text/plain")
            self.finish("ok")
        elif what == "api":
            self.write_json(
                {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
            )
        elif what == "apis":
            self.write_json({"kind": "APIGroupList", "apiVersion": "v1", "groups": []})
        else:
            self.write_json(
                {
                    "kind": "APIResourceList",
                    "groupVersion": "v1",
                    "resources": [
                        {
                            "name": r.plural,
                            "singularName": r.kind.lower(),
                            "namespaced": r.namespaced,
                            "kind": r.kind,
                            "shortNames": list(r.short_names),
                            "verbs": [
                                "create",
                                "delete",
                                "get",
                                "list",
                                "patch",
                                "update",
                                "watch",
                            ],
                        }
                        for r in RESOURCES.values()
                    ],
                }
            )


def parse_path(path: str) -> tuple[str, str | None, str | None, str, bool]:
    """Split /api/v1/... into (plural, namespace, name, subresource, legacy-watch)."""
    segs = [s for s in path.split("/") if s]
    legacy_watch = bool(segs) and segs[0] == "watch"
    if legacy_watch:
        segs = segs[1:]
    if not segs:
        raise errors.route_not_found()
    if segs[0] == "namespaces" and len(segs) >= 3 and segs[2] not in ("status", "finalize"):
        namespace, rest = segs[1], segs[2:]
        plural = rest[0]
        if not RESOURCES.get(plural) or not RESOURCES[plural].namespaced or len(rest) > 3:
            raise errors.route_not_found()
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else ""
        return plural, namespace, name, sub, legacy_watch
    plural = segs[0]
    if plural not in RESOURCES or len(segs) > 3:
        raise errors.route_not_found()
    name = segs[1] if len(segs) > 1 else None
    sub = segs[2] if len(segs) > 2 else ""
    if RESOURCES[plural].namespaced and name is not None:
        raise errors.route_not_found()
    return plural, None, name, sub, legacy_watch


class ResourceHandler(BaseHandler):
    """Every /api/v1/... path: collections, items, status and log subresources."""

    def initialize(self, api: Api, kubelet: Any = None) -> None:
        self.api = api
        self.kubelet = kubelet
        self._watch = None

    async def get(self, path: str) -> None:
        plural, namespace, name, sub, legacy_watch = parse_path(path)
        query = self.query()
        if name is None:
            if legacy_watch or _bool(query.get("watch")):
                await self._stream_watch(plural, namespace, query)
            else:
                self.write_json(await self.api.list(plural, namespace, query))
            return
        if sub == "log" and plural == "pods":
            self._write_log(namespace, name, query)
            return
        if sub not in ("", "status"):
            raise errors.route_not_found()
        self.write_json(self.api.get(plural, namespace, name))

    def post(self, path: str) -> None:
        plural, namespace, name, sub, _ = parse_path(path)
        if name is not None:
            raise errors.method_not_allowed("POST")
        dry_run = self.get_query_argument("dryRun", "") == "All"
        created = self.api.create(plural, namespace, self.body_json(), dry_run=dry_run)
        self.write_json(with_kind(resource_type(plural), created), 201)

    def put(self, path: str) -> None:
        plural, namespace, name, sub, _ = parse_path(path)
        if name is None:
            raise errors.method_not_allowed("PUT")
        dry_run = self.get_query_argument("dryRun", "") == "All"
        updated = self.api.update(plural, namespace, name, self.body_json(), sub, dry_run)
        self.write_json(with_kind(resource_type(plural), updated))

    def patch(self, path: str) -> None:
        plural, namespace, name, sub, _ = parse_path(path)
        if name is None:
            raise errors.method_not_allowed("PATCH")
        content_type = self.request.headers.get("Content-Type", "")
        dry_run = self.get_query_argument("dryRun", "") == "All"
        if (
            content_type.startswith("application/apply-patch")
            and self.api.store.get(plural, namespace, name) is None
        ):
            body = self.body_json() or {}
            created = self.api.create(
                plural,
                namespace,
                {**body, "metadata": {**(body.get("metadata") or {}), "name": name}},
                dry_run,
            )
            self.write_json(with_kind(resource_type(plural), created), 201)
            return
        patched = self.api.patch(
            plural, namespace, name, content_type, self.body_json(), sub, dry_run
        )
        self.write_json(with_kind(resource_type(plural), patched))

    def delete(self, path: str) -> None:
        plural, namespace, name, sub, _ = parse_path(path)
        if name is None or sub:
            raise errors.method_not_allowed("DELETE")
        options: dict[str, Any] = dict(self.body_json() or {})
        grace = self.get_query_argument("gracePeriodSeconds", None)
        if grace is not None:
            try:
                options["gracePeriodSeconds"] = int(grace)
            except ValueError:
                raise errors.bad_request(f"gracePeriodSeconds: Invalid value: {grace!r}") from None
        self.write_json(self.api.delete(plural, namespace, name, options))

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
        self, plural: str, namespace: str | None, query: Mapping[str, str]
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
                        "apiVersion": API_VERSION,
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
                lines = [json.dumps({"type": kind, "object": with_kind(rtype, obj)})]
                while not watch.queue.empty():
                    kind, obj = watch.queue.get_nowait()
                    if kind == "CLOSED":
                        return
                    lines.append(json.dumps({"type": kind, "object": with_kind(rtype, obj)}))
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
            (r"/api/(v1)/?", DiscoveryHandler, {"api": api}),
            (r"/api/v1/(.+)", ResourceHandler, {"api": api, "kubelet": kubelet}),
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
