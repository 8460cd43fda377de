"""Browser fixtures: the test app served on a real socket, and Debian's headless Chromium under Playwright.

Playwright's own browser download does not work here (closed network), so the tests launch the system
Chromium at CHROMIUM; scripts/setup installs it. A missing browser fails the run, it never skips it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # no calls home: the machine's network is closed and each refused connection slows the start
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The test's app (and so its test database) served on 127.0.0.1 at a free port; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install chromium (scripts/setup does)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def console_errors() -> list[str]:
    """What the page logged as errors (a CSP violation from an inline style or script lands here)."""
    return []


@pytest.fixture
def page(browser, live_server: str, console_errors: list[str]):
    """A page in a fresh browser context (no cookies) on the live server; relative URLs resolve against it."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()

    def on_console(message) -> None:
        if message.type == "error":
            console_errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    yield page
    context.close()
