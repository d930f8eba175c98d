"""Builds the emulator's OpenAPI definitions from Kubernetes' own schemas.

`demo/fpga_demo/emulator/apiserver/schema/definitions.json` is generated, not
written: the core/v1 kinds the emulator serves and every type they reach,
taken from the Kubernetes 1.31 schemas that kubernetes-validate ships (JSON
Schema converted back to the Swagger 2.0 shape the API server publishes),
descriptions dropped. `test_openapi.py` checks the committed file is what this
builds; after changing KINDS, regenerate it with

    .venv/bin/python -m tests.emulator.openapi_source
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import kubernetes_validate

from fpga_demo.emulator.apiserver import schema

KUBERNETES = "v1.31.0"
CORE = "io.k8s.api.core.v1."
META = "io.k8s.apimachinery.pkg.apis.meta.v1."
KINDS = [CORE + k for k in schema.SERVED_KINDS] + [
    CORE + k + "List" for k in schema.SERVED_KINDS if k not in ("Binding",)
] + ["io.k8s.api.policy.v1.Eviction", META + "Status", META + "DeleteOptions", META + "Table"]  # fmt: skip
SPECIAL = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
        "type": "string",
        "format": "int-or-string",
    },
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {"type": "string"},
}


def _convert(node: Any, key: str = "") -> Any:
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for name, value in node.items():
        if name == "description" or (name == "enum" and key in ("apiVersion", "kind")):
            continue
        if name == "type" and isinstance(value, list):
            value = next(t for t in value if t != "null")
        elif name == "$ref":
            value = value.replace("#/$defs/", "#/definitions/")
        elif name == "properties":
            value = {prop: _convert(spec, prop) for prop, spec in value.items()}
            out[name] = value
            continue
        out[name] = _convert(value, name)
    return out


def build() -> dict[str, Any]:
    root = (
        Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / f"{KUBERNETES}-local"
    )
    source = json.loads((root / "_definitions.json").read_text())["$defs"]
    wanted, todo = {}, [k for k in KINDS if k in source]
    while todo:
        name = todo.pop()
        if name in wanted:
            continue
        wanted[name] = SPECIAL.get(name) or _convert(source[name])
        todo += re.findall(r'"#/\$defs/([^"]+)"', json.dumps(source[name]))
    return {name: wanted[name] for name in sorted(wanted)}


def render(definitions: dict[str, Any]) -> str:
    """One definition per line, so a regenerated file diffs by type."""
    lines = [
        f"{json.dumps(name)}: {json.dumps(spec, sort_keys=True)}"
        for name, spec in definitions.items()
    ]
    return "{\n" + ",\n".join(lines) + "\n}\n"


if __name__ == "__main__":
    schema.DEFINITIONS_FILE.write_text(render(build()))
    print(f"wrote {schema.DEFINITIONS_FILE}")
