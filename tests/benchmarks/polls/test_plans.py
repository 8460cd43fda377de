"""Billing on (Stripe configured): the free plan opens one poll at a time and takes 100 responses a poll."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from benchmarks.polls.models import Poll, PollResponse
from core.app import create_app
from core.db import transaction
from tenants.models import Organisation
from tenants.roles import Role
from tests.benchmarks.polls.conftest import field_of, form_token


@pytest.fixture
def billed_app(app_config):
    return create_app(
        {**app_config, "stripe_secret_key": "sk_test_not_used", "stripe_price_pro": "price_pro"}
    )


def test_free_plan_opens_one_poll_at_a_time(billed_app, lab, make_poll, token_for):
    make_poll()  # already open
    draft = make_poll(status="draft")
    client = billed_app.test_client()
    response = client.patch(
        f"/api/v1/orgs/{lab.slug}/polls/{draft.id}",
        json={"status": "open"},
        headers=token_for(lab, Role.OWNER),
    )
    assert response.status_code == 402
    assert response.get_json()["error"]["details"][0]["required_plan"] == "pro"


def test_pro_plan_opens_more(billed_app, lab, make_poll, token_for):
    with transaction() as session:
        session.get(Organisation, lab.id).plan = "pro"
    make_poll()
    draft = make_poll(status="draft")
    response = billed_app.test_client().patch(
        f"/api/v1/orgs/{lab.slug}/polls/{draft.id}",
        json={"status": "open"},
        headers=token_for(lab, Role.OWNER),
    )
    assert response.status_code == 200


def test_free_plan_poll_takes_100_responses(billed_app, lab, make_poll, stored):
    poll = make_poll()
    with transaction(lab.id) as session:
        session.get(Poll, poll.id).response_count = 100
    browser = billed_app.test_client()
    token = form_token(browser.get(f"/p/{poll.token}").get_data(as_text=True))
    response = browser.post(f"/p/{poll.token}", data={"csrf_token": token, field_of(poll, 0): "other"})
    assert response.status_code == 409
    assert stored(select(PollResponse)) == []
    assert stored(select(Poll))[0].response_count == 100
