"""The handlers' common ground: JSON in, JSON out, every error a `Status` body."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import yaml
from tornado import web

from . import errors

if TYPE_CHECKING:
    from .api import Api


def _bool(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes")


class BaseHandler(web.RequestHandler):
    """JSON in, JSON out, every error as a `Status` body."""

    def initialize(self, api: Api) -> None:
        self.api = api

    def write_json(self, body: Any, code: int = 200) -> None:
        self.set_status(code)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None))[1]
        if isinstance(exc, errors.ApiError):
            err = exc
        elif isinstance(exc, web.HTTPError) and status_code < 500:
            err = errors.ApiError(status_code, exc.log_message or self._reason)
        else:
            err = errors.ApiError(500, f"Internal error occurred: {exc!r}", "InternalError")
        self.set_status(err.code)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(err.status_body()))

    def log_exception(self, typ, value, tb) -> None:  # type: ignore[override]
        if isinstance(value, errors.ApiError):
            return  # an answer, not a server fault
        super().log_exception(typ, value, tb)

    def query(self) -> dict[str, str]:
        return {k: self.get_query_argument(k) for k in self.request.query_arguments}

    def body_json(self) -> Any:
        raw = self.request.body or b""
        if not raw.strip():
            return None
        content_type = self.request.headers.get("Content-Type", "")
        try:
            if "yaml" in content_type:
                return yaml.safe_load(raw)
            return json.loads(raw)
        except (ValueError, yaml.YAMLError) as exc:
            raise errors.bad_request(
                f"the body of the request could not be decoded: {exc}"
            ) from None
