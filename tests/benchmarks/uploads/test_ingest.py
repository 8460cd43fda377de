"""Uploads through the API and the operations: accepted or rejected whole, idempotent, with history."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from benchmarks.metrics.models import MetricValue, MetricValueChange
from benchmarks.surveys.models import SurveyCount
from benchmarks.uploads.models import Submission
from tenants.roles import Role

GOOD = b"period,metric,value\n2026-01,fcr_rate,71.5\n2026-01,cost_per_ticket,15.2\n2026-02,fcr_rate,72\n"
BAD = (
    b"period,metric,value\n2026-01,fcr_rate,171.5\n2026-13,cost_per_ticket,15.2\n"
    b"2026-02,unknown_code,1\n2026-02,fcr_rate,abc\n"
)


def upload(client, org, headers, body: bytes, name: str = "m.csv", kind: str = "metrics"):
    return client.post(
        f"/api/v1/orgs/{org.slug}/submissions",
        data={"file": (io.BytesIO(body), name), "kind": kind},
        headers=headers,
        content_type="multipart/form-data",
    )


@pytest.fixture
def acme(make_org):
    return make_org("Acme IT")


@pytest.fixture
def analyst(token_for, acme):
    return token_for(acme, Role.ANALYST)


def test_accepted_upload_stores_every_value(client, acme, analyst, stored):
    response = upload(client, acme, analyst, GOOD)
    assert response.status_code == 202
    submission_id = response.get_json()["id"]
    detail = client.get(f"/api/v1/orgs/{acme.slug}/submissions/{submission_id}", headers=analyst).get_json()
    assert detail["status"] == "accepted"
    assert (detail["rows_total"], detail["values_added"], detail["values_replaced"]) == (3, 3, 0)
    assert (detail["first_period"], detail["last_period"]) == ("2026-01", "2026-02")
    values = {(v.period, v.metric): v.value for v in stored(select(MetricValue))}
    assert values == {
        ("2026-01", "fcr_rate"): 71.5,
        ("2026-01", "cost_per_ticket"): 15.2,
        ("2026-02", "fcr_rate"): 72.0,
    }


def test_rejected_upload_stores_nothing_and_names_every_problem(client, acme, analyst, stored):
    submission_id = upload(client, acme, analyst, BAD).get_json()["id"]
    detail = client.get(f"/api/v1/orgs/{acme.slug}/submissions/{submission_id}", headers=analyst).get_json()
    assert detail["status"] == "rejected"
    problems = {(e["row"], e["column"], e["value"]) for e in detail["errors"]}
    assert (2, "value", "171.5") in problems
    assert (3, "period", "2026-13") in problems
    assert (4, "metric", "unknown_code") in problems
    assert (5, "value", "abc") in problems
    assert all(e["reason"] for e in detail["errors"])
    assert detail["error_count"] == len(detail["errors"]) == 4
    assert stored(select(MetricValue)) == []


def test_same_file_twice_is_one_submission(client, acme, analyst, stored):
    first = upload(client, acme, analyst, GOOD).get_json()["id"]
    second = upload(client, acme, analyst, GOOD, name="again.csv").get_json()["id"]
    assert first == second
    assert len(stored(select(Submission))) == 1


def test_newer_submission_replaces_values_and_keeps_history(client, acme, analyst, stored):
    first = upload(client, acme, analyst, GOOD).get_json()["id"]
    newer = b"period,metric,value\n2026-01,fcr_rate,80\n2026-03,fcr_rate,81\n"
    second = upload(client, acme, analyst, newer).get_json()["id"]
    detail = client.get(f"/api/v1/orgs/{acme.slug}/submissions/{second}", headers=analyst).get_json()
    assert (detail["values_added"], detail["values_replaced"]) == (1, 1)
    values = {(v.period, v.metric): (v.value, v.submission_id) for v in stored(select(MetricValue))}
    assert values[("2026-01", "fcr_rate")] == (80.0, second)
    assert values[("2026-01", "cost_per_ticket")] == (15.2, first)
    [change] = stored(select(MetricValueChange))
    assert (change.period, change.metric, change.old_value, change.new_value) == (
        "2026-01",
        "fcr_rate",
        71.5,
        80,
    )
    assert (change.old_submission_id, change.submission_id) == (first, second)


def test_json_records_follow_the_same_rules(client, acme, analyst, stored):
    body = {
        "kind": "metrics",
        "records": [
            {"period": "2026-01", "metric": "abandon_rate", "value": 4.5},
            {"period": "2026-01", "metric": "abandon_rate", "value": 5},
        ],
    }
    response = client.post(f"/api/v1/orgs/{acme.slug}/submissions", json=body, headers=analyst)
    assert response.status_code == 202
    detail = client.get(f"/api/v1/orgs/{acme.slug}/submissions/{response.get_json()['id']}", headers=analyst)
    errors = detail.get_json()["errors"]
    assert detail.get_json()["status"] == "rejected"
    assert errors[0]["row"] == 2
    assert "duplicate" in errors[0]["reason"]
    assert stored(select(MetricValue)) == []


def test_file_over_the_limit_is_413_with_the_error_shape(app_config, acme, token_for):
    from core.app import create_app

    app = create_app({**app_config, "max_upload_bytes": 100})
    headers = token_for(acme, Role.ANALYST)
    response = upload(app.test_client(), acme, headers, GOOD + b"2026-03,fcr_rate,70\n" * 10)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_empty_file_is_refused(client, acme, analyst, stored):
    response = upload(client, acme, analyst, b"")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_input"
    assert stored(select(Submission)) == []


def test_missing_file_field_is_422(client, acme, analyst):
    response = client.post(f"/api/v1/orgs/{acme.slug}/submissions", data={"kind": "metrics"}, headers=analyst)
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["field"] == "file"


@pytest.mark.parametrize(("role", "expected"), [("owner", 202), ("analyst", 202), ("viewer", 403)])
def test_upload_by_role(client, acme, token_for, role, expected):
    assert upload(client, acme, token_for(acme, role), GOOD).status_code == expected


def test_stranger_cannot_upload_or_read(client, acme, make_org, token_for, analyst):
    stranger = token_for(make_org("Other"), Role.OWNER)
    assert upload(client, acme, stranger, GOOD).status_code == 404
    submission_id = upload(client, acme, analyst, GOOD).get_json()["id"]
    response = client.get(f"/api/v1/orgs/{acme.slug}/submissions/{submission_id}", headers=stranger)
    assert response.status_code == 404
    assert "fcr_rate" not in response.get_data(as_text=True)


RAW_SURVEY = "period,question,answer,channel\n" + "".join(
    f"2026-01,nps,{score},{channel}\n"
    for score, channel in [(10, "phone"), (9, "email"), (3, "phone"), (7, "")]
)


def test_raw_survey_answers_are_stored_as_counts_only(client, acme, analyst, stored):
    submission_id = upload(client, acme, analyst, RAW_SURVEY.encode(), "s.csv", "survey").get_json()["id"]
    detail = client.get(f"/api/v1/orgs/{acme.slug}/submissions/{submission_id}", headers=analyst).get_json()
    assert detail["status"] == "accepted", detail["errors"]
    counts = {(c.answer, c.channel): c.count for c in stored(select(SurveyCount))}
    assert counts == {("10", "phone"): 1, ("9", "email"): 1, ("3", "phone"): 1, ("7", ""): 1}


def test_survey_answer_outside_the_scale_rejects_the_file(client, acme, analyst, stored):
    body = b"period,question,answer,count\n2026-01,csat,6,3\n2026-01,csat,5,-2\n2026-01,colour,blue,1\n"
    submission_id = upload(client, acme, analyst, body, "s.csv", "survey").get_json()["id"]
    detail = client.get(f"/api/v1/orgs/{acme.slug}/submissions/{submission_id}", headers=analyst).get_json()
    assert detail["status"] == "rejected"
    assert {(e["row"], e["column"], e["value"]) for e in detail["errors"]} == {
        (2, "answer", "6"),
        (3, "count", "-2"),
        (4, "question", "colour"),
    }
    assert stored(select(SurveyCount)) == []


def test_submission_history_lists_newest_first(client, acme, analyst):
    upload(client, acme, analyst, GOOD)
    upload(client, acme, analyst, BAD)
    listing = client.get(f"/api/v1/orgs/{acme.slug}/submissions", headers=analyst).get_json()
    assert [s["status"] for s in listing] == ["rejected", "accepted"]
    assert json.dumps(listing).count("checksum") == 2
