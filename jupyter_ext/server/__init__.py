"""The Jupyter server extension: the pod reports its FPGAs over REST.

``GET <base_url>fpga/api/devices`` answers with ``jupyter_ext.discovery``'s
report (plus, under ``repository``, warnings when the repository's
``binder/fpga.yaml`` asks for boards this server lacks) and
``GET <base_url>fpga/api/xclbins`` with the bitstream repository's index.
Both are computed off the event loop and cached (see ``cache``). The devices
answer also holds ``activity``, what the kernels did with the FPGA, read
fresh for every request (see ``activity``); ``GET <base_url>fpga/metrics``
serves the same as Prometheus text.
Options are traitlets on ``FPGADevices`` (``jupyter server
--FPGADevices.refresh_interval=10`` or ``c.FPGADevices...`` in a config file).
"""

from __future__ import annotations

import os
from typing import Any

from traitlets import Bool, Float, TraitError, Unicode, validate
from traitlets.config import LoggingConfigurable


class FPGADevices(LoggingConfigurable):
    refresh_interval = Float(
        5.0,
        help="Seconds a device report is served from memory before it is recomputed in the "
        "background (requests never wait for a refresh).",
    ).tag(config=True)
    first_wait = Float(
        15.0,
        help="Seconds the first request waits for the first device report before answering "
        "503 'still running'.",
    ).tag(config=True)
    sysfs_root = Unicode("/sys", help="Root of sysfs to read FPGAs from.").tag(config=True)
    dev_root = Unicode("/dev", help="Root of the device nodes to look for.").tag(config=True)
    use_pyxrt = Bool(
        True, help="Ask XRT through pyxrt when it imports (adds device names, loaded xclbin)."
    ).tag(config=True)
    repo_dir = Unicode(
        "",
        help="Directory of the repository whose binder/fpga.yaml (or .binder/fpga.yaml, "
        "fpga.yaml) states the boards its notebooks need; default: the server's root_dir, "
        "then $REPO_DIR (repo2docker's checkout).",
    ).tag(config=True)

    @validate("refresh_interval", "first_wait")
    def _positive(self, proposal: dict[str, Any]) -> float:
        if proposal["value"] <= 0:
            name = proposal["trait"].name
            raise TraitError(f"FPGADevices.{name}={proposal['value']!r}: must be > 0 seconds")
        return proposal["value"]

    def discover(self) -> dict[str, Any]:
        from ..contract import FPGARequest
        from ..discovery import discover
        from ..repo_requirements import library_functions, repository_answer

        doc = discover(self.sysfs_root, self.dev_root, use_pyxrt=self.use_pyxrt).to_dict()
        roots = [self.repo_dir]
        if not self.repo_dir:
            roots = [getattr(self.parent, "root_dir", ""), os.environ.get("REPO_DIR", "")]
        doc["repository"] = repository_answer(roots, FPGARequest.from_env(), doc, library_functions)
        return doc

    def xclbins(self) -> dict[str, Any]:
        from ..xclbin.repository import BitstreamRepository

        repo = self._repo if hasattr(self, "_repo") else BitstreamRepository()
        self._repo = repo  # keep the per-file parse cache between refreshes
        return {
            "dirs": [str(d) for d in repo.dirs],
            "xclbins": repo.index(),
            "problems": repo.problems(),
        }


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from jupyter_server.utils import url_path_join
    from tornado.ioloop import IOLoop

    from ..activity.store import activity_dir
    from .activity import PodActivity, server_start
    from .cache import RefreshingCache
    from .handlers import DevicesHandler, MetricsHandler, XclbinsHandler

    try:
        conf = FPGADevices(parent=serverapp, log=serverapp.log)
    except TraitError as e:  # one clear line naming the option, not a traceback
        serverapp.log.error("jupyter_ext: FPGA endpoints disabled: %s", e)
        return
    web_app = serverapp.web_app
    devices = RefreshingCache(conf.discover, conf.refresh_interval, conf.first_wait, serverapp.log)
    xclbins = RefreshingCache(conf.xclbins, conf.refresh_interval, conf.first_wait, serverapp.log)
    web_app.settings["fpga_devices_cache"] = devices
    web_app.settings["fpga_xclbins_cache"] = xclbins
    activity = PodActivity.for_server(activity_dir(), server_start(web_app.settings),
                                      log=serverapp.log)  # fmt: skip
    web_app.settings["fpga_activity"] = activity
    base = web_app.settings["base_url"]
    handlers = [
        (url_path_join(base, "fpga/api/devices"), DevicesHandler),
        (url_path_join(base, "fpga/api/xclbins"), XclbinsHandler),
    ]
    try:
        from .metrics import make_registry
    except ImportError as e:  # prometheus_client is in the pod extra; say what is missing
        serverapp.log.warning("jupyter_ext: fpga/metrics disabled: %s", e)
    else:
        web_app.settings["fpga_metrics_registry"] = make_registry(activity, lambda: devices.value)
        handlers.append((url_path_join(base, "fpga/metrics"), MetricsHandler))
    web_app.add_handlers(".*$", handlers)
    loop = getattr(serverapp, "io_loop", None) or IOLoop.current()
    loop.add_callback(devices.prime)  # runs once the server's loop starts
    loop.add_callback(xclbins.prime)
    serverapp.log.info("jupyter_ext: FPGA endpoints at %sfpga/api/{devices,xclbins} and "
                       "%sfpga/metrics; activity from %s", base, base, activity.store.directory)  # fmt: skip
