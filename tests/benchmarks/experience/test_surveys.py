"""Survey results, XLA targets and profile cohorts as a tenant sees them (API and page)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from benchmarks.engine.recompute import recompute_benchmarks
from core.clock import utcnow
from tenants.dimensions import Industry
from tenants.roles import Role


def _month(offset: int = 0) -> str:
    today = utcnow().date()
    index = today.year * 12 + today.month - 1 - offset
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _survey(counts: dict[tuple[str, str], int], period: str, channel: str = "") -> bytes:
    lines = ["period,question,answer,count,channel"]
    lines += [f"{period},{q},{a},{n},{channel}" for (q, a), n in counts.items()]
    return ("\n".join(lines) + "\n").encode()


def _upload(client, org, headers, body: bytes, kind: str = "survey") -> dict:
    response = client.post(
        f"/api/v1/orgs/{org.slug}/submissions",
        headers=headers,
        data={"file": (io.BytesIO(body), "s.csv"), "kind": kind},
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_data(as_text=True)
    return client.get(
        f"/api/v1/orgs/{org.slug}/submissions/{response.get_json()['id']}", headers=headers
    ).get_json()


@pytest.fixture
def acme(make_org):
    return make_org("Acme IT")


@pytest.fixture
def owner(token_for, acme):
    return token_for(acme, Role.OWNER)


def test_nps_csat_ces_per_month_with_margins(client, acme, owner):
    # 20 promoters (9-10), 10 passives, 10 detractors: NPS = 50% - 25% = +25
    counts = {
        ("nps", "10"): 12,
        ("nps", "9"): 8,
        ("nps", "8"): 10,
        ("nps", "2"): 10,
        ("csat", "5"): 30,
        ("csat", "4"): 10,
        ("csat", "2"): 10,
        ("ces", "7"): 3,
        ("ces", "5"): 1,
    }
    assert _upload(client, acme, owner, _survey(counts, _month(1)))["status"] == "accepted"
    body = client.get(f"/api/v1/orgs/{acme.slug}/experience", headers=owner).get_json()
    [period] = body["periods"]
    total = period["total"]
    assert total["nps"]["score"] == pytest.approx(25.0)
    # 1.96 * sqrt((0.5 + 0.25 - 0.25^2) / 40) * 100 = 25.70
    assert total["nps"]["margin"] == pytest.approx(25.70, abs=0.01)
    assert (total["nps"]["promoters"], total["nps"]["passives"], total["nps"]["detractors"]) == (20, 10, 10)
    assert total["csat"]["pct"] == pytest.approx(80.0)  # 40 of 50 answered 4 or 5
    assert total["ces"]["mean"] == pytest.approx(6.5)  # (3 * 7 + 5) / 4
    assert total["indicative"] is False  # 50 answers
    assert total["n"] == 50


def test_small_samples_are_flagged_indicative(client, acme, owner):
    _upload(client, acme, owner, _survey({("nps", "10"): 5, ("nps", "0"): 4}, _month(1)))
    total = client.get(f"/api/v1/orgs/{acme.slug}/experience", headers=owner).get_json()["periods"][0][
        "total"
    ]
    assert total["indicative"] is True


def test_breakdown_by_channel(client, acme, owner):
    body = (
        _survey({("nps", "10"): 3}, _month(1), "phone") + _survey({("nps", "0"): 2}, _month(1), "chat")[36:]
    )
    assert _upload(client, acme, owner, body)["status"] == "accepted"
    period = client.get(f"/api/v1/orgs/{acme.slug}/experience", headers=owner).get_json()["periods"][0]
    channels = {s["label"]: s["nps"]["score"] for s in period["by_channel"]}
    assert channels == {"chat": -100.0, "phone": 100.0}
    assert period["total"]["nps"]["score"] == pytest.approx(20.0)  # 3 promoters, 2 detractors of 5


def test_xla_targets_are_tracked_per_month(client, acme, owner):
    _upload(client, acme, owner, _survey({("nps", "10"): 30, ("nps", "0"): 10}, _month(1)))  # NPS +50
    _upload(client, acme, owner, _survey({("nps", "10"): 10, ("nps", "0"): 30}, _month(2)))  # NPS -50
    response = client.put(
        f"/api/v1/orgs/{acme.slug}/xla-targets",
        headers=owner,
        json={"targets": [{"metric": "nps", "target": 30}]},
    )
    assert response.status_code == 200
    assert response.get_json()["targets"] == [{"metric": "nps", "target": 30.0, "comparator": ">="}]
    status = client.get(f"/api/v1/orgs/{acme.slug}/experience", headers=owner).get_json()["xla_status"]
    by_month = {s["period"]: s["met"] for s in status if s["metric"] == "nps"}
    assert by_month[_month(1)] is True
    assert by_month[_month(2)] is False
    assert by_month[_month(3)] is None


def test_xla_target_out_of_range_is_422(client, acme, owner):
    response = client.put(
        f"/api/v1/orgs/{acme.slug}/xla-targets",
        headers=owner,
        json={"targets": [{"metric": "nps", "target": 300}]},
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["field"] == "target"


def test_viewer_cannot_set_targets(client, acme, token_for):
    response = client.put(
        f"/api/v1/orgs/{acme.slug}/xla-targets",
        headers=token_for(acme, Role.VIEWER),
        json={"targets": [{"metric": "nps", "target": 30}]},
    )
    assert response.status_code == 403


def _answer(client, org, headers, answer):
    response = client.put(
        f"/api/v1/orgs/{org.slug}/profile", headers=headers, json={"answers": {"user_view": answer}}
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def test_profile_cohort_distribution_highlights_own_answer(app, client, make_org, token_for):
    orgs = [make_org(f"Bank {i}", industry=Industry.FINANCIAL_SERVICES) for i in range(5)]
    answers = ["business_users", "business_users", "end_users", "internal_customers", "business_users"]
    for org, answer in zip(orgs, answers, strict=True):
        _answer(client, org, token_for(org, Role.ANALYST), answer)
    with app.app_context():
        recompute_benchmarks(now=datetime.now(UTC))
    headers = token_for(orgs[2], Role.VIEWER)
    body = client.get(f"/api/v1/orgs/{orgs[2].slug}/profile?cohort=industry", headers=headers).get_json()
    user_view = next(c for c in body if c["question"] == "user_view")
    assert user_view["respondents"] == 5
    shares = {r["answer"]: (r["organisations"], r["pct"], r["mine"]) for r in user_view["rows"]}
    assert shares["business_users"] == (3, 60.0, False)
    assert shares["end_users"] == (1, 20.0, True)
    assert user_view["own_answer"] == "end_users"


def test_profile_cohort_of_four_is_suppressed(app, client, make_org, token_for):
    orgs = [make_org(f"School {i}", industry=Industry.EDUCATION) for i in range(4)]
    for org in orgs:
        _answer(client, org, token_for(org, Role.ANALYST), "end_users")
    with app.app_context():
        recompute_benchmarks(now=datetime.now(UTC))
    body = client.get(
        f"/api/v1/orgs/{orgs[0].slug}/profile?cohort=industry", headers=token_for(orgs[0], Role.VIEWER)
    ).get_json()
    user_view = next(c for c in body if c["question"] == "user_view")
    assert (user_view["suppressed"], user_view["respondents"], user_view["rows"]) == (True, None, [])


def test_unknown_profile_answer_is_422(client, acme, owner):
    response = client.put(
        f"/api/v1/orgs/{acme.slug}/profile", headers=owner, json={"answers": {"user_view": "x"}}
    )
    assert response.status_code == 422


def test_experience_page_shows_results_and_forms(client_as, acme, client, owner):
    _upload(client, acme, owner, _survey({("nps", "10"): 30, ("nps", "0"): 10}, _month(1)))
    page = client_as(acme, Role.ANALYST).get(f"/o/{acme.slug}/experience")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "+50" in html
    assert "Set target" in html
    assert "Save profile" in html
