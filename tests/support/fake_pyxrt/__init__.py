"""The fake device's kernels (``kernels.py``), and the names tests import the double by.

The hand-written stand-in pyxrt that lived here is retired: the double is
``tests/support/pyxrt_double``, generated from XRT's own binding. This
package keeps ``kernels.py`` -- what each kernel computes on the fake
device -- and re-exports ``load``, ``install_on_path``, ``write_xclbins``
and ``PLATFORM`` for the tests that import them from here.
"""

from __future__ import annotations

from tests.support.pyxrt_double import PLATFORM, install_on_path, load, write_xclbins

from . import kernels

__all__ = ["PLATFORM", "install_on_path", "kernels", "load", "write_xclbins"]
