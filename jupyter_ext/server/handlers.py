"""REST handlers: ``fpga/api/devices`` and ``fpga/api/xclbins``.

Thin: authenticate, authorize on the ``fpga`` resource (under JupyterHub the
single-user authorizer lets only the server's owner through), then send the
cached JSON bytes.
"""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

from .cache import Pending, RefreshingCache

AUTH_RESOURCE = "fpga"


class _CachedJSONHandler(APIHandler):
    auth_resource = AUTH_RESOURCE
    cache_key = ""

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
        self.finish(body)


class DevicesHandler(_CachedJSONHandler):
    """What was requested, what is visible, per device its facts, loaded xclbin and health."""

    cache_key = "fpga_devices_cache"

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
