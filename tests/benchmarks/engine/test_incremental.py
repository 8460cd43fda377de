"""An accepted upload's incremental recompute gives exactly what the full recompute gives, and only touches
what the upload changed."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from benchmarks.engine.cohorts import LEVELS
from benchmarks.engine.incremental import recompute_organisation, windows_holding
from benchmarks.engine.models import BenchmarkSnapshot, OrganisationWindowValues, RecomputeRun
from benchmarks.engine.positions import list_positions
from benchmarks.engine.recompute import recompute_benchmarks
from benchmarks.engine.windows import Window
from core.db import transaction
from tenants.dimensions import Industry, SizeBand
from tenants.models import Organisation
from tenants.roles import Role
from tenants.service import update_organisation

NOW = datetime(2026, 11, 20, tzinfo=UTC)
MONTHS = [f"2025-{m:02d}" for m in range(10, 13)] + [f"2026-{m:02d}" for m in range(1, 11)]
METRICS = ["fcr_rate", "cost_per_ticket", "mttr_hours", "abandon_rate"]


def _upload(client, org, headers, body: str, kind: str = "metrics"):
    response = client.post(
        f"/api/v1/orgs/{org.slug}/submissions",
        data={"file": (io.BytesIO(body.encode()), f"{kind}.csv"), "kind": kind},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_data(as_text=True)
    detail = client.get(f"/api/v1/orgs/{org.slug}/submissions/{response.get_json()['id']}", headers=headers)
    return detail.get_json()


def _metrics_file(rng: random.Random, months: list[str]) -> str:
    lines = ["period,metric,value"]
    for month in months:
        for metric in rng.sample(METRICS, rng.randint(1, len(METRICS))):
            # few distinct values, so that ties (and ties across uploads) are common
            lines.append(f"{month},{metric},{rng.choice([10, 12.5, 20, 33.3, 40, 41.7, 55])}")
        if rng.random() < 0.4:
            t0, t1, t2 = rng.choice([10, 20]), rng.choice([40, 50]), rng.choice([20, 25])
            for code, value in zip(("tier0_pct", "tier1_pct", "tier2_pct"), (t0, t1, t2), strict=True):
                lines.append(f"{month},{code},{value}")
            lines.append(f"{month},tier3_pct,{100 - t0 - t1 - t2}")
    return "\n".join(lines) + "\n"


def _survey_file(rng: random.Random, months: list[str]) -> str:
    lines = ["period,question,answer,count"]
    for month in months:
        for answer in (3, 7, 9, 10):
            lines.append(f"{month},nps,{answer},{rng.randint(2, 12)}")
        for answer in (2, 4, 5):
            lines.append(f"{month},csat,{answer},{rng.randint(3, 15)}")
    return "\n".join(lines) + "\n"


def _cell_row(s: BenchmarkSnapshot) -> tuple:
    figures = (s.suppressed, s.n, s.p10, s.p25, s.median, s.p75, s.p90)
    return (s.window_code, s.cohort_key, s.metric, s.cohort_level, *figures, bytes(s.peer_values))


def _state(app) -> tuple[list, list, list]:
    """Every stored figure and value (not when or by which run), and every organisation's positions."""
    with app.app_context(), transaction(recompute=True) as session:
        cells = sorted(_cell_row(s) for s in session.scalars(select(BenchmarkSnapshot)))
        values = sorted(
            (v.org_id, v.window_code, v.cell_key, sorted(v.window_values.items()))
            for v in session.scalars(select(OrganisationWindowValues))
        )
        orgs = list(session.scalars(select(Organisation).order_by(Organisation.id)))
        windows = sorted({c[0] for c in cells})
    positions = []
    for org in orgs:
        with app.app_context(), transaction(org.id) as session:
            for code in windows:
                for level in LEVELS:
                    view = list_positions(session, org, Window.parse(code), level)
                    positions.append(
                        (
                            org.id,
                            code,
                            level.code,
                            [
                                (p.metric.code, p.value, p.rank, p.quartile, p.gap, p.cohort, p.reason)
                                for p in view.positions
                            ],
                        )
                    )
    return cells, values, positions


@pytest.mark.parametrize("seed", [11, 23])
def test_random_uploads_give_the_full_recompute_exactly(app, client, make_org, token_for, seed):
    rng = random.Random(seed)
    orgs = [
        make_org(
            industry=rng.choice([Industry.RETAIL, Industry.HEALTHCARE]),
            size=rng.choice([SizeBand.M, SizeBand.L]),
        )
        for _ in range(9)
    ]
    headers = {org.id: token_for(org, Role.ANALYST) for org in orgs}
    for step in range(22):
        org = rng.choice(orgs)
        if step == 15:  # an organisation changes cohort; its next upload moves its values
            with app.app_context(), transaction(org.id) as session:
                update_organisation(
                    session, session.get(Organisation, org.id), None, industry=Industry.EDUCATION
                )
        start = rng.randrange(len(MONTHS))
        months = MONTHS[start : start + rng.choice([1, 1, 2, 3, 6])]
        if rng.random() < 0.25:
            body = _upload(client, org, headers[org.id], _survey_file(rng, months), kind="survey")
        else:
            body = _upload(client, org, headers[org.id], _metrics_file(rng, months))
        assert body["status"] == "accepted", body
    incremental = _state(app)
    assert incremental[0], "the uploads produced cells"
    with app.app_context():
        runs = [r.kind for r in transaction_runs(app)]
        assert set(runs) == {"organisation"}, "every upload was recomputed incrementally"
        recompute_benchmarks(now=NOW)
    full = _state(app)
    assert incremental[0] == full[0]
    assert incremental[1] == full[1]
    assert incremental[2] == full[2]


def transaction_runs(app) -> list[RecomputeRun]:
    with transaction(recompute=True) as session:
        runs = list(session.scalars(select(RecomputeRun)))
        session.expunge_all()
        return runs


def test_an_upload_touches_only_the_cells_of_its_windows_and_metrics(app, client, make_org, token_for):
    retail = [make_org(industry=Industry.RETAIL) for _ in range(6)]
    health = [make_org(industry=Industry.HEALTHCARE) for _ in range(6)]
    for i, org in enumerate(retail + health):
        body = "period,metric,value\n" + "".join(
            f"2026-{m:02d},fcr_rate,{60 + i}\n2026-{m:02d},cost_per_ticket,{10 + i}\n" for m in (1, 4, 7)
        )
        assert _upload(client, org, token_for(org, Role.ANALYST), body)["status"] == "accepted"
    with app.app_context(), transaction(recompute=True) as session:
        before = {
            (s.window_code, s.cohort_key, s.metric): s.run_id
            for s in session.scalars(select(BenchmarkSnapshot))
        }
    # one month, one metric, a new value: its quarter and the trailing windows holding the month change
    mover = retail[0]
    _upload(client, mover, token_for(mover, Role.ANALYST), "period,metric,value\n2026-07,fcr_rate,99\n")
    with app.app_context(), transaction(recompute=True) as session:
        after = {
            (s.window_code, s.cohort_key, s.metric): s.run_id
            for s in session.scalars(select(BenchmarkSnapshot))
        }
    changed = {key for key in after if after[key] != before.get(key)}
    assert changed, "the upload's cells were rewritten"
    assert {metric for _, _, metric in changed} == {"fcr_rate"}
    assert {window for window, _, _ in changed} == {"2026-Q3", "T12M-2026-09"}
    assert all("healthcare" not in key for _, key, _ in changed)  # not the other industry's cells
    assert len(changed) == 2 * len(LEVELS)  # its 8 cells (one per level) in each of the two windows


def test_windows_holding_a_month_are_its_quarter_and_four_trailing_windows():
    codes = [w.code for w in windows_holding(["2026-08"])]
    assert codes == ["2026-Q3", "T12M-2026-09", "T12M-2026-12", "T12M-2027-03", "T12M-2027-06"]


def test_a_deleted_organisation_is_recomputed_as_nothing(app):
    with app.app_context():
        summary = recompute_organisation(10**6, ["2026-07"], now=NOW)
    assert summary.cells == 0
