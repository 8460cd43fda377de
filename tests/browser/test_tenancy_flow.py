"""A consultancy's first session, end to end in a real browser: sign up, sign out and in, add a client,
switch to it, issue an API token there and use it."""

from __future__ import annotations

import json
import re
import tempfile
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

PASSWORD = "correct horse battery staple"
SCREENSHOTS = Path(tempfile.gettempdir()) / "peerbench-browser"


def org_slug_in(url: str) -> str:
    match = re.search(r"/o/([^/]+)/", url)
    assert match, f"not an organisation page: {url}"
    return match.group(1)


def api_get(base_url: str, path: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        base_url + path, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def org_tab(page: Page, org_name: str, label: str):
    """A tab of the organisation's navigation bar (the bar is labelled with the organisation's name)."""
    return page.get_by_role("navigation", name=org_name).get_by_role("link", name=label)


def sign_up_consultancy(page: Page, email: str) -> str:
    page.goto("/signup")
    page.get_by_label("Your name").fill("Casey Consultant")
    page.get_by_label("Work email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Organisation name").fill("Harbour Advisory")
    page.get_by_label("Your organisation is").select_option("consultancy")
    page.get_by_label("Industry").select_option("professional_services")
    page.get_by_label("Size (supported end users)").select_option("s")
    page.get_by_label("Region").select_option("emea")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(re.compile(r"/o/[^/]+/"))
    return org_slug_in(page.url)


@pytest.mark.browser
def test_consultancy_signs_up_adds_a_client_and_uses_an_api_token_there(
    page: Page, live_server: str, backend, console_errors: list[str]
):
    SCREENSHOTS.mkdir(exist_ok=True)
    email = "casey@harbour.example"
    try:
        consultancy_slug = sign_up_consultancy(page, email)
        switcher = page.get_by_test_id("org-switcher")
        expect(switcher).to_have_text("Harbour Advisory")
        expect(page.get_by_role("status").first).to_contain_text("Harbour Advisory is ready")

        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(re.compile(r"/login"))
        expect(page.get_by_role("status").first).to_contain_text("signed out")
        page.goto(f"/o/{consultancy_slug}/clients")  # a copied link no longer works once signed out
        page.wait_for_url(re.compile(r"/login\?next="))

        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(rf"/o/{consultancy_slug}/clients"))  # back where the link pointed

        page.goto(f"/o/{consultancy_slug}/")
        org_tab(page, "Harbour Advisory", "Clients").click()
        page.wait_for_url(re.compile(rf"/o/{consultancy_slug}/clients"))
        page.get_by_label("Client name").fill("Contoso Retail IT")
        page.get_by_label("Kind").select_option("enterprise")
        page.get_by_label("Industry").select_option("retail")
        page.get_by_label("Size (supported end users)").select_option("l")
        page.get_by_label("Region").select_option("na")
        page.get_by_role("button", name="Create client").click()
        expect(page.get_by_role("status").first).to_contain_text("Contoso Retail IT created")
        expect(page.get_by_role("cell", name="Contoso Retail IT")).to_be_visible()

        switcher.click()
        menu = page.get_by_role("navigation", name="Organisations")
        menu_entry = menu.get_by_role("link", name="Contoso Retail IT")
        expect(menu_entry).to_contain_text("client of Harbour Advisory")
        menu_entry.click()
        page.wait_for_url(re.compile(r"/o/[^/]+/"))
        client_slug = org_slug_in(page.url)
        assert client_slug != consultancy_slug
        expect(page.get_by_test_id("org-switcher")).to_have_text("Contoso Retail IT")

        org_tab(page, "Contoso Retail IT", "API tokens").click()
        page.wait_for_url(re.compile(rf"/o/{client_slug}/tokens"))
        page.get_by_label("Label").fill("browser test")
        page.get_by_role("button", name="Create token").click()
        secret = page.locator("#token-secret").inner_text().strip()
        assert len(secret) >= 32
        expect(page.get_by_role("cell", name="browser test")).to_be_visible()

        status, body = api_get(live_server, "/api/v1/orgs", secret)
        assert status == 200
        assert [(o["slug"], o["role"]) for o in body["organisations"]] == [(client_slug, "owner")]
        assert console_errors == []
    finally:
        page.screenshot(path=str(SCREENSHOTS / f"tenancy-flow-{backend.name}.png"), full_page=True)
