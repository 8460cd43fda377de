"""A local stand-in for the Stripe API: records what the real stripe library sends, answers Stripe JSON.

The Checkout and Portal URLs it hands out point back at itself and serve a small page, so a browser that
follows them lands somewhere real.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

WEBHOOK_SECRET = "whsec_test_secret"
SECRET_KEY = "sk_test_peerbench_stub"


@dataclass
class Recorded:
    method: str
    path: str
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class StripeStub:
    server: ThreadingHTTPServer
    requests: list[Recorded] = field(default_factory=list)
    fail_with: int | None = None  # answer the next API call with this status and a Stripe error

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def sent(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]


def _answer(stub: StripeStub, path: str) -> tuple[int, dict[str, Any]]:
    if stub.fail_with is not None:
        status, stub.fail_with = stub.fail_with, None
        return status, {"error": {"type": "invalid_request_error", "message": "No such price: 'price_x'"}}
    if path == "/v1/customers":
        return 200, {"id": "cus_123", "object": "customer"}
    if path == "/v1/checkout/sessions":
        return 200, {"id": "cs_1", "object": "checkout.session", "url": f"{stub.url}/checkout/cs_1"}
    if path == "/v1/billing_portal/sessions":
        return 200, {"id": "bps_1", "object": "billing_portal.session", "url": f"{stub.url}/portal/bps_1"}
    return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL {path}"}}


def start_stub() -> tuple[StripeStub, threading.Thread]:
    stub: StripeStub

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            stub.requests.append(
                Recorded("POST", self.path, dict(parse_qsl(body, keep_blank_values=True)), dict(self.headers))
            )
            status, payload = _answer(stub, self.path)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Request-Id", "req_stub")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # the hosted pages the session URLs point at
            stub.requests.append(Recorded("GET", self.path, {}, dict(self.headers)))
            title = "Stripe Checkout (stub)" if self.path.startswith("/checkout/") else "Stripe portal (stub)"
            data = f"<!doctype html><title>{title}</title><h1>{title}</h1>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

    stub = StripeStub(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
    thread = threading.Thread(target=stub.server.serve_forever, name="stripe-stub", daemon=True)
    thread.start()
    return stub, thread


def running_stub() -> Iterator[StripeStub]:
    stub, thread = start_stub()
    try:
        yield stub
    finally:
        stub.server.shutdown()
        thread.join(timeout=10)
        stub.server.server_close()


def billing_config(stub: StripeStub) -> dict[str, object]:
    """Settings overrides that turn billing on against the stub."""
    return {
        "stripe_secret_key": SECRET_KEY,
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "stripe_price_pro": "price_pro",
        "stripe_price_consultancy": "price_consultancy",
        "stripe_api_base": stub.url,
        "base_url": "https://peerbench.example",
    }


def signature_header(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Stripe-Signature as Stripe computes it: t=<unix>,v1=HMAC-SHA256(secret, "<t>.<payload>")."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"
