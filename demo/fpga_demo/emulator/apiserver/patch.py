"""PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902), and the dispatch.

Strategic merge patch, which merges lists by each type's merge key, is in
`strategic.py`; server-side apply in `apply.py`.
"""

from __future__ import annotations

import copy
from typing import Any

from . import errors, strategic
from .schema import Spec

MERGE = "application/merge-patch+json"
APPLY = "application/apply-patch+yaml"
STRATEGIC = "application/strategic-merge-patch+json"
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


def apply_patch(content_type: str, current: dict, body: Any, spec: Spec) -> dict:
    """The patched object, for every patch type but apply (which needs its field manager)."""
    content_type = content_type.split(";", 1)[0].strip().lower()
    if content_type == JSON_PATCH:
        return json_patch(current, body)
    if content_type in (MERGE, STRATEGIC):
        if not isinstance(body, dict):
            raise errors.bad_request("a merge patch must be a JSON object")
        if content_type == STRATEGIC:
            return strategic.merge(current, body, spec)
        return merge_patch(current, body)
    raise errors.ApiError(
        415,
        f"the body of the request was in an unknown format - accepted media types include: {ACCEPTED}",
        "UnsupportedMediaType",
    )
