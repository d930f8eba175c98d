"""REST handlers: ``fpga/api/devices``, ``fpga/api/xclbins`` and ``fpga/metrics``.

Thin: authenticate, authorize on the ``fpga`` resource (under JupyterHub the
single-user authorizer lets only the server's owner through), then send the
cached JSON bytes (the devices answer with the activity read now). None of
them counts as activity of the server (``_track_activity = False``): polling
them must not keep an idle server alive.
"""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

from .activity import PodActivity, with_activity
from .cache import Pending, RefreshingCache

AUTH_RESOURCE = "fpga"


class _CachedJSONHandler(APIHandler):
    auth_resource = AUTH_RESOURCE
    cache_key = ""
    _track_activity = False  # jupyter_server: do not update the server's last_activity

    def _extend(self, body: bytes) -> bytes:
        return body

    async def _send(self) -> None:
        cache: RefreshingCache = self.settings[self.cache_key]
        try:
            body = await cache.get()
        except Pending:
            # written here, not raised: send_error would drop the Retry-After header
            self.set_status(503)
            self.set_header("Retry-After", "2")
            self.finish({"message": "FPGA discovery is still running; retry shortly"})
            return
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(self._extend(body))


class DevicesHandler(_CachedJSONHandler):
    """What was requested, what is visible, per device its facts, loaded xclbin and health."""

    cache_key = "fpga_devices_cache"

    def _extend(self, body: bytes) -> bytes:
        activity: PodActivity | None = self.settings.get("fpga_activity")
        if activity is None:
            return body
        discovered = self.settings[self.cache_key].value
        return with_activity(body, activity.answer(discovered))

    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self._send()


class XclbinsHandler(_CachedJSONHandler):
    """The bitstream repository: one entry per xclbin on the search path."""

    cache_key = "fpga_xclbins_cache"

    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self._send()


class MetricsHandler(APIHandler):
    """Prometheus text of this server's FPGA activity (its own registry)."""

    auth_resource = AUTH_RESOURCE
    _track_activity = False

    @web.authenticated
    @authorized
    async def get(self) -> None:
        from prometheus_client import CONTENT_TYPE_LATEST

        from .metrics import render

        self.set_header("Cache-Control", "no-store")
        self.finish(render(self.settings["fpga_metrics_registry"]),
                    set_content_type=CONTENT_TYPE_LATEST)  # fmt: skip
