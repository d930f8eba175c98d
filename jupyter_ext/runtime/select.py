"""Choosing the backend: XRT when there is pyxrt and a device, the CPU model otherwise.

Works with the pyxrt of every XRT from 2022.1 to 2.25: the older ones have no
``enumerate_devices``, so there the device is simply opened.

The choice is made once per process (``get_runtime()``), shown to the user
(``.name`` and ``.reason``), and refined per kernel by the XRT backend: a
kernel with no xclbin for this platform on the search path is emulated, and
its result says ``no xclbin for kernel X on platform Y``.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..contract import ENV_EMULATION, FPGARequest, xclbin_search_path
from .base import Backend
from .emulation import EmulationBackend
from .xrt import Locator, XRTBackend


def _import_pyxrt() -> Any:
    return importlib.import_module("pyxrt")


def repository_locator(dirs: Sequence[str] | None = None) -> Locator:
    """A locator backed by :class:`jupyter_ext.xclbin.repository.BitstreamRepository`.

    Imported lazily so the runtime works (emulating everything) even where the
    xclbin package is absent; the repository is built on first use and kept.
    """
    state: dict[str, Any] = {}

    def locate(kernel: str, platform: str) -> Path | None:
        if "repo" not in state:
            try:
                from ..xclbin.repository import BitstreamRepository
            except ImportError:
                state["repo"] = None
            else:
                state["repo"] = BitstreamRepository(dirs=list(dirs) if dirs else None)
        repo = state["repo"]
        if repo is None:
            return None
        found = repo.find(kernel, platform=platform or None)
        return Path(found) if found else None

    return locate


def _info(pyxrt: Any, device: Any, key: str) -> str:
    try:
        return str(device.get_info(getattr(pyxrt.xrt_info_device, key))).strip()
    except Exception:  # an old XRT without the key: the label just gets shorter
        return ""


def select_runtime(
    environ: Mapping[str, str] | None = None,
    *,
    import_pyxrt: Callable[[], Any] | None = None,
    locator: Locator | None = None,
    device_index: int = 0,
    timeout_s: float = 60.0,
) -> Backend:
    """Pick the backend for this pod. Never raises: any failure means emulation, with why."""
    env = os.environ if environ is None else environ
    if env.get(ENV_EMULATION, "") == "1":
        return EmulationBackend(f"emulation requested ({ENV_EMULATION}=1)")
    try:
        pyxrt = (import_pyxrt or _import_pyxrt)()
    except ModuleNotFoundError:
        return EmulationBackend("no pyxrt")
    except Exception as exc:  # e.g. pyxrt present but libxrt_coreutil.so missing
        return EmulationBackend(f"no pyxrt (import failed: {exc})")
    if hasattr(pyxrt, "enumerate_devices"):
        try:
            count = int(pyxrt.enumerate_devices())
        except Exception as exc:
            return EmulationBackend(f"no device (pyxrt.enumerate_devices failed: {exc})")
        if count == 0:
            return EmulationBackend("no device")
        if device_index >= count:
            return EmulationBackend(f"no device {device_index} (pyxrt sees {count})")
    # XRT 2022.1 to 2023.1 have no enumerate_devices: there, opening the device is the test.
    try:
        device = pyxrt.device(device_index)
    except Exception as exc:
        return EmulationBackend(f"no device (opening device {device_index} failed: {exc})")
    request = FPGARequest.from_env(env)
    platform = (request.platform if request else "") or _info(pyxrt, device, "name")
    bdf = _info(pyxrt, device, "bdf")
    label = f"{platform or 'device'} [{bdf}]" if bdf else (platform or f"device {device_index}")
    return XRTBackend(
        pyxrt,
        device,
        platform=platform,
        locator=locator or repository_locator(xclbin_search_path(env)),
        device_label=label,
        timeout_s=timeout_s,
        bdf=bdf,
    )


_current: Backend | None = None
_lock = threading.Lock()


def get_runtime(refresh: bool = False, **options: Any) -> Backend:
    """The process-wide backend (chosen on first use); ``refresh=True`` chooses again.

    ``options`` go to :func:`select_runtime` (``timeout_s``, ``device_index``,
    ``locator``) and imply a refresh.
    """
    global _current
    with _lock:
        if _current is None or refresh or options:
            _current = select_runtime(**options)
        return _current


def set_runtime(backend: Backend | None) -> None:
    """Force the backend (tests, or a user who wants emulation); None: choose again."""
    global _current
    with _lock:
        _current = backend
