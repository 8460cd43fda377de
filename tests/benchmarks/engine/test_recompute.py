"""The recompute and what the positions and benchmarks endpoints publish, checked against hand arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from benchmarks.engine.models import BenchmarkSnapshot
from benchmarks.engine.recompute import recompute_benchmarks
from benchmarks.metrics.models import MetricValue
from core.db import transaction
from tenants.dimensions import Industry
from tenants.roles import Role

NOW = datetime(2026, 11, 20, tzinfo=UTC)
# retail, Q3 2026; A reports two months (mean 65), F ties B on FCR
RETAIL = {
    "A": {"fcr_rate": {"2026-07": 60, "2026-08": 70}, "cost_per_ticket": {"2026-07": 10}},
    "B": {"fcr_rate": {"2026-07": 70}, "cost_per_ticket": {"2026-07": 20}},
    "C": {"fcr_rate": {"2026-08": 75}, "cost_per_ticket": {"2026-07": 30}},
    "D": {"fcr_rate": {"2026-09": 80}, "cost_per_ticket": {"2026-07": 40}},
    "E": {"fcr_rate": {"2026-07": 85}, "cost_per_ticket": {"2026-07": 50}},
    "F": {"fcr_rate": {"2026-07": 70}, "cost_per_ticket": {"2026-07": 60}},
}
HEALTHCARE = {name: {"fcr_rate": {"2026-07": 50 + i}} for i, name in enumerate("GHIJ")}


def _load(org, metrics):
    with transaction(org.id) as session:
        for metric, months in metrics.items():
            for period, value in months.items():
                session.add(MetricValue(org_id=org.id, period=period, metric=metric, value=value))


@pytest.fixture
def population(app, make_org):
    orgs = {}
    for name, metrics in RETAIL.items():
        orgs[name] = make_org(f"Retail {name}", industry=Industry.RETAIL)
        _load(orgs[name], metrics)
    for name, metrics in HEALTHCARE.items():
        orgs[name] = make_org(f"Health {name}", industry=Industry.HEALTHCARE)
        _load(orgs[name], metrics)
    with app.app_context():
        summary = recompute_benchmarks(now=NOW)
    assert "2026-Q3" in summary.windows
    return orgs


def _positions(client, headers, org, cohort="industry", window="2026-Q3"):
    response = client.get(
        f"/api/v1/orgs/{org.slug}/positions?window={window}&cohort={cohort}", headers=headers
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _by_metric(body):
    return {p["metric"]: p for p in body["positions"]}


def test_positions_match_hand_computed_figures(client, population, token_for):
    b = _by_metric(_positions(client, token_for(population["B"], Role.VIEWER), population["B"]))["fcr_rate"]
    # sorted 65, 70, 70, 75, 80, 85: p25 at 1.25 -> 70; median at 2.5 -> 72.5; p75 at 3.75 -> 78.75
    assert b["cohort"] == {"n": 6, "p10": None, "p25": 70.0, "median": 72.5, "p75": 78.75, "p90": None}
    # peers 65, 70, 75, 80, 85: beats one, ties one -> 100 * 1.5 / 5 = 30 -> quartile 2
    assert (b["value"], b["percentile_rank"], b["quartile"], b["gap_to_median"]) == (70.0, 30.0, 2, -2.5)
    assert b["reading"] == "worse"


def test_mean_of_reported_months_is_the_window_value(client, population, token_for):
    a = _by_metric(_positions(client, token_for(population["A"], Role.VIEWER), population["A"]))["fcr_rate"]
    assert (a["value"], a["percentile_rank"], a["quartile"]) == (65.0, 0.0, 1)


def test_lower_is_better_ranks_the_cheapest_highest(client, population, token_for):
    c = _by_metric(_positions(client, token_for(population["C"], Role.VIEWER), population["C"]))[
        "cost_per_ticket"
    ]
    # peers 10, 20, 40, 50, 60: C (30) beats the three dearer ones -> 60 -> quartile 3
    assert (c["percentile_rank"], c["quartile"], c["reading"]) == (60.0, 3, "better")


def test_cell_of_four_is_suppressed_without_any_figure(client, population, token_for):
    body = _positions(client, token_for(population["G"], Role.VIEWER), population["G"])
    fcr = _by_metric(body)["fcr_rate"]
    assert fcr["suppressed"] is True
    assert fcr["reason"] == "fewer than 5 organisations"
    assert fcr["cohort"] is None
    assert fcr["percentile_rank"] is None
    assert fcr["quartile"] is None
    assert fcr["value"] == 50.0  # its own value is its own to see


def test_same_org_in_the_all_cohort_is_shown(client, population, token_for):
    fcr = _by_metric(_positions(client, token_for(population["G"], Role.VIEWER), population["G"], "all"))[
        "fcr_rate"
    ]
    assert fcr["cohort"]["n"] == 10
    assert fcr["percentile_rank"] == 0.0  # 50 is the lowest FCR of all ten


def test_benchmarks_endpoint_publishes_cells_of_five_or_more_only(client, population, token_for):
    headers = token_for(population["A"], Role.VIEWER)
    shown = client.get("/api/v1/benchmarks?metric=fcr_rate&window=2026-Q3&industry=retail", headers=headers)
    assert shown.get_json()["figures"]["median"] == 72.5
    hidden = client.get(
        "/api/v1/benchmarks?metric=fcr_rate&window=2026-Q3&industry=healthcare", headers=headers
    )
    body = hidden.get_json()
    assert (body["suppressed"], body["figures"], body["reason"]) == (True, None, "fewer than 5 organisations")


def test_suppressed_cells_store_no_figure(population, stored):
    cells = stored(
        select(BenchmarkSnapshot).where(BenchmarkSnapshot.cohort_key.like("industry=healthcare;%"))
    )
    assert cells
    assert all(c.suppressed and c.n is None and c.median is None for c in cells)


def test_positions_of_another_tenant_are_not_reachable(client, population, token_for):
    headers = token_for(population["A"], Role.OWNER)
    response = client.get(f"/api/v1/orgs/{population['B'].slug}/positions?window=2026-Q3", headers=headers)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "query", ["window=2026-Q5", "window=T12M-2026-13", "window=2026-Q3&cohort=sector", ""]
)
def test_bad_position_queries_are_422_with_details(client, population, token_for, query):
    headers = token_for(population["A"], Role.VIEWER)
    response = client.get(f"/api/v1/orgs/{population['A'].slug}/positions?{query}", headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]


def test_recompute_is_idempotent(app, population, stored):
    before = [(c.cohort_key, c.metric, c.window_code, c.median) for c in stored(select(BenchmarkSnapshot))]
    with app.app_context():
        recompute_benchmarks(now=NOW)
    after = [(c.cohort_key, c.metric, c.window_code, c.median) for c in stored(select(BenchmarkSnapshot))]
    assert sorted(before, key=str) == sorted(after, key=str)


def test_recompute_role_cannot_write_tenant_values(app, backend, population):
    if not backend.is_postgres:
        pytest.skip("the fenced role exists on PostgreSQL only; SQLite has the ORM wall alone")
    from sqlalchemy.exc import ProgrammingError

    with (
        app.app_context(),
        pytest.raises(ProgrammingError, match="permission denied"),
        transaction(recompute=True) as session,
    ):
        session.execute(
            text(
                "insert into metric_values (org_id, period, metric, value) "
                "values (:org, '2026-07', 'fcr_rate', 1)"
            ),
            {"org": population["A"].id},
        )


def test_csv_export_matches_the_api_and_hides_small_cells(client_as, population):
    shown = client_as(population["B"], Role.VIEWER).get(
        f"/o/{population['B'].slug}/dashboard.csv?window=2026-Q3&cohort=industry"
    )
    assert shown.status_code == 200
    assert shown.mimetype == "text/csv"
    row = next(line for line in shown.get_data(as_text=True).splitlines() if line.startswith("fcr_rate,"))
    assert row.split(",")[4:14] == ["70", "30", "2", "-2.5", "6", "", "70", "72.5", "78.75", ""]
    hidden = client_as(population["G"], Role.VIEWER).get(
        f"/o/{population['G'].slug}/dashboard.csv?window=2026-Q3&cohort=industry"
    )
    row = next(line for line in hidden.get_data(as_text=True).splitlines() if line.startswith("fcr_rate,"))
    assert row.endswith(",50,,,,,,,,,,yes,fewer than 5 organisations")
