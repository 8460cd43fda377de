"""One error hierarchy: operations raise these; one handler renders them (JSON under /api, else a page)."""

from __future__ import annotations

from typing import Any


class PeerbenchError(Exception):
    status, code = 400, "bad_request"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class Unauthorised(PeerbenchError):
    status, code = 401, "unauthorised"


class PaymentRequired(PeerbenchError):
    status, code = 402, "plan_required"


class Forbidden(PeerbenchError):
    status, code = 403, "forbidden"


class NotFound(PeerbenchError):
    status, code = 404, "not_found"


class Conflict(PeerbenchError):
    status, code = 409, "conflict"


class TooLarge(PeerbenchError):
    status, code = 413, "too_large"


class InvalidInput(PeerbenchError):
    status, code = 422, "invalid_input"


class RateLimited(PeerbenchError):
    status, code = 429, "rate_limited"


class NotMigrated(RuntimeError):
    """The database schema is missing or older than the code: run `peerbench db upgrade`."""


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or []}}
