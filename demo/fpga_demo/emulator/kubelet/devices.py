"""The device manager: which device units each pod on a node holds.

A real kubelet asks a device plugin for its units (device IDs) and gives each
container the ones it allocated; the API only sees counts, plus the IDs in a
container's ``allocatedResourcesStatus``. A plugin that shares boards (the AMD
plugin with ``VirtualDev``/``VirtualNum``) advertises several units per board,
so two pods can hold two slots of the same board. The emulator names units by
board and slot (``fpga0-slot1``; ``fpga0`` for whole boards), hands out the
lowest free ones, so a board fills before the next is touched, and writes them
into the container status, where tests and users can see who shares a board.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ..apiserver.validate_pod import is_extended_resource
from ..quantity import parse_quantity

#: container name -> resource -> unit IDs
Assignment = dict[str, dict[str, list[str]]]


def unit_id(index: int, slots_per_board: int) -> str:
    """The name of a node's `index`-th unit of a resource."""
    if slots_per_board <= 1:
        return f"fpga{index}"
    board, slot = divmod(index, slots_per_board)
    return f"fpga{board}-slot{slot}"


def container_devices(container: Mapping[str, Any]) -> dict[str, int]:
    """The extended resources one container asks for, as whole unit counts."""
    resources = container.get("resources") or {}
    merged = {**(resources.get("limits") or {}), **(resources.get("requests") or {})}
    wanted = {}
    for name, value in merged.items():
        if is_extended_resource(str(name)):
            amount = parse_quantity(value)
            if amount > 0:
                wanted[str(name)] = int(amount)
    return wanted


class DeviceManager:
    """Units per node and resource, and which pod holds each (in memory, like the kubelet's)."""

    def __init__(self) -> None:
        self._slots: dict[str, dict[str, int]] = {}  # node -> resource -> slots per board
        self._held: dict[str, dict[str, dict[str, str]]] = {}  # node -> resource -> id -> pod uid

    def set_layout(self, node: str, slots_per_board: Mapping[str, int]) -> None:
        """How many units of each resource make one board on `node` (absent: 1)."""
        self._slots[node] = {r: n for r, n in slots_per_board.items() if n > 1}

    def forget_node(self, node: str) -> None:
        self._slots.pop(node, None)
        self._held.pop(node, None)

    def held(self, node: str) -> dict[str, dict[str, str]]:
        """resource -> unit ID -> pod uid, for the units taken on `node`."""
        return {r: dict(units) for r, units in self._held.get(node, {}).items() if units}

    def allocate(
        self,
        node: str,
        pod: Mapping[str, Any],
        allocatable: Mapping[str, Any],
        live: Collection[str],
    ) -> Assignment | None:
        """Units for each container of `pod`, or None when some resource has too few free.

        Units of pods no longer in `live` (finished or gone) are free again
        first, as the kubelet frees the devices of terminated pods.
        """
        uid = pod["metadata"]["uid"]
        held = self._held.setdefault(node, {})
        for units in held.values():
            for unit, owner in list(units.items()):
                if owner not in live or owner == uid:
                    del units[unit]
        slots = self._slots.get(node, {})
        taken: dict[str, list[str]] = {}
        result: Assignment = {}
        for container in (pod.get("spec") or {}).get("containers") or []:
            for resource, count in container_devices(container).items():
                units = held.setdefault(resource, {})
                total = int(parse_quantity(allocatable.get(resource, "0")))
                per_board = slots.get(resource, 1)
                free = [
                    unit_id(i, per_board)
                    for i in range(total)
                    if unit_id(i, per_board) not in units
                    and unit_id(i, per_board) not in taken.get(resource, [])
                ]
                if len(free) < count:
                    return None
                chosen = free[:count]
                taken.setdefault(resource, []).extend(chosen)
                result.setdefault(container["name"], {})[resource] = chosen
        for resource, chosen in taken.items():
            for unit in chosen:
                held[resource][unit] = uid
        return result

    def release(self, node: str, uid: str) -> None:
        for units in self._held.get(node, {}).values():
            for unit, owner in list(units.items()):
                if owner == uid:
                    del units[unit]


def allocated_status(devices: Mapping[str, list[str]]) -> list[dict[str, Any]]:
    """A container status's ``allocatedResourcesStatus`` for its units."""
    return [
        {
            "name": resource,
            "resources": [{"resourceID": unit, "health": "Healthy"} for unit in units],
        }
        for resource, units in sorted(devices.items())
    ]
