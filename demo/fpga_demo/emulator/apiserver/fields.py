"""`fieldValidation`: what happens to fields a request sends that the schema does not have.

The API server decodes every body into its Go types, so an unknown field
(`spec.contaners`, a typo) never reaches storage. Since Kubernetes 1.27 the
`fieldValidation` query parameter says whether that is refused (`Strict`: 400
with "strict decoding error: unknown field ..."), reported (`Warn`, the
default: a `Warning` response header per field) or silent (`Ignore`).
kubectl sends `Strict` when the server's OpenAPI lists the parameter, which
is how `kubectl apply` validates against the emulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import errors
from .schema import kind_schema, unknown_fields

MODES = ("Ignore", "Warn", "Strict")


@dataclass
class FieldValidation:
    mode: str = "Ignore"
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_query(cls, value: str | None) -> FieldValidation:
        if value is None or value == "":
            return cls("Warn")
        if value not in MODES:
            raise errors.bad_request(
                f'fieldValidation: Unsupported value: "{value}": supported values: '
                '"Ignore", "Strict", "Warn"'
            )
        return cls(value)

    def check(self, obj: dict[str, Any], kind: str) -> None:
        """Drop unknown fields from `obj`, then refuse, warn or say nothing per the mode."""
        unknown = unknown_fields(obj, kind_schema(kind))
        if not unknown:
            return
        said = [f'unknown field "{path}"' for path in unknown]
        if self.mode == "Strict":
            raise errors.bad_request(
                f'{kind} in version "v1" cannot be handled as a {kind}: strict decoding error: '
                + ", ".join(said)
            )
        if self.mode == "Warn":
            self.warnings += said
