"""Polls API: create, read, edit a draft, open and close, results; the error shape; strangers get 404."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from benchmarks.metrics.catalogue import QUESTIONS_BY_CODE
from benchmarks.polls.models import Poll, PollLink
from tenants.roles import Role
from tests.benchmarks.polls.conftest import field_of

BODY = {
    "title": "Webinar: who do you serve?",
    "questions": [
        {"library": "user_view"},
        {"text": "Which channels do you offer?", "type": "multiple", "options": ["Chat", "Portal"]},
        {"text": "How mature is your XLA practice?", "type": "scale", "scale_max": 4},
        {"text": "Anything else?", "type": "text", "required": False},
    ],
    "profile": ["industry", "region"],
}


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code
    return error


def test_create_a_poll(client, lab, token_for, stored):
    response = client.post(f"/api/v1/orgs/{lab.slug}/polls", json=BODY, headers=token_for(lab, Role.ANALYST))
    assert response.status_code == 201
    poll = response.get_json()
    (link,) = stored(select(PollLink))
    assert poll["public_url"] == f"http://localhost/p/{link.token}"
    assert len(link.token) >= 43  # 32 random bytes
    assert poll["status"] == "draft"
    assert poll["profile"] == ["industry", "region"]
    user_view, channels, scale, text = poll["questions"]
    assert user_view["text"] == QUESTIONS_BY_CODE["user_view"].text
    assert [o["code"] for o in user_view["options"]] == [
        "end_users",
        "internal_customers",
        "business_users",
        "other",
    ]
    assert user_view["options"][0]["label"] == "End users"
    assert (channels["type"], [o["label"] for o in channels["options"]]) == ("multiple", ["Chat", "Portal"])
    assert [o["code"] for o in scale["options"]] == ["1", "2", "3", "4"]
    assert (text["type"], text["required"], text["options"]) == ("text", False, [])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"questions": [{"library": "user_view"}]}, "title"),
        ({"title": "x", "questions": [{"library": "favourite_colour"}]}, "questions.0.library"),
        (
            {"title": "x", "questions": [{"text": "Pick", "type": "single", "options": ["only one"]}]},
            "questions.0.options",
        ),
        (
            {"title": "x", "questions": [{"text": "Pick", "type": "dropdown", "options": ["a", "b"]}]},
            "questions.0.type",
        ),
        ({"title": "x", "questions": [{"type": "text"}]}, "questions.0.text"),
        (
            {"title": "x", "questions": [{"text": "Rate", "type": "scale", "scale_max": 11}]},
            "questions.0.scale_max",
        ),
        ({"title": "x", "profile": ["shoe_size"]}, "profile.0"),
    ],
)
def test_invalid_polls_are_refused_naming_the_field(client, lab, token_for, body, field, stored):
    response = client.post(f"/api/v1/orgs/{lab.slug}/polls", json=body, headers=token_for(lab, Role.ANALYST))
    error = _error(response, 422, "invalid_input")
    assert field in {d["field"] for d in error["details"]}, error
    assert stored(select(Poll)) == []


def _create(client, lab, headers) -> dict:
    response = client.post(f"/api/v1/orgs/{lab.slug}/polls", json=BODY, headers=headers)
    assert response.status_code == 201
    return response.get_json()


def test_edit_a_draft_then_open_and_close(client, lab, token_for):
    headers = token_for(lab, Role.ANALYST)
    poll = _create(client, lab, headers)
    url = f"/api/v1/orgs/{lab.slug}/polls/{poll['id']}"
    edited = client.patch(url, json={"title": "Renamed", "questions": [{"library": "nps"}]}, headers=headers)
    assert edited.status_code == 200
    assert (edited.get_json()["title"], len(edited.get_json()["questions"])) == ("Renamed", 1)
    assert edited.get_json()["profile"] == ["industry", "region"]  # kept
    opened = client.patch(url, json={"status": "open"}, headers=headers).get_json()
    assert opened["status"] == "open"
    assert opened["opened_at"]
    _error(client.patch(url, json={"title": "Too late"}, headers=headers), 409, "conflict")
    _error(client.patch(url, json={"status": "draft"}, headers=headers), 409, "conflict")
    closed = client.patch(url, json={"status": "closed"}, headers=headers).get_json()
    assert closed["status"] == "closed"
    assert client.get(url, headers=headers).get_json()["title"] == "Renamed"


def test_an_empty_poll_cannot_open(client, lab, token_for):
    headers = token_for(lab, Role.ANALYST)
    poll = client.post(f"/api/v1/orgs/{lab.slug}/polls", json={"title": "Empty"}, headers=headers).get_json()
    response = client.patch(
        f"/api/v1/orgs/{lab.slug}/polls/{poll['id']}", json={"status": "open"}, headers=headers
    )
    _error(response, 422, "invalid_input")


def test_results_through_the_api(client, lab, token_for, respond, make_poll):
    poll = make_poll(profile=("region",))
    for answer, region in [("end_users", "emea")] * 3 + [("other", "apac")]:
        respond(poll, {field_of(poll, 0): answer, field_of(poll, 1): region})
    response = client.get(
        f"/api/v1/orgs/{lab.slug}/polls/{poll.id}/results?by=region", headers=token_for(lab, Role.VIEWER)
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["responses"] == 4
    assert body["by"] == "region"
    user_view = body["questions"][0]
    assert user_view["n"] == 4
    shares = {a["code"]: (a["count"], a["pct"]) for a in user_view["answers"]}
    assert shares == {
        "end_users": (3, 75.0),
        "internal_customers": (0, 0.0),
        "business_users": (0, 0.0),
        "other": (1, 25.0),
    }
    assert user_view["answers"][0]["margin"] == pytest.approx(32.6889, abs=1e-3)
    (table,) = body["crosstabs"]
    assert {g["code"]: g["n"] for g in table["groups"]} == {"emea": "<5", "apac": "<5"}
    assert all(cell == "<5" for row in table["rows"] for cell in row["cells"])


POLL_ACCESS = [("owner", 201), ("analyst", 201), ("viewer", 403), ("stranger", 404), (None, 401)]


@pytest.mark.parametrize(("role", "expected"), POLL_ACCESS)
def test_create_by_role(client, lab, make_org, token_for, role, expected):
    if role == "stranger":
        headers = token_for(make_org("Other Org"), Role.OWNER)
    else:
        headers = token_for(lab, role) if role else {}
    response = client.post(f"/api/v1/orgs/{lab.slug}/polls", json=BODY, headers=headers)
    assert response.status_code == expected


def test_strangers_cannot_read_or_edit_a_poll(client, lab, make_org, token_for, make_poll):
    poll = make_poll()
    other = make_org("Other Org")
    headers = token_for(other, Role.OWNER)
    for url in (
        f"/api/v1/orgs/{lab.slug}/polls/{poll.id}",
        f"/api/v1/orgs/{lab.slug}/polls/{poll.id}/results",
    ):
        _error(client.get(url, headers=headers), 404, "not_found")
    # through their own organisation's URL the poll does not exist either
    _error(client.get(f"/api/v1/orgs/{other.slug}/polls/{poll.id}", headers=headers), 404, "not_found")
    patch = client.patch(
        f"/api/v1/orgs/{other.slug}/polls/{poll.id}", json={"status": "closed"}, headers=headers
    )
    _error(patch, 404, "not_found")


def test_the_api_ignores_cookies(client_as, lab):
    client = client_as(lab, Role.OWNER)
    assert client.post(f"/api/v1/orgs/{lab.slug}/polls", json=BODY).status_code == 401
