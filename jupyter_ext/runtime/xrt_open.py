"""Opening a kernel from an xclbin through pyxrt, on every XRT from 2022.1 to 2.25.

Why a module of its own: the releases users run differ exactly here
(docs/upstream-facts.md#version-differences). XRT 2023.2 and later register
the xclbin and open kernels in a hardware context::

    device.register_xclbin(xb); ctx = pyxrt.hw_context(device, xb.get_uuid())
    kernel = pyxrt.kernel(ctx, name)

XRT 2022.1 to 2023.1 have neither ``hw_context`` nor ``register_xclbin``;
there the xclbin is loaded onto the device (replacing whatever was loaded)
and the kernel opened by uuid::

    uuid = device.load_xclbin(xb); kernel = pyxrt.kernel(device, uuid, name, pyxrt.kernel.shared)

2.25 still has the second form, as a deprecated shim; it is only used where
the first is missing. Which form a release has is read from the module
itself (``hasattr``), never from a version string.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .base import FPGARuntimeError


def has_hw_context(pyxrt: Any, device: Any) -> bool:
    """True on XRT 2023.2 and later: hardware contexts and ``register_xclbin`` exist."""
    return hasattr(pyxrt, "hw_context") and hasattr(device, "register_xclbin")


def read_xclbin(pyxrt: Any, path: Path, kernel: str) -> Any:
    """``pyxrt.xclbin(path)``, refused clearly when it does not hold ``kernel``."""
    xb = pyxrt.xclbin(str(path))
    names = [k.get_name() for k in xb.get_kernels()]
    if kernel not in names:
        raise FPGARuntimeError(
            f"{path}: the bitstream repository chose it for kernel {kernel!r} "
            f"but it holds only {', '.join(names) or 'no kernels'}"
        )
    return xb


def program(pyxrt: Any, device: Any, xb: Any) -> tuple[str, Any]:
    """Make ``xb`` usable on ``device``: ``("hw_context", ctx)`` or, on older XRT, ``("uuid", uuid)``.

    The older form replaces the device's xclbin, so kernels opened from
    another file stop being valid (the caller forgets them).
    """
    if has_hw_context(pyxrt, device):
        device.register_xclbin(xb)
        return "hw_context", pyxrt.hw_context(device, xb.get_uuid())
    return "uuid", device.load_xclbin(xb)


def open_kernel(pyxrt: Any, device: Any, handle: tuple[str, Any], name: str) -> Any:
    how, h = handle
    if how == "hw_context":
        return pyxrt.kernel(h, name)
    return pyxrt.kernel(device, h, name, pyxrt.kernel.shared)
