"""Billing with Stripe: Checkout and Portal sent by the real stripe library to a local stub, signed webhooks
(valid, forged, replayed, reordered, unknown), grace and read-only after a failed payment, and the plan
checks on the API, client creation and white-label branding. No network."""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.clock import utcnow
from core.db import transaction
from tenants.billing import service as billing
from tenants.models import AuditEvent, Organisation, OrgKind, StripeEvent
from tests.conftest import csrf_token
from tests.tenants.stripe_stub import (
    SECRET_KEY,
    WEBHOOK_SECRET,
    StripeStub,
    billing_config,
    running_stub,
    signature_header,
)

_ids = itertools.count(1)
CLIENT = {"name": "Contoso IT", "industry": "retail", "size": "m", "region": "emea"}


@pytest.fixture
def stripe_stub() -> Iterator[StripeStub]:
    yield from running_stub()


@pytest.fixture
def billing_enabled() -> bool:
    return True  # tests of self-hosted mode parametrize this to False


@pytest.fixture
def app_config(
    app_config: dict[str, object], billing_enabled: bool, stripe_stub: StripeStub
) -> dict[str, object]:
    return {**app_config, **billing_config(stripe_stub)} if billing_enabled else app_config


@pytest.fixture
def acme(make_org) -> Organisation:
    return make_org("Acme IT")


@pytest.fixture
def harbour(make_org) -> Organisation:
    return make_org("Harbour Advisory", kind=OrgKind.CONSULTANCY)


def set_billing(org: Organisation, **values: Any) -> None:
    with transaction() as session:
        row = session.get(Organisation, org.id)
        for key, value in values.items():
            setattr(row, key, value)


def reload(stored, org: Organisation) -> Organisation:
    return stored(select(Organisation).where(Organisation.id == org.id))[0]


# -- webhook helpers ----------------------------------------------------------------------------------------


def event(kind: str, obj: dict[str, Any], *, created: int | None = None, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_{next(_ids)}",
        "object": "event",
        "type": kind,
        "created": created if created is not None else int(time.time()),
        "livemode": False,
        "api_version": "2025-08-27.basil",
        "data": {"object": obj},
    }


def subscription(
    org: Organisation, *, status: str = "active", price: str = "price_pro", sub_id: str = "sub_1"
) -> dict[str, Any]:
    period_end = int(time.time()) + 30 * 86400
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": "cus_123",
        "status": status,
        "metadata": {"org_slug": org.slug},
        "items": {"object": "list", "data": [{"price": {"id": price}, "current_period_end": period_end}]},
    }


def invoice(kind_created: int | None = None, *, sub_id: str = "sub_1") -> dict[str, Any]:
    return {
        "id": f"in_{next(_ids)}",
        "object": "invoice",
        "customer": "cus_123",
        "parent": {"type": "subscription_details", "subscription_details": {"subscription": sub_id}},
    }


def post_event(client, payload: dict | str, *, header: str | bool | None = True):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    headers = {"Content-Type": "application/json"}
    if header is True:
        headers["Stripe-Signature"] = signature_header(body)
    elif isinstance(header, str):
        headers["Stripe-Signature"] = header
    return client.post("/billing/webhook", data=body, headers=headers)


def subscribe(client, org: Organisation, price: str = "price_pro", *, created: int | None = None) -> None:
    response = post_event(
        client, event("customer.subscription.created", subscription(org, price=price), created=created)
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["outcome"] == "applied"


def audit_actions(stored, org: Organisation) -> list[str]:
    return [
        e.action
        for e in stored(select(AuditEvent).where(AuditEvent.org_id == org.id).order_by(AuditEvent.id))
    ]


# -- Checkout and Portal: what the stripe library sends -----------------------------------------------------


def test_upgrade_creates_the_customer_and_a_subscription_checkout(client_as, acme, stripe_stub, stored):
    owner = client_as(acme, "owner")
    token = csrf_token(owner, f"/o/{acme.slug}/billing")
    response = owner.post(f"/o/{acme.slug}/billing/checkout", data={"plan": "pro", "csrf_token": token})

    assert response.status_code == 303
    assert response.headers["Location"] == f"{stripe_stub.url}/checkout/cs_1"
    (customer,) = stripe_stub.sent("/v1/customers")
    assert customer.form == {"name": "Acme IT", "email": owner.user.email, "metadata[org_slug]": acme.slug}
    assert customer.headers["Authorization"] == f"Bearer {SECRET_KEY}"
    assert customer.headers["Idempotency-Key"].startswith("peerbench-customer-")
    (checkout,) = stripe_stub.sent("/v1/checkout/sessions")
    assert checkout.form == {
        "mode": "subscription",
        "customer": "cus_123",
        "line_items[0][price]": "price_pro",
        "line_items[0][quantity]": "1",
        "client_reference_id": acme.slug,
        "metadata[org_slug]": acme.slug,
        "metadata[plan]": "pro",
        "subscription_data[metadata][org_slug]": acme.slug,
        "subscription_data[metadata][plan]": "pro",
        "success_url": f"https://peerbench.example/o/{acme.slug}/billing?checkout=success",
        "cancel_url": f"https://peerbench.example/o/{acme.slug}/billing?checkout=cancel",
    }
    assert reload(stored, acme).stripe_customer_id == "cus_123"
    assert reload(stored, acme).plan == "free"  # nothing changes until Stripe's webhook confirms payment
    assert "billing.checkout_started" in audit_actions(stored, acme)


def test_an_existing_customer_is_reused(client_as, harbour, stripe_stub):
    set_billing(harbour, stripe_customer_id="cus_existing")
    owner = client_as(harbour, "owner")
    token = csrf_token(owner, f"/o/{harbour.slug}/billing")
    response = owner.post(
        f"/o/{harbour.slug}/billing/checkout", data={"plan": "consultancy", "csrf_token": token}
    )

    assert response.status_code == 303
    assert stripe_stub.sent("/v1/customers") == []
    (checkout,) = stripe_stub.sent("/v1/checkout/sessions")
    assert checkout.form["customer"] == "cus_existing"
    assert checkout.form["line_items[0][price]"] == "price_consultancy"


def test_manage_billing_opens_the_customer_portal(client_as, acme, stripe_stub):
    set_billing(
        acme,
        stripe_customer_id="cus_123",
        plan="pro",
        billing_status="active",
        stripe_subscription_id="sub_1",
    )
    owner = client_as(acme, "owner")
    token = csrf_token(owner, f"/o/{acme.slug}/billing")
    response = owner.post(f"/o/{acme.slug}/billing/portal", data={"csrf_token": token})

    assert response.status_code == 303
    assert response.headers["Location"] == f"{stripe_stub.url}/portal/bps_1"
    (portal,) = stripe_stub.sent("/v1/billing_portal/sessions")
    assert portal.form == {
        "customer": "cus_123",
        "return_url": f"https://peerbench.example/o/{acme.slug}/billing",
    }


BILLING_API_ACCESS = [("owner", 200), ("admin", 403), ("analyst", 403), ("viewer", 403), ("stranger", 404)]


@pytest.mark.parametrize(("role", "expected"), BILLING_API_ACCESS)
def test_api_checkout_by_role(client, acme, make_org, token_for, role, expected):
    headers = token_for(make_org(), "owner") if role == "stranger" else token_for(acme, role)
    response = client.post(
        f"/api/v1/orgs/{acme.slug}/billing/checkout", json={"plan": "pro"}, headers=headers
    )
    assert response.status_code == expected, response.get_json()


def test_a_free_organisation_upgrades_through_the_api(client, acme, token_for, stripe_stub):
    headers = token_for(acme, "owner")
    assert client.get("/api/v1/orgs", headers=headers).status_code == 402  # no api_access on free...
    response = client.post(
        f"/api/v1/orgs/{acme.slug}/billing/checkout", json={"plan": "pro"}, headers=headers
    )
    assert response.status_code == 200  # ...but the billing endpoints answer every plan
    assert response.get_json() == {"url": f"{stripe_stub.url}/checkout/cs_1"}
    portal = client.post(f"/api/v1/orgs/{acme.slug}/billing/portal", headers=headers)
    assert portal.status_code == 200
    assert portal.get_json() == {"url": f"{stripe_stub.url}/portal/bps_1"}


@pytest.mark.parametrize(
    ("body", "status"),
    [({"plan": "consultancy"}, 422), ({"plan": "gold"}, 422), ({"plan": "free"}, 422), ({}, 422)],
)
def test_api_checkout_refuses_plans_it_cannot_sell(client, acme, token_for, stripe_stub, body, status):
    response = client.post(
        f"/api/v1/orgs/{acme.slug}/billing/checkout", json=body, headers=token_for(acme, "owner")
    )
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == "invalid_input"
    assert stripe_stub.requests == []


def test_checkout_is_refused_while_a_subscription_is_live(client, acme, token_for, stripe_stub):
    set_billing(
        acme,
        stripe_customer_id="cus_123",
        plan="pro",
        billing_status="active",
        stripe_subscription_id="sub_1",
    )
    headers = token_for(acme, "owner")
    response = client.post(
        f"/api/v1/orgs/{acme.slug}/billing/checkout", json={"plan": "pro"}, headers=headers
    )
    assert response.status_code == 409
    assert stripe_stub.requests == []


def test_portal_without_a_customer_is_a_conflict(client, acme, token_for, stripe_stub):
    response = client.post(f"/api/v1/orgs/{acme.slug}/billing/portal", headers=token_for(acme, "owner"))
    assert response.status_code == 409
    assert stripe_stub.requests == []


def test_a_stripe_error_is_a_502_and_stores_nothing(client, acme, token_for, stripe_stub, stored, caplog):
    stripe_stub.fail_with = 400
    caplog.set_level(logging.DEBUG)
    response = client.post(
        f"/api/v1/orgs/{acme.slug}/billing/checkout", json={"plan": "pro"}, headers=token_for(acme, "owner")
    )
    assert response.status_code == 502
    assert response.get_json()["error"]["code"] == "payment_provider_error"
    assert reload(stored, acme).stripe_customer_id is None
    assert SECRET_KEY not in caplog.text


def test_keys_are_never_logged(client, client_as, acme, stripe_stub, caplog):
    caplog.set_level(logging.DEBUG)
    owner = client_as(acme, "owner")
    token = csrf_token(owner, f"/o/{acme.slug}/billing")
    owner.post(f"/o/{acme.slug}/billing/checkout", data={"plan": "pro", "csrf_token": token})
    subscribe(client, acme)
    post_event(client, event("invoice.paid", invoice()), header="t=1,v1=forged")
    assert caplog.records  # the stripe library and the webhook did log
    assert SECRET_KEY not in caplog.text
    assert WEBHOOK_SECRET not in caplog.text


# -- the Billing page ---------------------------------------------------------------------------------------


def test_owners_see_plan_status_and_upgrade_buttons(client_as, acme, stripe_stub):
    response = client_as(acme, "owner").get(f"/o/{acme.slug}/billing")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-testid="current-plan">Free<' in html
    assert "Upgrade to Pro" in html
    assert "Upgrade to Consultancy" not in html  # an enterprise has no clients to manage
    assert "Manage billing" not in html  # no Stripe customer yet
    assert (
        f"form-action 'self' https://checkout.stripe.com https://billing.stripe.com {stripe_stub.url}"
        in (response.headers["Content-Security-Policy"])
    )
    assert f'href="/o/{acme.slug}/billing"' in html  # the navigation tab


def test_the_billing_tab_is_for_owners_only(client_as, acme):
    page = client_as(acme, "admin").get(f"/o/{acme.slug}/members").get_data(as_text=True)
    assert f'href="/o/{acme.slug}/billing"' not in page
    assert client_as(acme, "admin").get(f"/o/{acme.slug}/billing").status_code == 403


def test_checkout_outcome_is_shown_on_return(client_as, acme):
    owner = client_as(acme, "owner")
    assert "Thank you" in owner.get(f"/o/{acme.slug}/billing?checkout=success").get_data(as_text=True)
    assert "nothing was charged" in owner.get(f"/o/{acme.slug}/billing?checkout=cancel").get_data(
        as_text=True
    )


@pytest.mark.parametrize("billing_enabled", [False])
def test_self_hosted_mode_has_no_billing(client, client_as, acme, token_for, billing_enabled, stripe_stub):
    owner = client_as(acme, "owner")
    assert owner.get(f"/o/{acme.slug}/billing").status_code == 404
    assert f"/o/{acme.slug}/billing" not in owner.get(f"/o/{acme.slug}/members").get_data(as_text=True)
    assert client.post("/billing/webhook", data="{}").status_code == 404
    headers = token_for(acme, "owner")
    assert (
        client.post(
            f"/api/v1/orgs/{acme.slug}/billing/checkout", json={"plan": "pro"}, headers=headers
        ).status_code
        == 404
    )
    assert client.get("/api/v1/orgs", headers=headers).status_code == 200  # every feature on
    assert stripe_stub.requests == []


# -- webhooks -----------------------------------------------------------------------------------------------


def test_checkout_completed_starts_the_plan(client, acme, stored):
    checkout = {
        "id": "cs_1",
        "object": "checkout.session",
        "mode": "subscription",
        "client_reference_id": acme.slug,
        "metadata": {"org_slug": acme.slug, "plan": "pro"},
        "customer": "cus_123",
        "subscription": "sub_1",
        "payment_status": "paid",
    }
    response = post_event(client, event("checkout.session.completed", checkout))

    assert response.status_code == 200
    assert response.get_json() == {"received": True, "outcome": "applied"}
    org = reload(stored, acme)
    assert (org.plan, org.billing_status, org.stripe_customer_id, org.stripe_subscription_id) == (
        "pro",
        "active",
        "cus_123",
        "sub_1",
    )
    (changed,) = stored(select(AuditEvent).where(AuditEvent.action == "billing.plan_changed"))
    assert changed.org_id == acme.id
    assert changed.actor == "stripe"
    assert changed.detail["old"] == "free"
    assert changed.detail["new"] == "pro"


def test_the_subscription_sets_plan_and_period_end(client, harbour, stored):
    subscribe(client, harbour, "price_consultancy")
    org = reload(stored, harbour)
    assert (org.plan, org.billing_status, org.stripe_subscription_id) == ("consultancy", "active", "sub_1")
    assert org.current_period_end is not None
    assert org.current_period_end > utcnow() + timedelta(days=29)


@pytest.mark.parametrize(
    "header",
    [
        "t=1700000000,v1=0000000000000000000000000000000000000000000000000000000000000000",
        signature_header("{}", secret="whsec_someone_else"),
        signature_header("{}", timestamp=int(time.time()) - 3600),  # replayed outside the tolerance
        "garbage",
        "",
        None,
    ],
    ids=["forged", "other-secret", "too-old", "garbage", "empty", "missing"],
)
def test_a_bad_or_missing_signature_is_refused_and_changes_nothing(client, acme, stored, header):
    payload = json.dumps(event("customer.subscription.created", subscription(acme)))
    response = post_event(client, payload, header=header if header is not None else False)

    assert response.status_code == 400
    body = response.get_json()
    assert body["error"]["code"] == "invalid_signature"
    assert reload(stored, acme).plan == "free"
    assert stored(select(StripeEvent)) == []


def test_a_replayed_event_has_one_effect(client, acme, stored):
    payload = event("customer.subscription.created", subscription(acme), event_id="evt_once")
    first, second = post_event(client, payload), post_event(client, payload)

    assert first.get_json()["outcome"] == "applied"
    assert second.status_code == 200
    assert second.get_json()["outcome"] == "replay"
    assert len(stored(select(StripeEvent).where(StripeEvent.event_id == "evt_once"))) == 1
    assert audit_actions(stored, acme).count("billing.plan_changed") == 1


def test_an_older_event_arriving_late_does_not_regress(client, harbour, stored):
    now = int(time.time())
    newer = event(
        "customer.subscription.updated", subscription(harbour, price="price_consultancy"), created=now
    )
    older = event(
        "customer.subscription.updated",
        subscription(harbour, price="price_pro", status="past_due"),
        created=now - 60,
    )
    assert post_event(client, newer).get_json()["outcome"] == "applied"
    assert post_event(client, older).get_json()["outcome"] == "stale"

    org = reload(stored, harbour)
    assert (org.plan, org.billing_status, org.past_due_since) == ("consultancy", "active", None)
    assert org.subscription_event_at == now
    assert [e.outcome for e in stored(select(StripeEvent).order_by(StripeEvent.id))] == ["applied", "stale"]


def test_events_of_the_same_second_only_move_forward(client, acme, stored):
    now = int(time.time())
    post_event(client, event("customer.subscription.updated", subscription(acme), created=now))
    late = event("customer.subscription.created", subscription(acme, status="incomplete"), created=now)
    assert post_event(client, late).get_json()["outcome"] == "stale"
    assert reload(stored, acme).billing_status == "active"


def test_an_unknown_event_type_is_acknowledged_and_recorded(client, acme, stored):
    response = post_event(client, event("customer.tax_id.created", {"id": "txi_1", "object": "tax_id"}))
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "ignored"
    (recorded,) = stored(select(StripeEvent))
    assert (recorded.type, recorded.outcome) == ("customer.tax_id.created", "ignored")


def test_an_event_for_no_known_organisation_is_unmatched(client, stored):
    obj = {"id": "sub_9", "object": "subscription", "customer": "cus_9", "status": "active", "metadata": {}}
    response = post_event(client, event("customer.subscription.updated", obj))
    assert response.get_json()["outcome"] == "unmatched"


def test_cancellation_returns_to_free_and_keeps_the_clients(client, client_as, harbour, make_org, stored):
    subscribe(client, harbour, "price_consultancy")
    clients = [make_org(f"Client {n}", managed_by=harbour) for n in range(2)]
    deleted = event(
        "customer.subscription.deleted", subscription(harbour, status="canceled", price="price_consultancy")
    )
    assert post_event(client, deleted).get_json()["outcome"] == "applied"

    org = reload(stored, harbour)
    assert (org.plan, org.billing_status) == ("free", "canceled")
    owner = client_as(harbour, "owner")
    page = owner.get(f"/o/{harbour.slug}/clients").get_data(as_text=True)
    assert all(c.name in page for c in clients)  # a downgrade hides nothing
    assert owner.get(f"/o/{clients[0].slug}/members").status_code == 200
    assert audit_actions(stored, harbour).count("billing.plan_changed") == 2


def test_a_late_event_of_a_replaced_subscription_is_ignored(client, acme, stored):
    subscribe(client, acme)
    old = subscription(acme, status="canceled", sub_id="sub_0")
    assert post_event(client, event("customer.subscription.deleted", old)).get_json()["outcome"] == "ignored"
    assert reload(stored, acme).plan == "pro"


# -- failed payment: grace, then read-only; paying restores -------------------------------------------------


def fail_payment(client, org: Organisation, days_ago: float) -> None:
    created = int(time.time() - days_ago * 86400)
    response = post_event(client, event("invoice.payment_failed", invoice(), created=created))
    assert response.get_json()["outcome"] == "applied"


def test_a_failed_payment_keeps_everything_working_during_grace(
    client, client_as, harbour, token_for, stored
):
    subscribe(client, harbour, "price_consultancy", created=int(time.time()) - 3 * 86400)
    fail_payment(client, harbour, days_ago=1)

    org = reload(stored, harbour)
    assert org.billing_status == "past_due"
    assert org.past_due_since is not None
    headers = token_for(harbour, "owner")
    assert client.post("/api/v1/orgs", json=CLIENT, headers=headers).status_code == 201
    page = client_as(harbour, "owner").get(f"/o/{harbour.slug}/clients").get_data(as_text=True)
    assert "Payment for the Consultancy plan is overdue. Everything keeps working for 13 more days" in page
    assert "billing.status_changed" in audit_actions(stored, harbour)


def test_after_the_grace_period_gated_actions_are_refused_while_reads_work(
    client, client_as, harbour, make_org, token_for
):
    subscribe(client, harbour, "price_consultancy", created=int(time.time()) - 30 * 86400)
    existing = make_org("Existing client", managed_by=harbour)
    fail_payment(client, harbour, days_ago=15)  # grace is 14 days
    headers = token_for(harbour, "owner")

    listed = client.get("/api/v1/orgs", headers=headers)  # reads keep working on the paid plan
    assert listed.status_code == 200
    assert existing.slug in [o["slug"] for o in listed.get_json()["organisations"]]
    assert client.get(f"/api/v1/orgs/{existing.slug}", headers=headers).status_code == 200

    created = client.post("/api/v1/orgs", json=CLIENT, headers=headers)
    assert created.status_code == 402
    error = created.get_json()["error"]
    assert error["code"] == "plan_required"
    assert error["details"][0]["reason"] == "payment_overdue"
    assert "overdue" in error["message"]

    owner = client_as(harbour, "owner")
    page = owner.get(f"/o/{harbour.slug}/clients")
    assert page.status_code == 200
    assert existing.name in page.get_data(as_text=True)
    assert "paid features are read-only" in page.get_data(as_text=True)
    token = csrf_token(owner, f"/o/{harbour.slug}/clients")
    form = {
        "name": "New client",
        "kind": "enterprise",
        "industry": "retail",
        "size_band": "m",
        "region": "emea",
    }
    refused = owner.post(f"/o/{harbour.slug}/clients", data={**form, "csrf_token": token})
    assert refused.status_code == 402
    assert 'data-testid="upgrade-prompt"' in refused.get_data(as_text=True)
    assert f'href="/o/{harbour.slug}/billing"' in refused.get_data(as_text=True)


def test_paying_the_invoice_ends_the_overdue_state(client, acme, stored):
    subscribe(client, acme, created=int(time.time()) - 30 * 86400)
    fail_payment(client, acme, days_ago=20)
    assert post_event(client, event("invoice.paid", invoice())).get_json()["outcome"] == "applied"
    org = reload(stored, acme)
    assert (org.plan, org.billing_status, org.past_due_since) == ("pro", "active", None)


# -- entitlements on the gated actions ----------------------------------------------------------------------


@pytest.mark.parametrize(("plan", "expected"), [("free", 402), ("pro", 200), ("consultancy", 200)])
def test_the_api_needs_api_access(client, acme, token_for, plan, expected):
    set_billing(acme, plan=plan, billing_status=None if plan == "free" else "active")
    response = client.get(f"/api/v1/orgs/{acme.slug}", headers=token_for(acme, "viewer"))
    assert response.status_code == expected
    if expected == 402:
        assert response.get_json()["error"]["details"] == [{"feature": "api_access", "required_plan": "pro"}]


def test_every_api_blueprint_is_gated(client, acme, token_for):
    headers = token_for(acme, "owner")
    for path in ("/api/v1/metrics", f"/api/v1/orgs/{acme.slug}/submissions", "/api/v1/orgs"):
        assert client.get(path, headers=headers).status_code == 402, path


def test_health_openapi_and_token_revocation_need_no_plan(client, acme, token_for):
    assert client.get("/api/v1/health").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200
    headers = token_for(acme, "owner")
    with transaction() as session:
        from tenants.models import ApiToken

        token_id = session.scalars(select(ApiToken.id).where(ApiToken.org_id == acme.id)).one()
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=headers).status_code == 204


def test_a_bad_token_is_still_a_401_not_a_402(client):
    assert client.get("/api/v1/orgs", headers={"Authorization": "Bearer nope"}).status_code == 401


@pytest.mark.parametrize(
    ("plan", "expected", "refused"),
    [
        ("free", 402, ("api_access", "pro")),
        ("pro", 402, ("client_orgs", "consultancy")),
        ("consultancy", 201, None),
    ],
)
def test_adding_a_client_needs_the_consultancy_plan(client, harbour, token_for, plan, expected, refused):
    set_billing(harbour, plan=plan, billing_status="active")
    response = client.post("/api/v1/orgs", json=CLIENT, headers=token_for(harbour, "owner"))
    assert response.status_code == expected
    if refused:
        detail = response.get_json()["error"]["details"][0]
        assert (detail["feature"], detail["required_plan"]) == refused


def test_a_downgraded_consultancy_reads_its_clients_but_adds_none(
    client, client_as, harbour, make_org, token_for
):
    set_billing(harbour, plan="pro", billing_status="active")
    clients = [make_org(f"Client {n}", managed_by=harbour) for n in range(3)]
    listed = client.get("/api/v1/orgs", headers=token_for(harbour, "owner"))
    assert {c.slug for c in clients} <= {o["slug"] for o in listed.get_json()["organisations"]}
    owner = client_as(harbour, "owner")
    page = owner.get(f"/o/{harbour.slug}/clients").get_data(as_text=True)
    assert all(c.name in page for c in clients)
    assert 'data-testid="upgrade-prompt"' in page  # instead of the form: the plan allows no more
    token = csrf_token(owner, f"/o/{harbour.slug}/clients")
    form = {
        "name": "One more",
        "kind": "enterprise",
        "industry": "retail",
        "size_band": "m",
        "region": "emea",
    }
    assert owner.post(f"/o/{harbour.slug}/clients", data={**form, "csrf_token": token}).status_code == 402


@pytest.mark.parametrize(("plan", "expected"), [("pro", 402), ("consultancy", 200)])
def test_white_label_branding_needs_the_consultancy_plan(client, harbour, token_for, stored, plan, expected):
    set_billing(harbour, plan=plan, billing_status="active")
    headers = token_for(harbour, "owner")
    branding = {"display_name": "Harbour Insights", "primary_colour": "#112233"}
    response = client.patch(f"/api/v1/orgs/{harbour.slug}", json={"branding": branding}, headers=headers)
    assert response.status_code == expected
    assert (reload(stored, harbour).display_name == "Harbour Insights") is (expected == 200)
    assert (
        client.patch(f"/api/v1/orgs/{harbour.slug}", json={"name": "Harbour"}, headers=headers).status_code
        == 200
    )


def test_white_label_in_the_settings_form(client_as, harbour, stored):
    set_billing(harbour, plan="pro", billing_status="active")
    owner = client_as(harbour, "owner")
    token = csrf_token(owner, f"/o/{harbour.slug}/settings")
    form = {"name": "Harbour", "industry": "retail", "size_band": "m", "region": "emea", "csrf_token": token}
    assert owner.post(f"/o/{harbour.slug}/settings", data=form).status_code == 302  # no branding: fine
    refused = owner.post(f"/o/{harbour.slug}/settings", data={**form, "display_name": "Harbour Insights"})
    assert refused.status_code == 402
    assert "Consultancy plan" in refused.get_data(as_text=True)
    assert reload(stored, harbour).display_name is None


def test_a_client_uses_its_consultancys_plan(client, harbour, make_org, token_for):
    set_billing(harbour, plan="consultancy", billing_status="active")
    client_org = make_org("Managed client", managed_by=harbour)
    assert (
        client.get(f"/api/v1/orgs/{client_org.slug}", headers=token_for(client_org, "owner")).status_code
        == 200
    )
    alone = make_org("Unmanaged")
    assert client.get(f"/api/v1/orgs/{alone.slug}", headers=token_for(alone, "owner")).status_code == 402


def test_the_cli_refuses_a_client_beyond_the_plan(app, harbour):
    result = app.test_cli_runner().invoke(
        args=[
            "orgs",
            "create",
            "--name",
            "CLI client",
            "--kind",
            "enterprise",
            "--industry",
            "retail",
            "--size",
            "m",
            "--region",
            "emea",
            "--managed-by",
            harbour.slug,
        ]
    )
    assert result.exit_code != 0
    assert "Consultancy plan" in result.output


def test_handle_event_is_callable_without_the_web(app, acme, stored):
    from core.app import settings_of

    payload = event("customer.subscription.created", subscription(acme))
    with transaction() as session:
        outcome = billing.handle_event(session, payload, settings=settings_of(app), now=utcnow())
    assert outcome is billing.Outcome.APPLIED
    assert reload(stored, acme).plan == "pro"
