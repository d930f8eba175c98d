"""``%load_ext jupyter_ext``: the ``%fpga`` line magic and ``%%fpga`` cell magic.

Loading is idempotent: the demo image auto-loads the extension
(``c.InteractiveShellApp.extensions = ["jupyter_ext"]``) and the notebooks
also say ``%load_ext jupyter_ext`` so they work in a plain Binder image; a
second load (or ``%reload_ext``) replaces the one ``%fpga`` magic instead of
adding another. Only IPython is imported here; numpy, OpenCV and the library
load on the first ``%fpga`` that needs them.
"""

from __future__ import annotations

from typing import Any

from .core import FPGAMagics

__all__ = ["FPGAMagics", "load_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    from .idle import install

    install(ipython)  # the idle warning, when the hub stops idle FPGA servers
    existing = ipython.magics_manager.registry.get("FPGAMagics")
    if existing is not None and type(existing) is FPGAMagics:
        return  # already loaded with this code: keep its configuration
    ipython.register_magics(FPGAMagics(shell=ipython))
