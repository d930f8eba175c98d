"""The pod side of jupyterhub-fpga.

Kept import-light on purpose: the hub imports :mod:`jupyter_ext.contract`, and a
kernel that only wants ``%load_ext jupyter_ext`` must not pay for OpenCV.
"""

__version__ = "0.1.0"


def _jupyter_server_extension_points():
    return [{"module": "jupyter_ext.server"}]


def load_ipython_extension(ipython):
    from .magics import load_ipython_extension as load

    load(ipython)
