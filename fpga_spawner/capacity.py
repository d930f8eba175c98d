"""Live FPGA capacity as incremental counts, fed by node and pod events.

The hub must answer "how many U250s are free?" on every form render and every
spawn without asking the API server, and it must do so for clusters of
thousands of nodes. :class:`CapacityLedger` therefore keeps only what capacity
needs: per node its FPGA allocatable and group, per pod its node and FPGA
request. Each event adjusts running totals, so a query is a dictionary lookup,
not a scan. It is pure (no I/O): the watch in :mod:`.capacity_watch` feeds it.

DRA boards (resource.k8s.io/v1) are counted under their KEP-5004 name
(``deviceclass.resource.kubernetes.io/<class>``): a node's devices of the
board come from its ResourceSlices and add to what the node itself
advertises; an allocated ResourceClaim holds its devices like a pod holds
extended resources (a claim shared by several pods holds them once).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .catalog import Catalog, NodeGroup
from .dra import DraRequest
from .quantity import QuantityError, whole_count

Device = tuple[str, str, str]
"""A DRA device: (driver, pool, device name), as an allocation result names it."""


@dataclass(frozen=True)
class BoardCapacity:
    """What the form shows for one board type."""

    total: int
    in_use: int
    free: int
    largest_free_on_one_node: int
    burst: int
    """More boards the cloud node groups could still add."""
    burst_per_node: int
    slots_per_board: int = 1
    """Above 1 the counts above are slots (the units the device plugin advertises), not boards."""

    @property
    def shared(self) -> bool:
        return self.slots_per_board > 1

    @property
    def boards(self) -> int:
        """Boards behind ``total``: a node advertises whole boards' worth of slots."""
        return -(-self.total // self.slots_per_board)


def _quantity(value: object) -> int:
    """A board count from any quantity the API server writes ("1k", "2Ki", "1e3").

    The watch reports quantities it cannot read before they get here; what
    still is not a quantity counts as zero, so the ledger itself never fails.
    """
    try:
        return whole_count(value)
    except QuantityError:
        return 0


@dataclass(frozen=True)
class Holder:
    """A pod that holds FPGAs, as the admin view and quotas see it.

    ``user`` and ``server`` come from the annotations kubespawner writes
    (``hub.jupyter.org/username`` and ``/servername``); pods the hub did not
    start have ``user == ""`` and count for capacity, never for a quota.
    """

    uid: str
    pod: str
    """namespace/name"""
    node: str
    resource: str
    count: int
    user: str = ""
    server: str = ""
    since: float = 0.0
    """Unix time the pod was created (0 when unknown)."""


@dataclass(frozen=True)
class PodOwner:
    """Who a pod belongs to (what :meth:`CapacityLedger.set_pod` records beside the counts)."""

    pod: str = ""
    user: str = ""
    server: str = ""
    since: float = 0.0


@dataclass
class _Node:
    allocatable: dict[str, int]
    group: str
    schedulable: bool


class CapacityLedger:
    """Incremental FPGA accounting over nodes and pods (only the FPGA resources named)."""

    def __init__(
        self,
        board_resources: Mapping[str, str],
        node_groups: Iterable[NodeGroup] = (),
        slots_per_board: Mapping[str, int] | None = None,
        dra_boards: Iterable[DraRequest] = (),
    ):
        """`board_resources` maps board slugs to their extended resource names.

        `slots_per_board` maps resources of shared boards to their slots per
        board. Every count is in the device plugin's units (slots of a shared
        board), as nodes and pods state them; only a node group's template,
        which the admin gives in boards, is converted. `dra_boards` are the
        catalog's DRA boards, which tell a slice's devices apart.
        """
        self.board_resources = dict(board_resources)
        self.resources = frozenset(self.board_resources.values())
        self.node_groups = {g.name: g for g in node_groups}
        self.dra_boards = tuple(dra_boards)
        self._slots = {r: n for r, n in (slots_per_board or {}).items() if n > 1}
        self._forget_cluster()

    def _forget_cluster(self) -> None:
        """Empty every count learnt from nodes and pods (the catalog side stays)."""
        self._nodes: dict[str, _Node] = {}
        self._pods: dict[str, tuple[str, dict[str, int]]] = {}
        self._owners: dict[str, PodOwner] = {}
        self._by_user: dict[str, set[str]] = {}
        self._used_on: dict[str, Counter[str]] = {}
        self._total: Counter[str] = Counter()
        self._used: Counter[str] = Counter()
        # resource -> {free boards on a node: number of such nodes}
        self._free_hist: dict[str, Counter[int]] = {r: Counter() for r in self.resources}
        self._alloc_hist: dict[str, Counter[int]] = {r: Counter() for r in self.resources}
        self._group_nodes: Counter[str] = Counter()
        # what each node advertises itself, kept so its slices can be added and removed
        self._node_inputs: dict[str, tuple[dict[str, int], Mapping[str, str], bool]] = {}
        self._slices: dict[str, tuple[str, dict[str, int], dict[Device, str]]] = {}
        self._slice_alloc: dict[str, Counter[str]] = {}
        self._device_resource: dict[Device, str] = {}
        self._claims: set[str] = set()

    @classmethod
    def for_catalog(cls, catalog: Catalog) -> CapacityLedger:
        return cls(
            {b.slug: b.resource for b in catalog.boards},
            catalog.node_groups,
            {b.resource: b.slots_per_board for b in catalog.boards},
            [b.dra for b in catalog.boards if b.dra is not None],
        )

    def slots_per_board(self, resource: str) -> int:
        """Units per board of `resource` (1 for whole boards)."""
        return self._slots.get(resource, 1)

    # -- feeding --------------------------------------------------------------

    def _group_of(self, labels: Mapping[str, str]) -> str:
        for group in self.node_groups.values():
            if all(labels.get(k) == v for k, v in group.node_labels):
                return group.name
        return ""

    def _node_free(self, name: str) -> dict[str, int]:
        node = self._nodes[name]
        used = self._used_on.get(name, Counter())
        return {r: node.allocatable.get(r, 0) - used[r] for r in node.allocatable}

    def _hist(self, name: str, sign: int) -> None:
        node = self._nodes.get(name)
        if node is None or not node.schedulable:
            return
        for resource, free in self._node_free(name).items():
            self._free_hist[resource][free] += sign
            if self._free_hist[resource][free] == 0:
                del self._free_hist[resource][free]

    def set_node(
        self,
        name: str,
        allocatable: Mapping[str, object],
        labels: Mapping[str, str],
        schedulable: bool = True,
    ) -> None:
        fpga = {r: _quantity(v) for r, v in allocatable.items() if r in self.resources}
        self._node_inputs[name] = (fpga, labels, schedulable)
        self._place_node(name)

    def _place_node(self, name: str) -> None:
        """(Re)count a node from what it advertises plus its DRA devices."""
        self._remove_node(name)
        own, labels, schedulable = self._node_inputs[name]
        fpga = dict(own)
        for resource, count in self._slice_alloc.get(name, Counter()).items():
            if count:
                fpga[resource] = fpga.get(resource, 0) + count
        group = self._group_of(labels)
        self._nodes[name] = _Node(fpga, group, schedulable)
        if group:
            self._group_nodes[group] += 1
        if schedulable:
            self._total.update(fpga)
            for resource, count in fpga.items():
                self._alloc_hist[resource][count] += 1
        self._hist(name, +1)

    def delete_node(self, name: str) -> None:
        self._node_inputs.pop(name, None)
        self._remove_node(name)

    def _remove_node(self, name: str) -> None:
        node = self._nodes.get(name)
        if node is None:
            return
        self._hist(name, -1)
        if node.schedulable:
            self._total.subtract(node.allocatable)
            for resource, count in node.allocatable.items():
                self._alloc_hist[resource][count] -= 1
                if not self._alloc_hist[resource][count]:
                    del self._alloc_hist[resource][count]
        if node.group:
            self._group_nodes[node.group] -= 1
        del self._nodes[name]

    def set_pod(
        self,
        uid: str,
        node_name: str,
        requests: Mapping[str, object],
        active: bool,
        owner: PodOwner | None = None,
    ) -> None:
        """A pod holds its FPGAs while bound to a node and not finished."""
        self.delete_pod(uid)
        fpga = {r: _quantity(v) for r, v in requests.items() if r in self.resources}
        if not (active and node_name and fpga):
            return
        self._hist(node_name, -1)
        self._pods[uid] = (node_name, fpga)
        if owner is not None:
            self._owners[uid] = owner
            if owner.user:
                self._by_user.setdefault(owner.user, set()).add(uid)
        self._used_on.setdefault(node_name, Counter()).update(fpga)
        self._used.update(fpga)
        self._hist(node_name, +1)

    def delete_pod(self, uid: str) -> None:
        held = self._pods.pop(uid, None)
        if held is None:
            return
        node_name, fpga = held
        owner = self._owners.pop(uid, None)
        if owner is not None and owner.user:
            uids = self._by_user.get(owner.user)
            if uids is not None:
                uids.discard(uid)
                if not uids:
                    del self._by_user[owner.user]
        self._hist(node_name, -1)
        self._used_on[node_name].subtract(fpga)
        self._used.subtract(fpga)
        self._hist(node_name, +1)

    # -- DRA ----------------------------------------------------------------------

    @property
    def has_dra(self) -> bool:
        return bool(self.dra_boards)

    def set_slice(
        self, name: str, node: str, counts: Mapping[str, int], devices: Mapping[Device, str]
    ) -> None:
        """A ResourceSlice: `counts` devices per board resource on `node`, each device's board."""
        self.delete_slice(name)
        counts = {r: n for r, n in counts.items() if r in self.resources and n > 0}
        if not node or not counts:
            return
        self._slices[name] = (node, counts, dict(devices))
        self._slice_alloc.setdefault(node, Counter()).update(counts)
        self._device_resource.update(devices)
        if node in self._node_inputs:
            self._place_node(node)

    def delete_slice(self, name: str) -> None:
        gone = self._slices.pop(name, None)
        if gone is None:
            return
        node, counts, devices = gone
        self._slice_alloc[node].subtract(counts)
        if not +self._slice_alloc[node]:
            del self._slice_alloc[node]
        for device in devices:
            self._device_resource.pop(device, None)
        if node in self._node_inputs:
            self._place_node(node)

    def slice_names(self) -> set[str]:
        return set(self._slices)

    def claim_holds(self, devices: Iterable[Device]) -> dict[str, int]:
        """Board counts of an allocation's devices (devices of no catalog board are left out)."""
        held: Counter[str] = Counter()
        for device in devices:
            resource = self._device_resource.get(device)
            if resource is not None:
                held[resource] += 1
        return dict(held)

    def set_claim(
        self, uid: str, node: str, devices: Iterable[Device], owner: PodOwner | None = None
    ) -> None:
        """An allocated ResourceClaim holds its devices until it is deallocated or deleted."""
        self.delete_claim(uid)
        held = self.claim_holds(devices)
        if held and node:
            self._claims.add(uid)
            self.set_pod(uid, node, held, True, owner)

    def delete_claim(self, uid: str) -> None:
        if uid in self._claims:
            self._claims.discard(uid)
            self.delete_pod(uid)

    def claim_uids(self) -> set[str]:
        return set(self._claims)

    def node_names(self) -> set[str]:
        return set(self._nodes)

    def pod_uids(self) -> set[str]:
        return set(self._pods) - self._claims

    def clear(self) -> None:
        self._forget_cluster()

    # -- queries (constant time in the cluster size) ----------------------------

    def _groups_for(self, resource: str) -> list[NodeGroup]:
        return [
            g for g in self.node_groups.values() if self.board_resources.get(g.board) == resource
        ]

    def _burst(self, resource: str) -> tuple[int, int]:
        """Units the node groups could still add, in all and on one new node."""
        units = per_node = 0
        slots = self.slots_per_board(resource)
        for group in self._groups_for(resource):
            room = max(0, group.max_nodes - self._group_nodes[group.name])
            units += room * group.boards_per_node * slots
            per_node = max(per_node, group.boards_per_node * slots if room else 0)
        return units, per_node

    def board(self, resource: str) -> BoardCapacity:
        hist = self._free_hist.get(resource) or Counter()
        largest = max((free for free, n in hist.items() if n > 0), default=0)
        burst, per_node = self._burst(resource)
        total, used = self._total[resource], self._used[resource]
        return BoardCapacity(
            total,
            used,
            max(0, total - used),
            max(0, largest),
            burst,
            per_node,
            self.slots_per_board(resource),
        )

    def fits_now(self, resource: str, count: int) -> bool:
        return self.board(resource).largest_free_on_one_node >= count

    def fits_after_scale_up(self, resource: str, count: int) -> bool:
        return self._burst(resource)[1] >= count

    def could_ever_fit(self, resource: str, count: int) -> bool:
        largest_node = max(self._alloc_hist.get(resource) or [0])
        template = max((g.boards_per_node for g in self._groups_for(resource)), default=0)
        template *= self.slots_per_board(resource)
        return max(largest_node, template) >= count

    def held_by(self, user: str) -> dict[str, int]:
        """FPGAs (by resource name) the user's running pods hold now, over all named servers."""
        held: Counter[str] = Counter()
        for uid in self._by_user.get(user, ()):
            held.update(self._pods[uid][1])
        return dict(held)

    def user_holders(self, user: str) -> list[Holder]:
        """The user's pods holding FPGAs, one entry per resource (quota refusals name them)."""
        out = []
        for uid in self._by_user.get(user, ()):
            node, fpga = self._pods[uid]
            owner = self._owners[uid]
            for name, count in fpga.items():
                out.append(
                    Holder(uid, owner.pod, node, name, count, user, owner.server, owner.since)
                )
        return sorted(out, key=lambda h: (h.since, h.pod))

    def holds_pod(self, user: str, pod: str) -> bool:
        """Whether the pod ``namespace/name`` of `user` is bound and holds FPGAs now."""
        return any(self._owners[uid].pod == pod for uid in self._by_user.get(user, ()))

    def holders(self, resource: str | None = None) -> list[Holder]:
        """Every pod holding FPGAs (of one resource, or all), oldest first.

        A scan over the holding pods: for views (the admin page), not for hot paths.
        """
        out = []
        for uid, (node, fpga) in self._pods.items():
            owner = self._owners.get(uid, PodOwner())
            for name, count in fpga.items():
                if resource is None or name == resource:
                    out.append(
                        Holder(
                            uid, owner.pod, node, name, count, owner.user, owner.server, owner.since
                        )
                    )
        return sorted(out, key=lambda h: (h.since, h.pod))

    @property
    def pod_count(self) -> int:
        return len(self._pods)

    @property
    def node_count(self) -> int:
        return len(self._nodes)
