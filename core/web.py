"""Web plumbing shared by every page and endpoint: security headers, the one error renderer, transactions."""

from __future__ import annotations

import logging
from typing import Any

from blinker import Namespace
from flask import Flask, Response, jsonify, render_template, request
from flask_limiter.errors import RateLimitExceeded
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from core.converters import register_converters
from core.db import db
from core.errors import PeerbenchError, error_body

log = logging.getLogger(__name__)

signals = Namespace()
#: sent for every 401/403 with (status, path, reason); the tenants package writes it to the audit log
refused = signals.signal("refused")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorised",
    402: "plan_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
}


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def register_web(app: Flask) -> None:
    register_converters(app.url_map)
    app.after_request(_security_headers)
    app.after_request(_finish_transaction)
    app.teardown_appcontext(_remove_session)
    app.register_error_handler(PeerbenchError, _render_peerbench_error)
    app.register_error_handler(RateLimitExceeded, _render_rate_limited)
    app.register_error_handler(ValidationError, _render_invalid)
    app.register_error_handler(HTTPException, _render_http_error)
    app.register_error_handler(Exception, _render_unexpected)


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    if request.endpoint and not request.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-store")
    return response


def _finish_transaction(response: Response) -> Response:
    session = db.session()
    if response.status_code < 400:
        session.commit()
    else:
        session.rollback()
    return response


def _remove_session(_exc: BaseException | None) -> None:
    db.session.remove()


def render_error(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> Response:
    db.session.rollback()
    if status in (401, 403):
        refused.send(None, status=status, path=request.path, reason=message)
    if is_api_request() or request.accept_mimetypes.best == "application/json":
        response = jsonify(error_body(code, message, details))
    else:
        response = Response(
            render_template("error.html", status=status, code=code, message=message, details=details or []),
            mimetype="text/html",
        )
    response.status_code = status
    return response


def _render_peerbench_error(error: PeerbenchError) -> Response:
    return render_error(error.status, error.code, error.message, error.details)


def _render_rate_limited(error: RateLimitExceeded) -> Response:
    response = render_error(
        429, "rate_limited", f"Too many requests: limit {error.description}. Try again later."
    )
    return response


def _render_invalid(error: ValidationError) -> Response:
    """A schema loaded by hand (a form field, a JSON body read in the view) failed: 422 naming the fields."""
    details = _flatten_messages(error.messages)
    message = "The request is not valid: " + "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
    return render_error(422, "invalid_input", message, details)


def _render_http_error(error: HTTPException) -> Response:
    status = error.code or 500
    details: list[dict[str, Any]] = []
    data = getattr(error, "data", None)  # flask-smorest / webargs attach validation messages here
    if isinstance(data, dict) and "messages" in data:
        details = _flatten_messages(data["messages"])
    message = error.description or error.name
    if status in (400, 422) and details:  # what was wrong ("Invalid JSON body."), not just the status
        message = "The request is not valid: " + "; ".join(
            f"{d['field']}: {d['message']}" for d in details[:5]
        )
    response = render_error(status, _HTTP_CODES.get(status, "error"), message, details)
    if status == 405 and isinstance(error, HTTPException):
        allowed = error.get_response().headers.get("Allow")
        if allowed:
            response.headers["Allow"] = allowed
    return response


def _render_unexpected(error: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.path, exc_info=error)
    return render_error(500, "internal_error", "Something went wrong on our side; it has been logged.")


def _flatten_messages(messages: Any, prefix: str = "") -> list[dict[str, Any]]:
    """webargs nests messages by location and field; the API reports flat {field, message} pairs."""
    flat: list[dict[str, Any]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if prefix == "" and key in {"json", "query", "form", "files", "headers", "path"}:
                flat.extend(_flatten_messages(value, ""))
            else:
                flat.extend(_flatten_messages(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat.extend({"field": prefix or "_schema", "message": m} for m in messages)
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            flat.extend(_flatten_messages(value, f"{prefix}[{index}]"))
    else:
        flat.append({"field": prefix or "_schema", "message": str(messages)})
    return flat
