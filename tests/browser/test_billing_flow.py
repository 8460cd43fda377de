"""An owner upgrades in a real browser: the Billing page's Upgrade button goes through our server to the
Stripe Checkout URL the (local) Stripe API returned, and the browser lands there."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.tenants.stripe_stub import StripeStub, billing_config, running_stub


@pytest.fixture
def stripe_stub() -> Iterator[StripeStub]:
    yield from running_stub()


@pytest.fixture
def app_config(app_config: dict[str, object], stripe_stub: StripeStub) -> dict[str, object]:
    return {**app_config, **billing_config(stripe_stub)}


@pytest.mark.browser
def test_owner_clicks_upgrade_and_lands_on_stripe_checkout(
    page: Page, live_server: str, make_org, make_member, stripe_stub: StripeStub, console_errors: list[str]
):
    org = make_org("Acme IT")
    owner = make_member(org, "owner")

    page.goto("/login")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"/o/{org.slug}/"))

    page.get_by_role("navigation", name="Acme IT").get_by_role("link", name="Billing").click()
    page.wait_for_url(re.compile(rf"/o/{org.slug}/billing$"))
    expect(page.get_by_test_id("current-plan")).to_have_text("Free")
    page.get_by_role("button", name="Upgrade to Pro").click()

    page.wait_for_url(f"{stripe_stub.url}/checkout/cs_1")
    assert page.url == f"{stripe_stub.url}/checkout/cs_1"
    expect(page.get_by_role("heading", name="Stripe Checkout (stub)")).to_be_visible()
    (checkout,) = stripe_stub.sent("/v1/checkout/sessions")
    assert checkout.form["client_reference_id"] == org.slug
    assert checkout.form["line_items[0][price]"] == "price_pro"
    assert console_errors == []
