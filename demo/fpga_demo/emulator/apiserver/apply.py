"""Server-side apply (`application/apply-patch+yaml`), for the fields clients apply.

An apply is not a merge patch: the body is the applier's whole intent for the
fields it manages. The server remembers, per field manager, which fields it
set (`metadata.managedFields`, FieldsV1), and on the next apply:

- fields the manager set before and leaves out now are removed, unless
  another manager also owns them;
- a field another manager owns with a different value is a 409 conflict
  naming both, unless `force=true`, which takes the field over;
- lists merge by their schema's list type: `map` lists by their
  `x-kubernetes-list-map-keys` (containers by name, a Service's ports by port
  and protocol), `set` lists as sets, every other list as one atomic value.

Writes that are not applies (create, update, patch) record an `Update` entry
for their manager with the fields they changed, so an apply after a
`kubectl edit` conflicts as it does on a real cluster.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from ..clock import now_rfc3339
from . import errors
from .schema import Spec, resolve

Path = tuple[str, ...]
MISSING = object()


def _prop(spec: Spec, key: str) -> Mapping[str, Any]:
    return (resolve(spec).get("properties") or {}).get(key) or {}


def _child(spec: Spec, key: str) -> Spec:
    spec = resolve(spec)
    if "properties" in spec:
        return resolve(spec["properties"].get(key))
    return resolve(spec.get("additionalProperties"))


def _list_keys(prop: Mapping[str, Any]) -> tuple[str, list[str]]:
    kind = prop.get("x-kubernetes-list-type") or "atomic"
    return kind, list(prop.get("x-kubernetes-list-map-keys") or [])


def _item_key(item: Any, keys: list[str]) -> str:
    return "k:" + json.dumps({k: item.get(k) for k in keys if k in item}, sort_keys=True, separators=(",", ":"))  # fmt: skip


def field_set(value: Any, spec: Spec, prefix: Path = ()) -> set[Path]:
    """The leaf fields a configuration sets (list items of map and set lists included)."""
    paths: set[Path] = set()
    if not isinstance(value, dict):
        return {prefix} if prefix else paths
    for key, item in value.items():
        if prefix == ("f:metadata",) and key in ("managedFields", "resourceVersion", "uid", "creationTimestamp", "generation"):  # fmt: skip
            continue
        here = (*prefix, f"f:{key}")
        prop = _prop(spec, key)
        if isinstance(item, list):
            kind, keys = _list_keys(prop)
            item_spec = resolve(prop.get("items"))
            if kind == "map" and keys:
                for element in item:
                    if isinstance(element, dict):
                        at = (*here, _item_key(element, keys))
                        paths.add(at)
                        paths |= field_set(element, item_spec, at)
            elif kind == "set":
                paths |= {(*here, "v:" + json.dumps(v, sort_keys=True)) for v in item}
            else:
                paths.add(here)
        elif isinstance(item, dict) and item:
            paths |= field_set(item, _child(spec, key), here)
        else:
            paths.add(here)
    return paths


def encode(paths: set[Path]) -> dict[str, Any]:
    """FieldsV1: a trie of path elements; '.' marks a list item owned as a whole."""
    root: dict[str, Any] = {}
    for path in sorted(paths):
        node = root
        for part in path:
            node = node.setdefault(part, {})
        if path[-1][:2] in ("k:", "v:"):
            node.setdefault(".", {})
    return root


def decode(tree: Mapping[str, Any], prefix: Path = ()) -> set[Path]:
    paths: set[Path] = set()
    for part, sub in tree.items():
        if part == ".":
            paths.add(prefix)
        elif not sub:
            paths.add((*prefix, part))
        else:
            paths |= decode(sub, (*prefix, part))
    return paths


def _find(items: list, part: str) -> int | None:
    if part.startswith("k:"):
        wanted = json.loads(part[2:])
        return next((i for i, it in enumerate(items) if isinstance(it, dict) and all(it.get(k) == v for k, v in wanted.items())), None)  # fmt: skip
    value = json.loads(part[2:])
    return next((i for i, it in enumerate(items) if it == value), None)


def value_at(obj: Any, path: Path) -> Any:
    for part in path:
        if part.startswith("f:") and isinstance(obj, dict):
            obj = obj.get(part[2:], MISSING)
        elif isinstance(obj, list):
            index = _find(obj, part)
            obj = MISSING if index is None else obj[index]
        else:
            return MISSING
        if obj is MISSING:
            return MISSING
    return obj


def remove_at(obj: Any, path: Path) -> None:
    for part in path[:-1]:
        obj = value_at(obj, (part,))
        if obj is MISSING:
            return
    last = path[-1]
    if last.startswith("f:") and isinstance(obj, dict):
        obj.pop(last[2:], None)
    elif isinstance(obj, list):
        index = _find(obj, last)
        if index is not None:
            obj.pop(index)


def merge_applied(live: Any, config: Any, spec: Spec) -> Any:
    if not isinstance(config, dict) or not isinstance(live, dict):
        return copy.deepcopy(config)
    result = copy.deepcopy(live)
    for key, value in config.items():
        prop = _prop(spec, key)
        kind, keys = _list_keys(prop)
        if isinstance(value, list) and isinstance(result.get(key), list) and kind in ("map", "set"):
            merged = result[key]
            for item in value:
                index = _find(merged, _item_key(item, keys)) if kind == "map" and keys and isinstance(item, dict) else _find(merged, "v:" + json.dumps(item))  # fmt: skip
                if index is None:
                    merged.append(copy.deepcopy(item))
                elif kind == "map":
                    merged[index] = merge_applied(merged[index], item, resolve(prop.get("items")))
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge_applied(result[key], value, _child(spec, key))
        else:
            result[key] = copy.deepcopy(value)
    return result


def _entries(obj: Mapping[str, Any]) -> list[dict]:
    return [dict(e) for e in (obj.get("metadata") or {}).get("managedFields") or []]


def _entry(manager: str, operation: str, paths: set[Path]) -> dict[str, Any]:
    return {
        "manager": manager,
        "operation": operation,
        "apiVersion": "v1",
        "time": now_rfc3339(),
        "fieldsType": "FieldsV1",
        "fieldsV1": encode(paths),
    }


def _shown(path: Path) -> str:
    text = ""
    for part in path:
        if part.startswith("f:"):
            text += "." + part[2:]
        elif part.startswith("k:"):
            pairs = json.loads(part[2:])
            text += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in pairs.items()) + "]"
        else:
            text += f"[={part[2:]}]"
    return text


def _conflict_error(conflicts: list[tuple[str, Path]]) -> errors.ApiError:
    """409 worded as the API server words it, one cause per field."""
    causes = [
        errors.Cause(_shown(p), "FieldManagerConflict", f'conflict with "{m}" using v1')
        for m, p in conflicts
    ]
    if len(conflicts) == 1:
        ((manager, path),) = conflicts
        text = f'1 conflict: conflict with "{manager}" using v1: {_shown(path)}'
    else:
        by_manager: dict[str, list[str]] = {}
        for manager, path in conflicts:
            by_manager.setdefault(manager, []).append(_shown(path))
        text = f"{len(conflicts)} conflicts: " + "\n".join(
            f'conflicts with "{m}" using v1:\n' + "\n".join(f"- {p}" for p in paths)
            for m, paths in by_manager.items()
        )
    return errors.ApiError(409, f"Apply failed with {text}", "Conflict", {}, causes)


def server_side_apply(live: dict, config: Any, spec: Spec, manager: str, force: bool) -> dict:
    """The object after `manager` applies `config` to `live`, managedFields updated."""
    if not manager:
        raise errors.bad_request("fieldManager: Required value: is required for apply patch")
    if not isinstance(config, dict):
        raise errors.bad_request("the apply configuration must be an object")
    applied = field_set(config, spec)
    entries = _entries(live)
    mine = set().union(*(decode(e.get("fieldsV1") or {}) for e in entries if e.get("manager") == manager and e.get("operation") == "Apply"))  # fmt: skip
    others = [
        e for e in entries if not (e.get("manager") == manager and e.get("operation") == "Apply")
    ]
    conflicts = [
        (e["manager"], path)
        for e in others
        if e.get("manager") != manager
        for path in sorted(decode(e.get("fieldsV1") or {}) & applied)
        if value_at(live, path) != value_at(config, path) and path[-1][:2] not in ("k:", "v:")
    ]
    if conflicts and not force:
        raise _conflict_error(conflicts)
    owned_by_others = set().union(*(decode(e.get("fieldsV1") or {}) for e in others))
    result = copy.deepcopy(live)
    for path in sorted(mine - applied, key=len, reverse=True):
        if not any(p[: len(path)] == path for p in owned_by_others):
            remove_at(result, path)
    result = merge_applied(result, config, spec)
    taken = {p for _, p in conflicts}
    kept = []
    for entry in others:
        paths = decode(entry.get("fieldsV1") or {}) - taken
        if paths:
            kept.append({**entry, "fieldsV1": encode(paths)})
    result.setdefault("metadata", {})["managedFields"] = [*kept, _entry(manager, "Apply", applied)]
    return result


def record_update(old: Mapping[str, Any] | None, new: dict, spec: Spec, manager: str) -> None:
    """A non-apply write: `manager` now owns the fields it changed (others lose them)."""
    if not manager:
        return
    before = field_set({k: v for k, v in (old or {}).items() if k != "status"}, spec)
    after = field_set({k: v for k, v in new.items() if k != "status"}, spec)
    changed = {p for p in after if p not in before or value_at(old, p) != value_at(new, p)}
    entries = _entries(old or {})
    if not changed:
        new.setdefault("metadata", {})["managedFields"] = entries or new["metadata"].get("managedFields") or []  # fmt: skip
        return
    kept, mine = [], set(changed)
    for entry in entries:
        paths = decode(entry.get("fieldsV1") or {})
        if entry.get("manager") == manager and entry.get("operation") == "Update":
            mine |= paths & after
            continue
        paths = (paths - changed) & after
        if paths:
            kept.append({**entry, "fieldsV1": encode(paths)})
    new.setdefault("metadata", {})["managedFields"] = [*kept, _entry(manager, "Update", mine)]
