"""The admin's FPGA catalog: boards, license secrets and accelerator functions.

Parsed once at hub start-up from plain data (traitlets lists of dicts or one
YAML file) into frozen dataclasses. Every defect is reported as one
:class:`CatalogError` naming the option, the entry and the bad value, so a
typo in ``values.yaml`` stops the hub with a message the admin can act on
instead of a 500 at the first spawn.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .dra import DraConfigError, DraRequest, parse_dra
from .flavours import FLAVOURS, resource_problem
from .quotas import QuotaError, QuotaPolicy, parse_quotas

LOCATIONS = ("on-premises", "cloud")
CATALOG_KEYS = ("boards", "licenses", "accelerators", "node_groups")
#: The catalog file's sections: the lists above, and the quotas mapping
#: (whose trait is FPGASpawner.fpga_quotas; see :mod:`.quotas`).
FILE_KEYS = (*CATALOG_KEYS, "quotas")
QUOTAS_IN_FILE = "FPGASpawner.catalog_file quotas"
SLUG_RE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
ACCELERATOR_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SECRET_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
SECRET_KEY_RE = re.compile(r"^[-._a-zA-Z0-9]+$")


class CatalogError(ValueError):
    """A catalog entry the hub cannot use; the message says where and why."""

    def __init__(self, option: str, entry: str, message: str):
        self.option, self.entry = option, entry
        where = f"{option}: entry {entry}: " if entry else f"{option}: " if option else ""
        super().__init__(where + message)


@dataclass(frozen=True)
class Board:
    slug: str
    display_name: str
    plugin: str
    resource: str
    platform: str = ""
    description: str = ""
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: tuple[dict[str, Any], ...] = ()
    location: str = "on-premises"
    node_group: str = ""
    max_per_user: int = 1
    groups: tuple[str, ...] = ()
    dra: DraRequest | None = None
    """How the board is asked for through DRA (plugin ``dra``); None for device plugins."""
    slots_per_board: int = 1
    """Units the device plugin advertises per board; above 1 the board is shared."""

    @property
    def shared(self) -> bool:
        return self.slots_per_board > 1

    def allowed_for(self, user_groups: Sequence[str]) -> bool:
        """Boards without groups are open to every user."""
        return not self.groups or bool(set(self.groups) & set(user_groups))


@dataclass(frozen=True)
class License:
    """A license kept in a Kubernetes Secret; only references ever reach the pod spec."""

    name: str
    secret: str
    boards: tuple[str, ...]
    key: str = ""
    env: str = ""
    mount_path: str = ""
    items: tuple[tuple[str, str], ...] = ()

    def applies_to(self, board_slug: str) -> bool:
        return "*" in self.boards or board_slug in self.boards


@dataclass(frozen=True)
class Accelerator:
    name: str
    boards: tuple[tuple[str, int], ...]
    """(board slug, replicas that fit on one board), in the admin's order of preference."""
    display_name: str = ""
    description: str = ""
    max_replicas: int = 0


@dataclass(frozen=True)
class NodeGroup:
    """A cloud node group the cluster-autoscaler can grow (as its ASG tags describe it)."""

    name: str
    board: str
    boards_per_node: int
    max_nodes: int
    node_labels: tuple[tuple[str, str], ...]
    """Labels that mark a node as a member of this group."""


NODE_GROUP_LABEL = "fpga.jupyterhub.io/node-group"


@dataclass(frozen=True)
class Catalog:
    boards: tuple[Board, ...] = ()
    licenses: tuple[License, ...] = ()
    accelerators: tuple[Accelerator, ...] = ()
    node_groups: tuple[NodeGroup, ...] = ()
    quotas: QuotaPolicy = QuotaPolicy()
    """The catalog file's quotas section (FPGASpawner.fpga_quotas wins entry by entry)."""

    def __bool__(self) -> bool:
        return bool(self.boards)

    def board(self, slug: str) -> Board | None:
        return next((b for b in self.boards if b.slug == slug), None)

    def accelerator(self, name: str) -> Accelerator | None:
        return next((a for a in self.accelerators if a.name == name), None)

    def licenses_for(self, board_slug: str) -> list[License]:
        return [lic for lic in self.licenses if lic.applies_to(board_slug)]

    def node_groups_for(self, board_slug: str) -> list[NodeGroup]:
        return [g for g in self.node_groups if g.board == board_slug]


def _fail(option: str, index: int, entry: Mapping | Any, message: str) -> CatalogError:
    name = ""
    if isinstance(entry, Mapping):
        name = str(entry.get("slug") or entry.get("name") or "")
    return CatalogError(option, f"#{index}" + (f" ({name!r})" if name else ""), message)


def _take(option: str, index: int, entry: Any, allowed: Mapping[str, type]) -> dict:
    """Type-check one entry's keys, so unknown keys (typos) are errors, not silence."""
    if not isinstance(entry, Mapping):
        raise _fail(option, index, entry, f"must be a mapping, got {type(entry).__name__}")
    unknown = sorted(set(entry) - set(allowed))
    if unknown:
        raise _fail(
            option,
            index,
            entry,
            f"unknown key {unknown[0]!r}; allowed keys: {', '.join(sorted(allowed))}",
        )
    for key, value in entry.items():
        expected = allowed[key]
        if not isinstance(value, expected) or (isinstance(value, bool) and expected is int):
            raise _fail(option, index, entry, f"{key}={value!r} must be a {expected.__name__}")
    return dict(entry)


BOARD_FIELDS: dict[str, type] = {
    "slug": str,
    "display_name": str,
    "description": str,
    "plugin": str,
    "resource": str,
    "platform": str,
    "node_selector": dict,
    "tolerations": list,
    "location": str,
    "node_group": str,
    "max_per_user": int,
    "groups": list,
    "dra": dict,
    "slots_per_board": int,
}
LICENSE_FIELDS: dict[str, type] = {
    "name": str,
    "secret": str,
    "key": str,
    "env": str,
    "mount_path": str,
    "items": dict,
    "boards": list,
}
ACCELERATOR_FIELDS: dict[str, type] = {
    "name": str,
    "display_name": str,
    "description": str,
    "boards": dict,
    "max_replicas": int,
}
NODE_GROUP_FIELDS: dict[str, type] = {
    "name": str,
    "board": str,
    "boards_per_node": int,
    "max_nodes": int,
    "node_labels": dict,
}
#: Each catalog option and the keys its entries may have.
FIELDS = {
    "boards": BOARD_FIELDS,
    "licenses": LICENSE_FIELDS,
    "accelerators": ACCELERATOR_FIELDS,
    "node_groups": NODE_GROUP_FIELDS,
}


def check_entries(key: str, entries: Sequence[Any]) -> None:
    """What can be checked of one catalog option alone: keys and value types per entry.

    References between options (a license's boards, an accelerator's boards)
    are checked when the whole catalog is parsed. Boards need nothing else, so
    they are checked in full here.
    """
    if key == "boards":
        parse_catalog(boards=entries)
        return
    for index, entry in enumerate(entries):
        _take(f"FPGASpawner.{key}", index, entry, FIELDS[key])


def _board(index: int, raw: Any) -> Board:
    opt = "FPGASpawner.boards"
    e = _take(opt, index, raw, BOARD_FIELDS)
    for required in ("slug", "plugin"):
        if not e.get(required):
            raise _fail(opt, index, e, f"{required} is required")
    if not SLUG_RE.match(e["slug"]):
        raise _fail(opt, index, e, f"slug={e['slug']!r} must be lowercase letters, digits and '-'")
    if e["plugin"] not in FLAVOURS:
        raise _fail(
            opt, index, e, f"plugin={e['plugin']!r}; allowed plugins: {', '.join(FLAVOURS)}"
        )
    dra = _board_dra(opt, index, e)
    if dra is not None:
        e.setdefault("resource", dra.resource)
    if not e.get("resource"):
        raise _fail(opt, index, e, "resource is required")
    if dra is None:
        problem = resource_problem(e["plugin"], e["resource"])
    elif e["resource"] != dra.resource:
        problem = f"must be {dra.resource!r} (the KEP-5004 name of dra.device_class) or absent"
    else:
        problem = None
    if problem:
        raise _fail(opt, index, e, f"resource={e['resource']!r} {problem}")
    location = e.get("location", "on-premises")
    if location not in LOCATIONS:
        raise _fail(opt, index, e, f"location={location!r}; allowed: {', '.join(LOCATIONS)}")
    max_per_user = e.get("max_per_user", 1)
    if not 1 <= max_per_user <= 64:
        raise _fail(opt, index, e, f"max_per_user={max_per_user!r} must be between 1 and 64")
    for key, value in e.get("node_selector", {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise _fail(opt, index, e, f"node_selector {key!r}: {value!r} must map str to str")
    for tol in e.get("tolerations", []):
        if not isinstance(tol, dict) or not ({"key", "operator"} & set(tol)):
            raise _fail(opt, index, e, f"tolerations item {tol!r} must be a Kubernetes toleration")
    groups = e.get("groups", [])
    if not all(isinstance(g, str) and g for g in groups):
        raise _fail(opt, index, e, f"groups={groups!r} must be a list of group names")
    slots = _slots_per_board(opt, index, e)
    return Board(
        slug=e["slug"],
        display_name=e.get("display_name") or e["slug"].upper(),
        description=e.get("description", ""),
        plugin=e["plugin"],
        resource=e["resource"],
        platform=e.get("platform", ""),
        node_selector=dict(e.get("node_selector", {})),
        tolerations=tuple(dict(t) for t in e.get("tolerations", [])),
        location=location,
        node_group=e.get("node_group", ""),
        max_per_user=max_per_user,
        groups=tuple(groups),
        dra=dra,
        slots_per_board=slots,
    )


MAX_SLOTS_PER_BOARD = 256


def _slots_per_board(opt: str, index: int, e: Mapping[str, Any]) -> int:
    """A shared board's slot count, refused where the device plugin cannot offer it.

    Slots are units the device plugin advertises (the AMD plugin's
    ``VirtualDev``/``VirtualNum``), so a pod asking for one unit gets one
    slot. A server holds one slot: the form offers no count for shared boards.
    """
    slots = e.get("slots_per_board", 1)
    if not 1 <= slots <= MAX_SLOTS_PER_BOARD:
        raise _fail(
            opt,
            index,
            e,
            f"slots_per_board={slots!r} must be between 1 and {MAX_SLOTS_PER_BOARD} "
            "(1: whole boards)",
        )
    if slots == 1:
        return 1
    how = FLAVOURS[e["plugin"]].shares_boards
    if not how:
        sharing = [f"{slug} ({f.shares_boards})" for slug, f in FLAVOURS.items() if f.shares_boards]
        raise _fail(
            opt,
            index,
            e,
            f"slots_per_board={slots} needs a device plugin that advertises several units per "
            f"board; plugin {e['plugin']!r} gives whole boards. Plugins that share boards: "
            + ", ".join(sharing),
        )
    if e.get("max_per_user", 1) != 1:
        raise _fail(
            opt,
            index,
            e,
            f"max_per_user={e['max_per_user']!r} with slots_per_board={slots}: a server holds "
            "one slot of a shared board; set max_per_user to 1",
        )
    return slots


def _board_dra(opt: str, index: int, e: dict) -> DraRequest | None:
    """The ``dra`` section: required with plugin ``dra``, refused with any other plugin."""
    if e["plugin"] != "dra":
        if "dra" in e:
            raise _fail(opt, index, e, "dra is only for plugin 'dra'")
        return None
    if "dra" not in e:
        raise _fail(opt, index, e, "plugin 'dra' needs a dra section (at least device_class)")
    try:
        return parse_dra(e["dra"], e.get("max_per_user", 1))
    except DraConfigError as err:
        raise _fail(opt, index, e, str(err)) from None


def _license(index: int, raw: Any, board_slugs: set[str]) -> License:
    opt = "FPGASpawner.licenses"
    e = _take(opt, index, raw, LICENSE_FIELDS)
    for required in ("name", "secret", "boards"):
        if not e.get(required):
            raise _fail(opt, index, e, f"{required} is required")
    if not SECRET_NAME_RE.match(e["secret"]):
        raise _fail(opt, index, e, f"secret={e['secret']!r} is not a valid Secret name")
    has_env, has_files = bool(e.get("env")), bool(e.get("mount_path"))
    if has_env == has_files:
        raise _fail(opt, index, e, "give exactly one of env (with key) or mount_path (with items)")
    if has_env:
        if not ENV_NAME_RE.match(e["env"]):
            raise _fail(opt, index, e, f"env={e['env']!r} is not a valid variable name")
        if not e.get("key") or not SECRET_KEY_RE.match(e["key"]):
            raise _fail(opt, index, e, f"key={e.get('key')!r} must name a key in the Secret")
    if has_files:
        if not e["mount_path"].startswith("/"):
            raise _fail(opt, index, e, f"mount_path={e['mount_path']!r} must be absolute")
        for key, path in e.get("items", {}).items():
            if not SECRET_KEY_RE.match(str(key)) or not isinstance(path, str) or ".." in path:
                raise _fail(opt, index, e, f"items {key!r}: {path!r} must map key to file name")
    for slug in e["boards"]:
        if slug != "*" and slug not in board_slugs:
            raise _fail(
                opt,
                index,
                e,
                f"boards item {slug!r} is not a board; boards: {', '.join(sorted(board_slugs))}",
            )
    return License(
        name=e["name"],
        secret=e["secret"],
        boards=tuple(e["boards"]),
        key=e.get("key", ""),
        env=e.get("env", ""),
        mount_path=e.get("mount_path", ""),
        items=tuple(sorted(e.get("items", {}).items())),
    )


def _accelerator(index: int, raw: Any, boards: dict[str, Board]) -> Accelerator:
    opt = "FPGASpawner.accelerators"
    e = _take(opt, index, raw, ACCELERATOR_FIELDS)
    if not e.get("name") or not ACCELERATOR_RE.match(e["name"]):
        raise _fail(opt, index, e, f"name={e.get('name')!r} must look like 'vision.stereo_bm'")
    if not e.get("boards"):
        raise _fail(opt, index, e, "boards is required: {board slug: replicas per board}")
    pairs = []
    for slug, per_board in e["boards"].items():
        if slug not in boards:
            raise _fail(
                opt, index, e, f"boards key {slug!r} is not a board; boards: {', '.join(boards)}"
            )
        if not isinstance(per_board, int) or isinstance(per_board, bool) or per_board < 1:
            raise _fail(opt, index, e, f"boards {slug}: {per_board!r} must be an integer >= 1")
        pairs.append((slug, per_board))
    most = max(boards[s].max_per_user * n for s, n in pairs)
    max_replicas = e.get("max_replicas", most)
    if not 1 <= max_replicas <= most:
        raise _fail(opt, index, e, f"max_replicas={max_replicas!r} must be between 1 and {most}")
    return Accelerator(
        name=e["name"],
        boards=tuple(pairs),
        display_name=e.get("display_name") or e["name"],
        description=e.get("description", ""),
        max_replicas=max_replicas,
    )


def _node_group(index: int, raw: Any, boards: dict[str, Board]) -> NodeGroup:
    opt = "FPGASpawner.node_groups"
    e = _take(opt, index, raw, NODE_GROUP_FIELDS)
    for required in ("name", "board", "boards_per_node", "max_nodes"):
        if required not in e or e[required] in ("", None):
            raise _fail(opt, index, e, f"{required} is required")
    if not SLUG_RE.match(e["name"]):
        raise _fail(opt, index, e, f"name={e['name']!r} must be lowercase letters, digits and '-'")
    if e["board"] not in boards:
        raise _fail(
            opt, index, e, f"board={e['board']!r} is not a board; boards: {', '.join(boards)}"
        )
    for key in ("boards_per_node", "max_nodes"):
        if not 1 <= e[key] <= 10_000:
            raise _fail(opt, index, e, f"{key}={e[key]!r} must be between 1 and 10000")
    labels = e.get("node_labels") or {NODE_GROUP_LABEL: e["name"]}
    for key, value in labels.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise _fail(opt, index, e, f"node_labels {key!r}: {value!r} must map str to str")
    return NodeGroup(
        name=e["name"],
        board=e["board"],
        boards_per_node=e["boards_per_node"],
        max_nodes=e["max_nodes"],
        node_labels=tuple(sorted(labels.items())),
    )


def parse_catalog(
    boards: Sequence[Any] = (),
    licenses: Sequence[Any] = (),
    accelerators: Sequence[Any] = (),
    node_groups: Sequence[Any] = (),
    quotas: Mapping[str, Any] | None = None,
) -> Catalog:
    """Validate plain data into a :class:`Catalog`, or raise :class:`CatalogError`."""
    parsed_boards: dict[str, Board] = {}
    for i, raw in enumerate(boards):
        board = _board(i, raw)
        if board.slug in parsed_boards:
            raise CatalogError("FPGASpawner.boards", f"#{i}", f"duplicate slug {board.slug!r}")
        parsed_boards[board.slug] = board
        for other in parsed_boards.values():
            if other.resource == board.resource and other.slots_per_board != board.slots_per_board:
                raise CatalogError(
                    "FPGASpawner.boards",
                    f"#{i} ({board.slug!r})",
                    f"slots_per_board={board.slots_per_board} but {other.slug!r} offers the same "
                    f"resource {board.resource!r} with slots_per_board={other.slots_per_board}; "
                    "a device plugin splits every board of a resource alike",
                )
    _check_device_classes(parsed_boards.values())
    parsed_licenses = tuple(_license(i, raw, set(parsed_boards)) for i, raw in enumerate(licenses))
    parsed_accels: dict[str, Accelerator] = {}
    for i, raw in enumerate(accelerators):
        accel = _accelerator(i, raw, parsed_boards)
        if accel.name in parsed_accels:
            raise CatalogError(
                "FPGASpawner.accelerators", f"#{i}", f"duplicate name {accel.name!r}"
            )
        parsed_accels[accel.name] = accel
    parsed_groups = tuple(_node_group(i, raw, parsed_boards) for i, raw in enumerate(node_groups))
    names = [g.name for g in parsed_groups]
    if len(set(names)) != len(names):
        raise CatalogError("FPGASpawner.node_groups", "", f"duplicate name in {names}")
    try:
        parsed_quotas = parse_quotas(quotas, QUOTAS_IN_FILE, set(parsed_boards))
    except QuotaError as e:
        raise CatalogError("", "", str(e)) from None
    return Catalog(
        tuple(parsed_boards.values()),
        parsed_licenses,
        tuple(parsed_accels.values()),
        parsed_groups,
        parsed_quotas,
    )


def _check_device_classes(boards: Sequence[Board] | Any) -> None:
    """One DeviceClass per DRA board type: its KEP-5004 name is the board's capacity key."""
    seen: dict[str, str] = {}
    for i, board in enumerate(boards):
        if board.dra is None:
            continue
        other = seen.setdefault(board.dra.device_class, board.slug)
        if other != board.slug:
            raise CatalogError(
                "FPGASpawner.boards",
                f"#{i} ({board.slug!r})",
                f"dra.device_class={board.dra.device_class!r} is already board {other!r}'s; "
                "give each DRA board type a DeviceClass of its own",
            )


def load_catalog_file(path: str | Path) -> dict[str, Any]:
    """Read a catalog YAML file (the shape a zero-to-jupyterhub values.yaml can carry)."""
    option = "FPGASpawner.catalog_file"
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except OSError as e:
        raise CatalogError(option, str(path), f"cannot be read: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise CatalogError(option, str(path), f"is not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise CatalogError(option, str(path), "must be a mapping with boards/licenses/accelerators")
    unknown = set(data) - set(FILE_KEYS)
    if unknown:
        raise CatalogError(
            option,
            str(path),
            f"unknown top-level key {sorted(unknown)[0]!r}; allowed: {', '.join(FILE_KEYS)}",
        )
    for key, value in data.items():
        if key == "quotas":
            if value is not None and not isinstance(value, dict):
                raise CatalogError(option, str(path), "quotas must be a mapping")
        elif not isinstance(value, list):
            raise CatalogError(option, str(path), f"{key} must be a list")
    return {**{k: data.get(k, []) for k in CATALOG_KEYS}, "quotas": data.get("quotas") or {}}


_catalog_cache: dict[str, Catalog] = {}


def catalog_from_config(entries: Mapping[str, Sequence[Any]], catalog_file: str = "") -> Catalog:
    """Parse (and cache) the catalog: spawners are created per user, parsing is per config.

    `entries` maps each of CATALOG_KEYS to the traitlet's list; the file's
    entries come first.
    """
    path = Path(catalog_file) if catalog_file else None
    mtime = path.stat().st_mtime_ns if path and path.exists() else 0
    key = json.dumps([entries, catalog_file, mtime], sort_keys=True, default=str)
    if key not in _catalog_cache:
        from_file = load_catalog_file(path) if path else {}
        _catalog_cache[key] = parse_catalog(
            **{k: [*from_file.get(k, []), *entries.get(k, [])] for k in CATALOG_KEYS},
            quotas=from_file.get("quotas"),
        )
    return _catalog_cache[key]
