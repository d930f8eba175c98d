"""Strategic merge patch, by each type's patch strategy and merge key.

What `kubectl apply`, `kubectl patch` and kubernetes clients send by default.
Unlike a JSON merge patch, a list whose field is declared
`x-kubernetes-patch-strategy: merge` is merged element by element: by its
`x-kubernetes-patch-merge-key` (containers and env by `name`, a container's
ports by `containerPort`, a Service's ports by `port`), or as a set for lists
of scalars (`finalizers`). Other lists are replaced. The directives are
honoured and never stored:

- `$patch: replace` (this map or list replaces the original), `$patch: delete`
  (this map, or the list element with this key, goes), `$patch: merge`;
- `$setElementOrder/<list>`: the order of the merged list;
- `$deleteFromPrimitiveList/<list>`: scalars removed from a set;
- `$retainKeys`: keys kept in a map whose strategy includes `retainKeys`.

The merge key and strategy come from the schema (`schema/`), so a field the
schema does not know merges like a JSON merge patch.
"""

from __future__ import annotations

import copy
from typing import Any

from . import errors
from .schema import Spec, child, field_meta

PATCH = "$patch"
RETAIN = "$retainKeys"
ORDER = "$setElementOrder/"
DELETE_PRIMITIVE = "$deleteFromPrimitiveList/"


def _bad(message: str) -> errors.ApiError:
    return errors.bad_request(f"unable to apply the strategic merge patch: {message}")


def merge(original: Any, patch: Any, spec: Spec) -> Any:
    """Apply a strategic merge patch `patch` to `original` (neither is modified)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get(PATCH)
    if directive == "replace":
        return _strip({k: v for k, v in patch.items() if k != PATCH}, spec)
    if directive == "delete":
        return None
    if directive not in (None, "merge"):
        raise _bad(f"unknown patch type: {directive!r} in map")
    result = copy.deepcopy(original) if isinstance(original, dict) else {}
    orders = {k[len(ORDER) :]: v for k, v in patch.items() if k.startswith(ORDER)}
    removals = {k[len(DELETE_PRIMITIVE) :]: v for k, v in patch.items() if k.startswith(DELETE_PRIMITIVE)}  # fmt: skip
    for key, value in patch.items():
        if key in (PATCH, RETAIN) or key.startswith((ORDER, DELETE_PRIMITIVE)):
            continue
        if value is None:
            result.pop(key, None)
            continue
        strategies, merge_key, item_spec = field_meta(spec, key)
        if isinstance(value, list) and "merge" in strategies:
            merged = _merge_list(result.get(key), value, merge_key, item_spec)
        else:
            merged = merge(result.get(key), value, child(spec, key))
        if merged is None:
            result.pop(key, None)
        else:
            result[key] = merged
    for key, values in removals.items():
        if isinstance(result.get(key), list):
            result[key] = [v for v in result[key] if v not in values]
    for key, order in orders.items():
        if isinstance(result.get(key), list):
            _, merge_key, _ = field_meta(spec, key)
            result[key] = _ordered(result[key], order, merge_key)
    if RETAIN in patch:
        keep = set(patch[RETAIN] or [])
        result = {k: v for k, v in result.items() if k in keep}
    return result


def _merge_list(original: Any, patch: list, merge_key: str | None, item_spec: Spec) -> list:
    current = copy.deepcopy(original) if isinstance(original, list) else []
    if any(isinstance(i, dict) and i.get(PATCH) == "replace" for i in patch):
        return [_strip(i, item_spec) for i in patch if not (isinstance(i, dict) and PATCH in i)]
    if merge_key is None:  # a set of scalars (or of maps without a key): union in order
        for item in patch:
            if isinstance(item, dict) and PATCH in item:
                continue
            if item not in current:
                current.append(copy.deepcopy(item))
        return current
    for item in patch:
        if not isinstance(item, dict):
            raise _bad(f"list elements must be maps merged by {merge_key!r}")
        if merge_key not in item:
            raise _bad(f"map: {item} does not contain declared merge key: {merge_key}")
        index = next(
            (i for i, old in enumerate(current) if isinstance(old, dict) and old.get(merge_key) == item[merge_key]),
            None,
        )  # fmt: skip
        if item.get(PATCH) == "delete":
            if index is not None:
                current.pop(index)
            continue
        if index is None:
            current.append(_strip(item, item_spec))
        else:
            current[index] = merge(current[index], item, item_spec)
    return current


def _ordered(items: list, order: list, merge_key: str | None) -> list:
    """Items named in $setElementOrder first, in its order; the others after, as they were."""

    def key(item: Any) -> Any:
        return item.get(merge_key) if merge_key and isinstance(item, dict) else item

    wanted = [o.get(merge_key) if merge_key and isinstance(o, dict) else o for o in order]
    placed = [
        next(i for i in items if key(i) == w) for w in wanted if any(key(i) == w for i in items)
    ]
    rest = [i for i in items if key(i) not in wanted]
    return placed + rest


def _strip(value: Any, spec: Spec) -> Any:
    """A patch fragment stored as a value: applied to nothing, so no directive is stored."""
    return merge({}, value, spec) if isinstance(value, dict) else copy.deepcopy(value)
