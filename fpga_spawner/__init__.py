"""The JupyterHub side of jupyterhub-fpga: FPGASpawner and its pure core.

``FPGASpawner`` is imported on first use so that the pure core (catalog,
placement, pod patch) and the test-only Kubernetes emulator load without
pulling in JupyterHub and kubespawner.
"""

__version__ = "0.1.0"
__all__ = ["FPGASpawner", "check_config"]


def __getattr__(name):
    if name == "FPGASpawner":
        from .spawner import FPGASpawner

        return FPGASpawner
    if name == "check_config":
        from .config_check import check_config

        return check_config
    raise AttributeError(name)
