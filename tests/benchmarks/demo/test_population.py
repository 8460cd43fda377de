"""The demo peer population: deterministic, valid by the upload rules, realistic, and loaded like uploads."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import select

from benchmarks.demo.load import load_demo_population
from benchmarks.demo.population import (
    DemoPopulation,
    generate_population,
    last_complete_month,
    metrics_files,
    survey_files,
)
from benchmarks.engine.cohorts import ALL
from benchmarks.engine.models import OrganisationWindowValues
from benchmarks.engine.positions import list_positions, list_windows
from benchmarks.metrics.catalogue import MIXES
from benchmarks.metrics.validation import validate_metrics_file
from benchmarks.surveys.validation import validate_survey_file
from benchmarks.uploads.models import Submission, SubmissionStatus
from core.db import transaction
from tenants.demo import DEMO_CONSULTANCY_SLUG, DEMO_ORG_SLUG, load_demo_login
from tenants.dimensions import Industry, Region, SizeBand
from tenants.models import Organisation

TODAY = date(2026, 3, 10)


@pytest.fixture(scope="module")
def population() -> DemoPopulation:
    return generate_population(today=TODAY)


def _per_org(population: DemoPopulation) -> pl.DataFrame:
    """Each organisation's mean of every metric and its NPS, CSAT and CES from all its answers."""
    means = (
        population.metrics.group_by("slug", "metric")
        .agg(pl.col("value").mean())
        .pivot(on="metric", index="slug", values="value")
    )
    answers = population.surveys.with_columns(pl.col("answer").cast(pl.Int64).alias("score"))
    count = pl.col("count")
    survey = answers.group_by("slug").agg(
        (
            100
            * (
                count.filter((pl.col("question") == "nps") & (pl.col("score") >= 9)).sum()
                - count.filter((pl.col("question") == "nps") & (pl.col("score") <= 6)).sum()
            )
            / count.filter(pl.col("question") == "nps").sum()
        ).alias("nps"),
        (
            100
            * count.filter((pl.col("question") == "csat") & (pl.col("score") >= 4)).sum()
            / count.filter(pl.col("question") == "csat").sum()
        ).alias("csat"),
    )
    peers = [org.slug for org in population.peers]
    return means.join(survey, on="slug").filter(pl.col("slug").is_in(peers))


def test_same_seed_gives_the_same_population() -> None:
    first = generate_population(today=TODAY, organisations=30, months=6, seed=7)
    again = generate_population(today=TODAY, organisations=30, months=6, seed=7)
    other = generate_population(today=TODAY, organisations=30, months=6, seed=8)
    assert first.orgs == again.orgs
    assert first.metrics.equals(again.metrics)
    assert first.surveys.equals(again.surveys)
    assert metrics_files(first) == metrics_files(again)
    assert not first.metrics.equals(other.metrics)


def test_months_end_with_the_last_complete_month(population: DemoPopulation) -> None:
    assert last_complete_month(TODAY) == "2026-02"
    assert population.periods[-1] == "2026-02"
    assert population.periods[0] == "2024-03"
    assert len(population.periods) == 24


def test_every_generated_file_passes_upload_validation(population: DemoPopulation, tmp_path: Path) -> None:
    for kind, files, validate in (
        ("metrics", metrics_files(population), validate_metrics_file),
        ("survey", survey_files(population), validate_survey_file),
    ):
        assert len(files) == len(population.orgs)
        for slug, data in files.items():
            path = tmp_path / f"{slug}-{kind}.csv"
            path.write_bytes(data)
            parse = validate(path, path.name, today=TODAY)
            assert parse.ok, (slug, kind, parse.errors[:3])


def test_mixes_sum_to_exactly_100(population: DemoPopulation) -> None:
    for codes in MIXES.values():
        totals = (
            population.metrics.filter(pl.col("metric").is_in(codes))
            .group_by("slug", "period")
            .agg(pl.col("value").sum().round(6).alias("total"), pl.len().alias("parts"))
        )
        assert totals.get_column("parts").unique().to_list() == [len(codes)]
        assert totals.get_column("total").unique().to_list() == [100.0]


def test_population_covers_every_industry_size_and_region(population: DemoPopulation) -> None:
    peers = population.peers
    assert len(peers) >= 300
    assert {org.industry for org in peers} == set(Industry)
    assert {org.size for org in peers} == set(SizeBand)
    assert {org.region for org in peers} == set(Region)
    assert {(org.industry, org.size) for org in peers} == {(i, s) for i in Industry for s in SizeBand}
    assert all(org.slug.startswith("peer-") and org.name.startswith("Peer ") for org in peers)


def test_some_fine_cells_are_published_and_some_suppressed(population: DemoPopulation) -> None:
    cells = (
        pl.DataFrame(
            [(o.industry.value, o.size.value, o.region.value) for o in population.peers],
            schema=["industry", "size", "region"],
            orient="row",
        )
        .group_by("industry", "size", "region")
        .len()
    )
    sizes = cells.get_column("len")
    assert ((sizes >= 1) & (sizes <= 4)).sum() >= 20
    assert (sizes >= 5).sum() >= 10
    northwind_cell = cells.filter(
        (pl.col("industry") == "healthcare") & (pl.col("size") == "m") & (pl.col("region") == "emea")
    )
    assert northwind_cell.get_column("len").item() >= 5


def test_medians_are_near_published_figures(population: DemoPopulation) -> None:
    orgs = _per_org(population)
    assert 60 <= orgs.get_column("fcr_rate").median() <= 80
    assert 10 <= orgs.get_column("cost_per_ticket").median() <= 25
    assert 2 <= orgs.get_column("lost_hours_per_ticket").median() <= 4
    assert 20 <= orgs.get_column("nps").median() <= 60
    assert 85 <= orgs.get_column("csat").median() <= 95
    assert 35 <= orgs.get_column("channel_phone_pct").median() <= 50
    assert 10 <= orgs.get_column("channel_portal_pct").median() <= 20


def test_maturity_links_fcr_cost_and_experience(population: DemoPopulation) -> None:
    orgs = _per_org(population)
    correlations = orgs.select(
        pl.corr("fcr_rate", "cost_per_ticket").alias("fcr_cost"),
        pl.corr("fcr_rate", "lost_hours_per_ticket").alias("fcr_lost"),
        pl.corr("fcr_rate", "nps").alias("fcr_nps"),
    ).row(0, named=True)
    assert correlations["fcr_cost"] < -0.1
    assert correlations["fcr_lost"] < -0.1
    assert correlations["fcr_nps"] > 0.1


def test_larger_desks_cost_less_per_ticket(population: DemoPopulation) -> None:
    orgs = _per_org(population).join(
        pl.DataFrame(
            {"slug": [o.slug for o in population.peers], "size": [o.size.value for o in population.peers]}
        ),
        on="slug",
    )
    median = dict(orgs.group_by("size").agg(pl.col("cost_per_ticket").median()).iter_rows())
    assert median["xs"] > median["m"] > median["xl"]


def test_watermelons_meet_their_slas_while_users_are_unhappy(population: DemoPopulation) -> None:
    orgs = _per_org(population)
    sla_p75 = orgs.get_column("sla_resolution_rate").quantile(0.75)
    nps_p25 = orgs.get_column("nps").quantile(0.25)
    watermelons = orgs.filter((pl.col("sla_resolution_rate") >= sla_p75) & (pl.col("nps") <= nps_p25))
    assert watermelons.height >= 5


def test_survey_answers_mostly_pool_to_30_a_quarter(population: DemoPopulation) -> None:
    monthly = (
        population.surveys.filter(pl.col("question") == "nps")
        .group_by("slug", "period")
        .agg(pl.col("count").sum())
    )
    last_quarter = monthly.filter(pl.col("period").is_in(["2025-10", "2025-11", "2025-12"]))
    pooled = last_quarter.group_by("slug").agg(pl.col("count").sum()).get_column("count")
    assert (pooled < 30).sum() >= 3
    assert (pooled >= 30).sum() >= 0.9 * pooled.len()
    assert monthly.get_column("count").max() <= 150


def test_featured_organisations_have_their_story(population: DemoPopulation) -> None:
    featured = {org.slug: org for org in population.orgs if not org.slug.startswith("peer-")}
    assert featured[DEMO_ORG_SLUG].lost_time_factor > 1.5
    assert sum(org.managed_by == DEMO_CONSULTANCY_SLUG for org in featured.values()) == 3
    lost = (
        population.metrics.filter(pl.col("metric") == "lost_hours_per_ticket")
        .group_by("slug")
        .agg(pl.col("value").mean())
    )
    northwind = lost.filter(pl.col("slug") == DEMO_ORG_SLUG).get_column("value").item()
    assert northwind > lost.get_column("value").quantile(0.75)


def test_demo_population_loads_through_uploads_once(app, stored) -> None:
    load_demo_login(app)
    lines = load_demo_population(app, organisations=40, months=6, today=TODAY)
    assert lines[0].startswith("Loaded 40 peer organisations x 6 months")

    northwind = stored(select(Organisation).where(Organisation.slug == DEMO_ORG_SLUG))[0]
    values = stored(select(OrganisationWindowValues).where(OrganisationWindowValues.org_id == northwind.id))
    assert set().union(*(v.window_values for v in values)) >= {
        "fcr_rate",
        "cost_per_ticket",
        "nps",
        "csat_pct",
        "shift_left_rate",
    }
    with app.app_context(), transaction(northwind.id) as session:
        window = list_windows(session)[0]
        view = list_positions(session, session.get(Organisation, northwind.id), window, ALL)
    assert any(p.rank is not None for p in view.positions)
    submissions = stored(select(Submission))
    assert len(submissions) == 2 * 44
    assert {s.status for s in submissions} == {SubmissionStatus.ACCEPTED}
    consultancy = stored(select(Organisation).where(Organisation.slug == DEMO_CONSULTANCY_SLUG))[0]
    clients = stored(select(Organisation).where(Organisation.managed_by_id == consultancy.id))
    assert len(clients) == 3

    again = load_demo_population(app, organisations=40, months=6, today=TODAY)
    assert again == ["Peer population already loaded (40 organisations): left as it is."]
    assert len(stored(select(Submission))) == 2 * 44


def test_every_organisation_answers_every_profile_question_validly():
    from benchmarks.demo.population import profile_answers
    from benchmarks.metrics.catalogue import PROFILE_QUESTIONS

    population = generate_population(today=date(2026, 11, 26), organisations=60, months=3)
    answers = profile_answers(population)
    assert set(answers) == {org.slug for org in population.orgs}
    for mine in answers.values():
        assert {q.code: q.accepts(mine[q.code]) for q in PROFILE_QUESTIONS} == {
            q.code: True for q in PROFILE_QUESTIONS
        }
    assert answers == profile_answers(population)  # deterministic
