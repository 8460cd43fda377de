"""Reading where an organisation sits: its own window values placed in the cohort's stored cells.

Nothing here computes a cohort statistic; suppression was applied by the recompute (a suppressed cell has
no figure stored), and this module passes on only the reason. The organisation's rank, quartile and gap
are derived from the cell's sorted values (`cells.place_in_cell`), which are never passed on.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, func, select, true
from sqlalchemy.orm import Session

from benchmarks.engine.cells import place_in_cell, unpack_values
from benchmarks.engine.cohorts import CohortKey, CohortLevel, cohort_key_for
from benchmarks.engine.models import BenchmarkSnapshot, OrganisationWindowValues, RecomputeRun
from benchmarks.engine.statistics import SUPPRESSED_REASON, is_watermelon
from benchmarks.engine.windows import Window
from benchmarks.metrics.catalogue import METRICS, Direction, Metric, MetricSource
from benchmarks.metrics.models import MetricValue
from core.db import for_org
from tenants.models import Organisation

NO_DATA_REASON = "no value reported in this window"


@dataclass(frozen=True)
class CohortFigures:
    n: int
    p10: float | None
    p25: float
    median: float
    p75: float
    p90: float | None


@dataclass(frozen=True)
class MetricPosition:
    metric: Metric
    value: float | None
    rank: float | None
    quartile: int | None
    gap: float | None
    cohort: CohortFigures | None  # None: suppressed or no data (see `reason`)
    reason: str | None

    @property
    def suppressed(self) -> bool:
        return self.reason == SUPPRESSED_REASON

    @property
    def reading(self) -> str | None:
        """ "better", "worse" or "at the median" in the metric's direction; None for descriptive metrics."""
        if self.gap is None or self.metric.direction is Direction.DESCRIPTIVE:
            return None
        if self.gap == 0:
            return "at the median"
        better = self.gap > 0 if self.metric.direction is Direction.HIGHER_IS_BETTER else self.gap < 0
        return "better" if better else "worse"


@dataclass(frozen=True)
class PositionsView:
    org: Organisation
    window: Window
    level: CohortLevel
    cohort: CohortKey
    positions: list[MetricPosition]
    computed_at: datetime | None
    version: int = 0  # the latest recompute run behind these figures (the API's ETag)

    def by_code(self) -> dict[str, MetricPosition]:
        return {p.metric.code: p for p in self.positions}

    @property
    def watermelon(self) -> bool:
        by_code = self.by_code()
        return is_watermelon(
            by_code["sla_resolution_rate"].quartile, by_code["nps"].quartile, by_code["csat_pct"].quartile
        )


def cohort_of(org: Organisation, level: CohortLevel) -> CohortKey:
    return cohort_key_for(level, org.industry, org.size_band, org.region)


def cohort_figures(snapshot: BenchmarkSnapshot) -> CohortFigures:
    assert snapshot.n is not None
    assert snapshot.median is not None
    return CohortFigures(snapshot.n, snapshot.p10, snapshot.p25, snapshot.median, snapshot.p75, snapshot.p90)


def list_positions(session: Session, org: Organisation, window: Window, level: CohortLevel) -> PositionsView:
    """Every catalogue metric: the organisation's value, rank, quartile and the cohort's figures or reason.

    One query: the cohort's cells of the window, each with the organisation's own window values joined in.
    Rank, quartile and gap are placed in the cell's stored sorted values (`cells.place_in_cell`).
    """
    cohort = cohort_of(org, level)
    own_values = for_org(OrganisationWindowValues, org.id).where(
        OrganisationWindowValues.window_code == window.code
    )
    own = own_values.with_only_columns(
        OrganisationWindowValues.window_values, OrganisationWindowValues.run_id
    ).subquery()
    rows = session.execute(
        select(
            BenchmarkSnapshot.metric,
            BenchmarkSnapshot.suppressed,
            BenchmarkSnapshot.n,
            BenchmarkSnapshot.p10,
            BenchmarkSnapshot.p25,
            BenchmarkSnapshot.median,
            BenchmarkSnapshot.p75,
            BenchmarkSnapshot.p90,
            BenchmarkSnapshot.peer_values,
            BenchmarkSnapshot.computed_at,
            BenchmarkSnapshot.run_id,
            own.c.window_values,
            own.c.run_id,
        )
        .select_from(BenchmarkSnapshot)
        .outerjoin(own, true())
        .where(BenchmarkSnapshot.window_code == window.code, BenchmarkSnapshot.cohort_key == cohort.code)
    ).all()
    mine: dict[str, float] = dict(rows[0][11] or {}) if rows else {}
    cells = {row[0]: row for row in rows}
    runs = [row[10] or 0 for row in rows] + [rows[0][12] or 0 if rows else 0]
    computed = [row[9] for row in rows if row[9] is not None]
    positions = [
        _metric_position(metric, mine.get(metric.code), cells.get(metric.code)) for metric in METRICS
    ]
    return PositionsView(
        org, window, level, cohort, positions, max(computed) if computed else None, version=max(runs)
    )


def _metric_position(metric: Metric, value: float | None, cell: Row | None) -> MetricPosition:
    if cell is None or cell.suppressed:
        reason = SUPPRESSED_REASON if cell is not None or value is not None else NO_DATA_REASON
        return MetricPosition(metric, value, None, None, None, None, reason)
    figures = CohortFigures(cell.n, cell.p10, cell.p25, cell.median, cell.p75, cell.p90)
    if value is None:
        return MetricPosition(metric, None, None, None, None, figures, NO_DATA_REASON)
    place = place_in_cell(value, unpack_values(cell.peer_values), cell.median, metric.direction)
    if place is None:  # not in the cell it should be in: show the cohort, claim no place
        return MetricPosition(metric, value, None, None, None, figures, None)
    return MetricPosition(metric, value, place.rank, place.quartile, place.gap, figures, None)


def find_cell(session: Session, metric: str, window: Window, cohort: CohortKey) -> BenchmarkSnapshot | None:
    return session.scalar(
        select(BenchmarkSnapshot).where(
            BenchmarkSnapshot.metric == metric,
            BenchmarkSnapshot.window_code == window.code,
            BenchmarkSnapshot.cohort_key == cohort.code,
        )
    )


def last_recompute(session: Session) -> datetime | None:
    return session.scalar(select(func.max(RecomputeRun.finished_at)))


def list_windows(session: Session) -> list[Window]:
    """The windows with published benchmarks, newest first."""
    codes = session.scalars(select(BenchmarkSnapshot.window_code).distinct())
    return sorted((Window.parse(code) for code in codes), key=lambda w: w.sort_key, reverse=True)


def monthly_series(session: Session, org: Organisation, metric: str, months: list[str]) -> list[float | None]:
    """The organisation's own monthly values (its own data: no peer is involved) for a sparkline."""
    rows = dict(
        session.execute(
            for_org(MetricValue, org.id)
            .with_only_columns(MetricValue.period, MetricValue.value)
            .where(MetricValue.metric == metric, MetricValue.period.in_(months))
        ).all()
    )
    return [rows.get(month) for month in months]


def own_monthly_values(session: Session, org: Organisation, months: list[str]) -> dict[str, dict[str, float]]:
    """metric -> period -> value for the organisation's uploaded metrics in `months`."""
    result: dict[str, dict[str, float]] = {}
    query = (
        for_org(MetricValue, org.id)
        .with_only_columns(MetricValue.metric, MetricValue.period, MetricValue.value)
        .where(MetricValue.period.in_(months))
    )
    for metric, period, value in session.execute(query):
        result.setdefault(metric, {})[period] = value
    return result


def is_uploaded(metric: Metric) -> bool:
    return metric.source is MetricSource.UPLOADED


CSV_COLUMNS = (
    "metric",
    "name",
    "unit",
    "direction",
    "value",
    "percentile_rank",
    "quartile",
    "gap_to_median",
    "cohort_n",
    "p10",
    "p25",
    "median",
    "p75",
    "p90",
    "suppressed",
    "reason",
)


def positions_csv(view: PositionsView) -> str:
    """The positions as CSV: the same figures as the API, suppressed cells with their reason and no figure."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f"# {view.org.name}: {view.window.label}, compared with {view.level.label}"])
    writer.writerow(CSV_COLUMNS)
    for p in view.positions:
        figures = p.cohort
        writer.writerow(
            [
                p.metric.code,
                p.metric.name,
                p.metric.unit,
                p.metric.direction.value,
                _cell(p.value),
                _cell(p.rank),
                p.quartile or "",
                _cell(p.gap),
                figures.n if figures else "",
                *(
                    _cell(getattr(figures, k)) if figures else ""
                    for k in ("p10", "p25", "median", "p75", "p90")
                ),
                "yes" if p.suppressed else "no",
                p.reason or "",
            ]
        )
    return out.getvalue()


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"
