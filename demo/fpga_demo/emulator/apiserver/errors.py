"""API errors in the API server's own `Status` shape.

Clients (kubernetes_asyncio, kubespawner) branch on the HTTP code and read
`reason`, `message` and `details.causes`; producing exactly the shape and
wording of the real API server is what lets their error paths be tested here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HTTP_REASONS = {
    400: "BadRequest",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    410: "Gone",
    415: "UnsupportedMediaType",
    422: "Invalid",
    500: "InternalError",
    504: "Timeout",
}


@dataclass
class Cause:
    """One field error of a 422 Invalid answer, as `details.causes[]` carries it."""

    field: str
    reason: str
    message: str

    def text(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def required(path: str, detail: str = "") -> Cause:
    return Cause(path, "FieldValueRequired", "Required value" + (f": {detail}" if detail else ""))


def invalid(path: str, value: Any, detail: str) -> Cause:
    shown = value if isinstance(value, int) and not isinstance(value, bool) else f'"{value}"'
    return Cause(path, "FieldValueInvalid", f"Invalid value: {shown}: {detail}")


def unsupported(path: str, value: Any, allowed: list[str]) -> Cause:
    choices = ", ".join(f'"{a}"' for a in allowed)
    return Cause(
        path, "FieldValueNotSupported", f'Unsupported value: "{value}": supported values: {choices}'
    )


def duplicate(path: str, value: Any) -> Cause:
    return Cause(path, "FieldValueDuplicate", f'Duplicate value: "{value}"')


def forbidden(path: str, detail: str) -> Cause:
    return Cause(path, "FieldValueForbidden", f"Forbidden: {detail}")


def not_found_field(path: str, value: Any) -> Cause:
    return Cause(path, "FieldValueNotFound", f'Not found: "{value}"')


@dataclass
class ApiError(Exception):
    """An error answer; `status_body()` is the JSON the API server would send."""

    code: int
    message: str
    reason: str = ""
    details: dict[str, Any] | None = None
    causes: list[Cause] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)
        if not self.reason:
            self.reason = HTTP_REASONS.get(self.code, "Unknown")

    def status_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        details = dict(self.details or {})
        if self.causes:
            details["causes"] = [
                {"reason": c.reason, "message": c.message, "field": c.field} for c in self.causes
            ]
        if details or self.code in (404, 409, 422):
            body["details"] = details
        body["code"] = self.code
        return body


def not_found(plural: str, name: str, group: str = "") -> ApiError:
    details = {"name": name, "kind": plural}
    if group:
        details["group"] = group
    return ApiError(404, f'{plural} "{name}" not found', "NotFound", details)


def already_exists(plural: str, name: str) -> ApiError:
    return ApiError(
        409, f'{plural} "{name}" already exists', "AlreadyExists", {"name": name, "kind": plural}
    )


def conflict(plural: str, name: str) -> ApiError:
    return ApiError(
        409,
        f'Operation cannot be fulfilled on {plural} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again",
        "Conflict",
        {"name": name, "kind": plural},
    )


def invalid_object(kind: str, name: str, causes: list[Cause]) -> ApiError:
    joined = ", ".join(c.text() for c in causes)
    text = joined if len(causes) == 1 else f"[{joined}]"
    return ApiError(
        422,
        f'{kind} "{name}" is invalid: {text}',
        "Invalid",
        {"name": name, "kind": kind},
        causes,
    )


def bad_request(message: str) -> ApiError:
    return ApiError(400, message, "BadRequest")


def expired(message: str) -> ApiError:
    """410 for a resourceVersion the server no longer keeps history for."""
    return ApiError(410, message, "Expired")


def route_not_found() -> ApiError:
    return ApiError(404, "the server could not find the requested resource", "NotFound", {})


def method_not_allowed(method: str) -> ApiError:
    return ApiError(
        405, f"the server does not allow this method on the requested resource ({method})"
    )


def resource_version_too_large(requested: int, current: int) -> ApiError:
    return ApiError(
        504,
        f"Too large resource version: {requested}, current: {current}",
        "Timeout",
        {
            "causes": [
                {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
            ],
            "retryAfterSeconds": 1,
        },
    )


def namespace_terminating(namespace: str, plural: str, name: str) -> ApiError:
    return ApiError(
        403,
        f'{plural} "{name}" is forbidden: unable to create new content in namespace '
        f"{namespace} because it is being terminated",
        "Forbidden",
        {"name": name, "kind": plural},
    )
