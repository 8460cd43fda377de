"""The public poll page /p/<token>: anonymous, CSRF-protected, honeypot, one per browser, rate limited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import inspect, select

from benchmarks.polls import service
from benchmarks.polls.models import Poll, PollAnswer, PollResponse, PollStatus
from core.app import create_app
from core.clock import utcnow
from core.db import transaction
from tests.benchmarks.polls.conftest import custom, field_of, form_token, library


def test_respondent_answers_anonymously_and_sees_thanks(make_poll, respond, stored):
    poll = make_poll(library("user_view"), custom("Comments?", "text", required=False))
    response = respond(poll, {field_of(poll, 0): "business_users", field_of(poll, 1): "Great webinar"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/p/{poll.token}/thanks")
    (row,) = stored(select(PollResponse))
    assert (row.poll_id, row.submitted_on) == (poll.id, utcnow().date())
    answers = {(a.choice, a.text) for a in stored(select(PollAnswer))}
    assert answers == {("business_users", None), (None, "Great webinar")}
    assert stored(select(Poll))[0].response_count == 1


def test_stored_rows_hold_nothing_that_identifies_a_respondent(make_poll, respond, stored):
    poll = make_poll()
    respond(poll, {field_of(poll, 0): "end_users"}, extra={})
    columns = {c.key for model in (PollResponse, PollAnswer) for c in inspect(model).columns}
    assert columns == {
        "id",
        "org_id",
        "poll_id",
        "submitted_on",
        "response_id",
        "question_id",
        "choice",
        "text",
    }
    # what the test client sent as its address and agent appears nowhere in the stored values
    values = [
        str(getattr(r, c)) for r in stored(select(PollResponse)) for c in ("id", "poll_id", "submitted_on")
    ]
    values += [str(a.choice) + str(a.text) for a in stored(select(PollAnswer))]
    assert not any("127.0.0.1" in v or "werkzeug" in v.lower() for v in values)


def test_the_page_is_one_accessible_form(make_poll, client):
    poll = make_poll(
        library("nps"), custom("Which tools?", "multiple", ["Chat", "Portal"]), profile=("region",)
    )
    html = client.get(f"/p/{poll.token}").get_data(as_text=True)
    assert html.count("<fieldset") == 3
    assert html.count("<legend>") == 3
    assert 'name="csrf_token"' in html
    assert 'name="website"' in html
    assert "<script" not in html
    assert "style=" not in html
    assert 'type="checkbox"' in html
    assert "Prefer not to say" in html


def test_missing_and_wrong_answers_are_named_and_linked(make_poll, respond, stored):
    poll = make_poll(library("user_view"), library("csat"))
    response = respond(poll, {field_of(poll, 1): "9"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for i in (0, 1):
        field = field_of(poll, i)
        assert f'aria-describedby="{field}-error"' in html
        assert f'id="{field}-error"' in html
        assert f'href="#{field}-first"' in html
    assert stored(select(PollResponse)) == []


def test_a_post_without_csrf_token_is_refused(make_poll, client, stored):
    poll = make_poll()
    response = client.post(f"/p/{poll.token}", data={field_of(poll, 0): "end_users"})
    assert response.status_code == 400
    assert stored(select(PollResponse)) == []


def test_honeypot_filled_is_silently_dropped(make_poll, respond, stored):
    poll = make_poll()
    response = respond(poll, {field_of(poll, 0): "end_users"}, extra={"website": "http://spam.example"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/thanks")
    assert stored(select(PollResponse)) == []
    assert "pb_answered" not in response.headers.get("Set-Cookie", "")


def test_one_response_per_browser(make_poll, app, respond, stored):
    poll = make_poll()
    browser = app.test_client()
    page = browser.get(f"/p/{poll.token}")
    token = form_token(page.get_data(as_text=True))
    first = browser.post(f"/p/{poll.token}", data={"csrf_token": token, field_of(poll, 0): "end_users"})
    assert first.status_code == 302
    again = browser.post(f"/p/{poll.token}", data={"csrf_token": token, field_of(poll, 0): "other"})
    assert again.status_code == 409
    assert "already answered" in browser.get(f"/p/{poll.token}").get_data(as_text=True)
    respond(poll, {field_of(poll, 0): "other"})  # another browser may answer
    assert sorted(a.choice for a in stored(select(PollAnswer))) == ["end_users", "other"]


def test_the_answered_marker_is_signed_and_names_only_the_poll(make_poll, app, respond):
    poll = make_poll()
    browser = app.test_client()
    respond(poll, {field_of(poll, 0): "end_users"}, client=browser)
    cookie = browser.get_cookie(f"pb_answered_{poll.id}", path=f"/p/{poll.token}")
    assert cookie is not None
    assert cookie.http_only
    forged = app.test_client()
    forged.set_cookie(f"pb_answered_{poll.id}", str(poll.id), path=f"/p/{poll.token}")
    assert "already answered" not in forged.get(f"/p/{poll.token}").get_data(as_text=True)


def test_several_responses_per_browser_when_the_owner_allows(make_poll, app, respond, stored):
    poll = make_poll(one_per_browser=False)
    browser = app.test_client()
    for answer in ("end_users", "other"):
        assert respond(poll, {field_of(poll, 0): answer}, client=browser).status_code == 302
    assert len(stored(select(PollResponse))) == 2


def test_a_closed_poll_refuses_answers(make_poll, app, stored):
    poll = make_poll()
    browser = app.test_client()
    token = form_token(browser.get(f"/p/{poll.token}").get_data(as_text=True))  # the form, loaded while open
    with transaction(poll.org_id) as session:
        service.close_poll(session, session.get(Poll, poll.id), now=utcnow())
    response = browser.post(f"/p/{poll.token}", data={"csrf_token": token, field_of(poll, 0): "end_users"})
    assert response.status_code == 409
    assert "closed" in response.get_data(as_text=True)
    page = browser.get(f"/p/{poll.token}")
    assert page.status_code == 200
    assert 'data-testid="poll-closed"' in page.get_data(as_text=True)
    assert stored(select(PollResponse)) == []


def test_a_draft_poll_is_not_public(make_poll, client):
    poll = make_poll(status="draft")
    assert client.get(f"/p/{poll.token}").status_code == 404
    assert client.get("/p/not-a-token-but-long-enough-to-look").status_code == 404


def test_the_cap_closes_the_poll_at_its_last_response(make_poll, respond, client, stored):
    poll = make_poll(response_cap=2)
    assert respond(poll, {field_of(poll, 0): "end_users"}).status_code == 302
    assert respond(poll, {field_of(poll, 0): "other"}).status_code == 302
    (row,) = stored(select(Poll))
    assert (row.response_count, row.status) == (2, PollStatus.CLOSED)
    assert 'data-testid="poll-closed"' in client.get(f"/p/{poll.token}").get_data(as_text=True)
    assert len(stored(select(PollResponse))) == 2


def test_a_poll_closes_itself_after_its_closing_date(make_poll, client, stored):
    poll = make_poll(closes_at=utcnow() + timedelta(hours=1))
    assert stored(select(Poll))[0].status == PollStatus.OPEN
    with transaction(poll.org_id) as session:
        session.get(Poll, poll.id).closes_at = utcnow() - timedelta(minutes=1)
    page = client.get(f"/p/{poll.token}")
    assert "closed" in page.get_data(as_text=True)
    assert stored(select(Poll))[0].status == PollStatus.CLOSED


def test_posts_are_rate_limited_per_ip(make_poll, app_config):
    app = create_app({**app_config, "ratelimit_enabled": True})
    poll = make_poll(one_per_browser=False)
    browser = app.test_client()
    token = form_token(browser.get(f"/p/{poll.token}").get_data(as_text=True))
    statuses = [
        browser.post(
            f"/p/{poll.token}", data={"csrf_token": token, field_of(poll, 0): "end_users"}
        ).status_code
        for _ in range(11)
    ]
    assert statuses == [302] * 10 + [429]
    assert browser.get(f"/p/{poll.token}").status_code == 200  # reading the page is not limited


@pytest.mark.parametrize("allowed", [True, False])
def test_thank_you_page_shows_live_results_only_when_allowed(make_poll, app, respond, allowed):
    poll = make_poll(show_results_after=allowed)
    browser = app.test_client()
    respond(poll, {field_of(poll, 0): "end_users"}, client=browser)
    html = browser.get(f"/p/{poll.token}/thanks").get_data(as_text=True)
    assert "Thank you" in html
    assert ("Live results" in html) is allowed
    # someone who did not answer sees no live results
    assert "Live results" not in app.test_client().get(f"/p/{poll.token}/thanks").get_data(as_text=True)


def test_public_results_page_only_when_the_owner_allows(make_poll, respond, client):
    hidden = make_poll()
    assert client.get(f"/p/{hidden.token}/results").status_code == 404
    shown = make_poll(public_results=True)
    respond(shown, {field_of(shown, 0): "internal_customers"})
    page = client.get(f"/p/{shown.token}/results")
    assert page.status_code == 200
    assert "100.0%" in page.get_data(as_text=True)
