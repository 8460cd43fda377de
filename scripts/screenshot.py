"""Take the README's screenshot of a running demo: sign in as the demo user, open Northwind's dashboard.

scripts/demo --port 5055 &
uv run python scripts/screenshot.py http://127.0.0.1:5055 docs/images/dashboard.png
"""

from __future__ import annotations

import re
import sys

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main(base_url: str = "http://127.0.0.1:5000", out: str = "docs/images/dashboard.png") -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 800}).new_page()
        page.goto("/login")
        page.get_by_label("Email").fill("demo@peerbench.example")
        page.get_by_label("Password").fill("peerbench-demo")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/o/"))
        page.goto("/o/northwind/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=out)
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
