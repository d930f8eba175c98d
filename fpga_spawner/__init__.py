"""The JupyterHub side of jupyterhub-fpga: FPGASpawner and its pure core."""

from .spawner import FPGASpawner

__all__ = ["FPGASpawner"]
__version__ = "0.1.0"
