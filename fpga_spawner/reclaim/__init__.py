"""Idle reclaim: FPGA servers whose boards sit unused are stopped, with warning.

- :mod:`.policy`: the pure decision (keep, warn at, stop because);
- :mod:`.notices`: what users are told, in words;
- :mod:`.client`: the hub REST API and the pods' devices API;
- :mod:`.loop`: the :class:`~.loop.Reclaimer` that polls and acts;
- :mod:`.state`: what it found, for the hub's pages (:func:`last_activity`).

An admin turns it on with one call, :func:`fpga_spawner.hub_setup.configure_hub`.
"""

from .state import home_notices, last_activity

__all__ = ["home_notices", "last_activity"]
