"""Zero configuration: the catalog discovered from the cluster, once per hub.

The I/O around :mod:`.discovery`: list the nodes (the node-reader RBAC of
docs/hub-node-reader-rbac.yaml allows it), make the catalog, and share it
between every spawner of the hub, as the capacity watch is shared. A listing
that fails or finds no FPGA is tried again at the next spawn or form, at most
every ``RETRY_SECONDS``; board types added later need a hub restart.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from .catalog import Catalog, CatalogError, parse_catalog
from .discovery import discover_boards

RETRY_SECONDS = 30.0


async def list_nodes(api: Any) -> list[Any]:
    """The cluster's nodes as raw JSON (no client models)."""
    response = await api.list_node(_preload_content=False)
    items = json.loads(await response.read()).get("items")
    return items if isinstance(items, list) else []


def usable_boards(nodes: list[Any], log: logging.Logger) -> list[dict[str, Any]]:
    """The discovered boards that pass the catalog's own checks; the rest are logged."""
    good = []
    for entry in discover_boards(nodes):
        try:
            parse_catalog(boards=[entry])
        except CatalogError as e:
            log.warning("FPGA discovery: leaving out %s: %s", entry["resource"], e)
            continue
        good.append(entry)
    return good


def catalog_from_nodes(nodes: list[Any], log: logging.Logger) -> Catalog:
    return parse_catalog(boards=usable_boards(nodes, log))


class SharedDiscovery:
    """The hub's discovered catalog, listed on first use and kept."""

    def __init__(self) -> None:
        self.catalog = Catalog()
        self._tried = -RETRY_SECONDS
        self._lock = asyncio.Lock()

    async def get(self, api: Any, log: logging.Logger) -> Catalog:
        if self.catalog or time.monotonic() - self._tried < RETRY_SECONDS:
            return self.catalog
        async with self._lock:
            if self.catalog or time.monotonic() - self._tried < RETRY_SECONDS:
                return self.catalog
            self._tried = time.monotonic()
            try:
                self.catalog = catalog_from_nodes(await list_nodes(api), log)
            except Exception as e:
                log.warning("FPGA discovery: cannot list the cluster's nodes (%s)", e)
                return self.catalog
            slugs = ", ".join(b.slug for b in self.catalog.boards) or "no FPGA"
            log.info("FPGA discovery: the cluster offers %s", slugs)
            return self.catalog


_shared: dict[Any, SharedDiscovery] = {}


def shared_discovery(key: Any) -> SharedDiscovery:
    return _shared.setdefault(key, SharedDiscovery())
