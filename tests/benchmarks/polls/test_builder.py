"""The poll builder pages: create, add library and custom questions, reorder, remove, settings, open."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from benchmarks.polls.models import Poll, PollQuestion, PollStatus
from tenants.models import AuditEvent
from tenants.roles import Role
from tests.benchmarks.polls.conftest import form_token
from tests.conftest import csrf_token


@pytest.fixture
def analyst(client_as, lab):
    return client_as(lab, Role.ANALYST)


def _new_poll(client, lab, title: str = "Webinar poll") -> str:
    token = csrf_token(client, f"/o/{lab.slug}/polls")
    response = client.post(f"/o/{lab.slug}/polls", data={"csrf_token": token, "title": title})
    assert response.status_code == 302
    return response.headers["Location"]


def _post(client, page: str, action: str, **data) -> object:
    return client.post(f"{page}/{action}", data={"csrf_token": csrf_token(client, page), **data})


def _questions(stored) -> list[tuple[str | None, str | None, str]]:
    return [
        (q.library, q.text, q.kind) for q in sorted(stored(select(PollQuestion)), key=lambda q: q.position)
    ]


def test_build_and_open_a_poll(analyst, lab, stored):
    page = _new_poll(analyst, lab)
    assert _post(analyst, page, "questions/library", library="user_view").status_code == 302
    response = _post(
        analyst,
        page,
        "questions",
        text="Which channels?",
        type="multiple",
        options="Chat\nPortal\n\nPhone\n",
        required="y",
    )
    assert response.status_code == 302
    assert _post(analyst, page, "questions", text="Rate us", type="scale", scale_max="4").status_code == 302
    assert _questions(stored) == [
        ("user_view", None, "single"),
        (None, "Which channels?", "multiple"),
        (None, "Rate us", "scale"),
    ]
    channels = next(q for q in stored(select(PollQuestion)) if q.text == "Which channels?")
    assert channels.options == ["Chat", "Portal", "Phone"]
    _post(analyst, page, f"questions/{channels.id}/move", direction="up")
    assert [q[1] or q[0] for q in _questions(stored)] == ["Which channels?", "user_view", "Rate us"]
    rate = next(q for q in stored(select(PollQuestion)) if q.text == "Rate us")
    _post(analyst, page, f"questions/{rate.id}/remove")
    settings = _post(
        analyst,
        page,
        "settings",
        title="Who do you serve?",
        intro="Two questions.",
        response_cap="50",
        one_per_browser="y",
        public_results="y",
        profile=["region", "industry"],
    )
    assert settings.status_code == 302
    assert _questions(stored)[-2:] == [("industry", None, "profile"), ("region", None, "profile")]
    assert _post(analyst, page, "status", status="open").status_code == 302
    (poll,) = stored(select(Poll))
    assert (poll.title, poll.status, poll.response_cap, poll.public_results) == (
        "Who do you serve?",
        PollStatus.OPEN,
        50,
        True,
    )
    html = analyst.get(page).get_data(as_text=True)
    link = re.search(r'data-testid="public-link">([^<]+)<', html).group(1)
    assert analyst.get(link.replace("http://localhost", "")).status_code == 200


def test_poll_life_cycle_is_in_the_audit_log(analyst, lab, stored):
    page = _new_poll(analyst, lab)
    _post(analyst, page, "questions/library", library="nps")
    _post(analyst, page, "status", status="open")
    _post(analyst, page, "status", status="closed")
    events = [(e.action, e.actor) for e in stored(select(AuditEvent)) if e.action.startswith("poll.")]
    assert events == [(a, analyst.user.email) for a in ("poll.created", "poll.opened", "poll.closed")]


def test_invalid_custom_question_shows_the_error(analyst, lab, stored):
    page = _new_poll(analyst, lab)
    response = _post(analyst, page, "questions", text="Pick one", type="single", options="Only")
    assert response.status_code == 200
    assert "Give between 2 and 20 options." in response.get_data(as_text=True)
    assert stored(select(PollQuestion)) == []


def test_an_open_poll_cannot_be_edited(analyst, lab, stored):
    page = _new_poll(analyst, lab)
    _post(analyst, page, "questions/library", library="nps")
    _post(analyst, page, "status", status="open")
    html = analyst.get(page).get_data(as_text=True)
    assert "Add a standard question" not in html
    assert "Close the poll" in html
    assert _post(analyst, page, "questions/library", library="csat").status_code == 409
    assert len(stored(select(PollQuestion))) == 1


def test_opening_an_empty_poll_explains_why_not(analyst, lab, stored):
    page = _new_poll(analyst, lab)
    response = _post(analyst, page, "status", status="open")
    assert response.status_code == 302
    assert "Add at least one question" in analyst.get(page).get_data(as_text=True)
    assert stored(select(Poll))[0].status == PollStatus.DRAFT


def test_viewers_read_polls_but_cannot_build(client_as, lab, analyst):
    page = _new_poll(analyst, lab)
    viewer = client_as(lab, Role.VIEWER)
    listing = viewer.get(f"/o/{lab.slug}/polls").get_data(as_text=True)
    assert "Webinar poll" in listing
    assert "Create draft" not in listing
    assert ">Polls</a>" in listing  # the organisation's navigation tab
    assert "Add a standard question" not in viewer.get(page).get_data(as_text=True)
    token = form_token(viewer.get(f"/o/{lab.slug}/polls").get_data(as_text=True))  # the sign-out form's
    assert viewer.post(f"/o/{lab.slug}/polls", data={"csrf_token": token, "title": "Mine"}).status_code == 403


def test_strangers_do_not_find_the_poll(client_as, make_org, lab, analyst):
    page = _new_poll(analyst, lab)
    stranger = client_as(make_org("Elsewhere"), Role.OWNER)
    assert stranger.get(page).status_code == 404
    assert client_as(lab, None).get(page).status_code == 302  # anonymous: to the login page
