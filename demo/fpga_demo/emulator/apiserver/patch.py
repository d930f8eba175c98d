"""PATCH bodies: JSON merge patch, strategic merge patch, JSON patch.

Strategic merge differs from JSON merge for lists that have a merge key in
the Kubernetes types (containers and env by name, volumeMounts by mountPath,
conditions by type...): those merge element by element, others are replaced.
"""

from __future__ import annotations

import copy
from typing import Any

from . import errors

MERGE_TYPES = {"application/merge-patch+json", "application/apply-patch+yaml"}
STRATEGIC = "application/strategic-merge-patch+json"
# patchMergeKey of the core/v1 list fields clients patch.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "env": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
    "conditions": "type",
    "addresses": "type",
}
JSON_PATCH = "application/json-patch+json"
ACCEPTED = (
    "application/json-patch+json, application/merge-patch+json, "
    "application/apply-patch+yaml, application/strategic-merge-patch+json"
)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: dicts merge recursively, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge(target: Any, patch: Any) -> Any:
    """Like merge_patch, but lists with a merge key merge by it ($patch: delete removes)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif key in MERGE_KEYS and isinstance(value, list) and isinstance(result.get(key), list):
            result[key] = _merge_list(result[key], value, MERGE_KEYS[key])
        else:
            result[key] = strategic_merge(result.get(key), value)
    return result


def _merge_list(current: list, patch: list, merge_key: str) -> list:
    merged = [copy.deepcopy(item) for item in current]
    for item in patch:
        if not isinstance(item, dict) or merge_key not in item:
            return copy.deepcopy(patch)  # not mergeable: replace, as for plain lists
        directive = item.get("$patch")
        index = next(
            (
                i
                for i, old in enumerate(merged)
                if isinstance(old, dict) and old.get(merge_key) == item[merge_key]
            ),
            None,
        )
        if directive == "delete":
            if index is not None:
                merged.pop(index)
            continue
        clean = {k: v for k, v in item.items() if k != "$patch"}
        if index is None:
            merged.append(clean)
        else:
            merged[index] = strategic_merge(merged[index], clean)
    return merged


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise errors.bad_request(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, parts: list[str]) -> Any:
    node = doc
    for part in parts[:-1]:
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise errors.ApiError(422, f"jsonpatch: path segment {part!r} not found", "Invalid")
    return node


def _get(doc: Any, parts: list[str]) -> Any:
    node = doc
    for part in parts:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _remove(doc: Any, parts: list[str]) -> Any:
    parent = _parent(doc, parts)
    key = parts[-1]
    return parent.pop(int(key)) if isinstance(parent, list) else parent.pop(key)


def _add(doc: Any, parts: list[str], value: Any) -> Any:
    if not parts:
        return value
    parent = _parent(doc, parts)
    key = parts[-1]
    if isinstance(parent, list):
        if key == "-":
            parent.append(value)
        else:
            parent.insert(int(key), value)
    else:
        parent[key] = value
    return doc


def json_patch(doc: Any, operations: Any) -> Any:
    """RFC 6902 add/remove/replace/move/copy/test."""
    if not isinstance(operations, list):
        raise errors.bad_request("json patch must be a list of operations")
    doc = copy.deepcopy(doc)
    for op in operations:
        try:
            kind, parts = op["op"], _pointer(op["path"])
            if kind == "add":
                doc = _add(doc, parts, copy.deepcopy(op["value"]))
            elif kind == "remove":
                _remove(doc, parts)
            elif kind == "replace":
                _remove(doc, parts)
                doc = _add(doc, parts, copy.deepcopy(op["value"]))
            elif kind == "move":
                value = _remove(doc, _pointer(op["from"]))
                doc = _add(doc, parts, value)
            elif kind == "copy":
                doc = _add(doc, parts, copy.deepcopy(_get(doc, _pointer(op["from"]))))
            elif kind == "test":
                if _get(doc, parts) != op["value"]:
                    raise errors.ApiError(
                        422, f"jsonpatch test operation failed at {op['path']}", "Invalid"
                    )
            else:
                raise errors.bad_request(f"unknown json patch operation {kind!r}")
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise errors.ApiError(
                422,
                f"the server rejected our request due to an error in our request: {exc}",
                "Invalid",
            ) from None
    return doc


def apply_patch(content_type: str, current: dict, body: Any) -> dict:
    content_type = content_type.split(";", 1)[0].strip().lower()
    if content_type == JSON_PATCH:
        return json_patch(current, body)
    if content_type in MERGE_TYPES or content_type == STRATEGIC:
        if not isinstance(body, dict):
            raise errors.bad_request("a merge patch must be a JSON object")
        return (
            strategic_merge(current, body)
            if content_type == STRATEGIC
            else merge_patch(current, body)
        )
    raise errors.ApiError(
        415,
        f"the body of the request was in an unknown format - accepted media types include: {ACCEPTED}",
        "UnsupportedMediaType",
    )
