"""The "where you sit" dashboard as ready-to-render rows: figures formatted, charts drawn, states decided.

It reads the organisation's precomputed positions (`positions.list_positions`) and its own monthly values
for the sparklines; nothing here computes a benchmark. A suppressed cohort cell yields its reason and no
cohort figure at all; other organisations are never named.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import func
from sqlalchemy.orm import Session

from benchmarks.dashboard import charts
from benchmarks.dashboard.display import (
    Option,
    default_window,
    format_value,
    level_options,
    ordinal,
    reading_text,
    window_options,
)
from benchmarks.engine.cohorts import CohortLevel
from benchmarks.engine.positions import (
    MetricPosition,
    PositionsView,
    list_positions,
    list_windows,
    own_monthly_values,
)
from benchmarks.engine.statistics import SUPPRESSED_REASON
from benchmarks.engine.windows import Window, shift_period
from benchmarks.metrics.catalogue import AREAS, MIXES, QUESTIONS_BY_CODE, Direction, Metric, MetricSource
from benchmarks.surveys.measures import ces, csat, nps
from benchmarks.surveys.models import SurveyCount
from core.db import for_org
from tenants.models import Organisation

SPARK_MONTHS = 12
_QUARTILE_LABELS = (
    (4, "metrics in the top quartile"),
    (3, "in the second quartile"),
    (2, "in the third quartile"),
    (1, "in the bottom quartile"),
)
CHART_WIDTH = 300
SUPPRESSED_TEXT = f"Suppressed: {SUPPRESSED_REASON}"
NO_DATA_TEXT = "no data for this window"
_SURVEY_MEASURES: dict[str, tuple[str, Callable[[dict[str, int]], float]]] = {
    "nps": ("nps", lambda counts: nps(counts).score),
    "csat_pct": ("csat", lambda counts: csat(counts).pct),
    "ces_avg": ("ces", lambda counts: ces(counts).mean),
}


class RowState(StrEnum):
    POSITIONED = "positioned"  # your value placed in a published cohort cell
    COHORT_ONLY = "cohort_only"  # a published cell, but no value of yours in this window
    SUPPRESSED = "suppressed"  # fewer than 5 organisations: no cohort figure at all
    NO_DATA = "no_data"  # nobody's value, yours included


@dataclass(frozen=True)
class MetricRow:
    code: str
    name: str
    unit: str
    description: str
    state: RowState
    value_text: str
    chart_svg: str | None
    cohort_text: str | None  # "median 72.0% of 14 organisations" (published cells only)
    badge_svg: str | None
    quartile: int | None
    rank_text: str | None
    reading: str | None  # better, worse, neutral (CSS class of the gap)
    reading_text: str | None
    sparkline_svg: str
    message: str | None  # the suppression or no-data text


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    intro: str
    rows: list[MetricRow]
    mix_svg: str | None  # stacked bars "You" vs "Cohort median" for the mixes


@dataclass(frozen=True)
class QuartileCount:
    quartile: int
    label: str
    count: int


@dataclass(frozen=True)
class Dashboard:
    org: Organisation
    window: Window | None
    level: CohortLevel
    cohort_label: str
    window_options: list[Option]
    level_options: list[Option]
    computed_at: datetime | None
    sections: list[Section]
    summary: list[QuartileCount]
    watermelon: bool

    @property
    def has_benchmarks(self) -> bool:
        return self.window is not None


def build_dashboard(
    session: Session,
    org: Organisation,
    window: Window | None,
    level: CohortLevel,
    *,
    today: date,
    primary: str = charts.DEFAULT_PRIMARY,
) -> Dashboard:
    """The dashboard of `org` for `window` (default: the newest complete quarter) and cohort `level`."""
    windows = list_windows(session)
    window = window or default_window(windows, today)
    levels = level_options(org, level)
    if window is None:
        return Dashboard(org, None, level, "", [], levels, None, [], [], False)
    view = list_positions(session, org, window, level)
    trend = _own_trends(session, org, window)
    sections = [_section(view, key, title, intro, trend, primary) for key, title, intro in AREAS]
    quartiles = [
        p.quartile
        for p in view.positions
        if p.quartile is not None and p.cohort is not None and p.metric.direction is not Direction.DESCRIPTIVE
    ]  # a descriptive share has no better or worse: its quartile is no verdict
    summary = [QuartileCount(q, label, quartiles.count(q)) for q, label in _QUARTILE_LABELS]
    return Dashboard(
        org,
        window,
        level,
        view.cohort.label,
        window_options(windows, window),
        levels,
        view.computed_at,
        sections,
        summary,
        view.watermelon,
    )


def _ordered(positions: list[MetricPosition], area: str) -> list[MetricPosition]:
    """An area's metrics, survey measures (NPS, CSAT, CES) first, otherwise in catalogue order."""
    chosen = [p for p in positions if p.metric.area == area]
    return sorted(chosen, key=lambda p: p.metric.source is not MetricSource.SURVEY)


def _section(
    view: PositionsView, key: str, title: str, intro: str, trend: dict[str, list[float | None]], primary: str
) -> Section:
    positions = _ordered(view.positions, key)
    rows = [_row(p, trend.get(p.metric.code, [None] * SPARK_MONTHS), primary) for p in positions]
    mix = next((m for m, codes in MIXES.items() if positions and positions[0].metric.code in codes), None)
    return Section(key, title, intro, rows, _mix_chart(positions, primary) if mix else None)


def _row(position: MetricPosition, trend: list[float | None], primary: str) -> MetricRow:
    metric, value, cohort = position.metric, position.value, position.cohort
    spark = charts.sparkline(trend, unit=metric.unit, primary=primary)
    base = {
        "code": metric.code,
        "name": _segment_label(metric) if metric.mix else metric.name,
        "unit": _unit_label(metric),
        "description": metric.description,
        "value_text": format_value(metric, value),
        "sparkline_svg": spark,
    }
    empty = {
        "chart_svg": None,
        "cohort_text": None,
        "badge_svg": None,
        "quartile": None,
        "rank_text": None,
        "reading": None,
        "reading_text": None,
    }
    if position.suppressed:
        return MetricRow(**base, **empty, state=RowState.SUPPRESSED, message=SUPPRESSED_TEXT)
    if cohort is None:
        return MetricRow(**base, **empty, state=RowState.NO_DATA, message=NO_DATA_TEXT)
    lo, hi = charts.axis_domain(
        cohort.p10, cohort.p25, cohort.median, cohort.p75, cohort.p90, value,
        floor=metric.minimum, ceiling=metric.maximum,
    )  # fmt: skip
    chart = charts.box_whisker(
        p10=cohort.p10,
        p25=cohort.p25,
        median=cohort.median,
        p75=cohort.p75,
        p90=cohort.p90,
        value=value,
        lo=lo,
        hi=hi,
        direction=metric.direction,
        unit="" if metric.unit == "count" and metric.maximum > 1000 else metric.unit,
        width=CHART_WIDTH,
        primary=primary,
    )
    cohort_text = f"median {format_value(metric, cohort.median)} of {cohort.n} organisations"
    if value is None or position.rank is None or position.gap is None:
        return MetricRow(
            **base,
            **{**empty, "chart_svg": chart, "cohort_text": cohort_text},
            state=RowState.COHORT_ONLY,
            message=NO_DATA_TEXT,
        )
    descriptive = metric.direction is Direction.DESCRIPTIVE
    gap_text = reading_text(metric, position.gap)
    close = gap_text == "at the median"
    return MetricRow(
        **base,
        state=RowState.POSITIONED,
        chart_svg=chart,
        cohort_text=cohort_text,
        badge_svg=None if descriptive else charts.quartile_badge(position.quartile),
        quartile=None if descriptive else position.quartile,
        rank_text=ordinal(position.rank),
        reading=position.reading if position.reading in ("better", "worse") and not close else "neutral",
        reading_text=gap_text,
        message=None,
    )


def _unit_label(metric: Metric) -> str:
    """The line under a metric's name: its unit, or what a mix share is a share of."""
    if metric.mix == "channel":
        return "% of contacts"
    if metric.mix == "tier":
        return metric.description.removeprefix("Tickets resolved by ") + " · % of tickets"
    if metric.unit == "count":
        return "per user per month" if metric.code.endswith("_per_user") else "count"
    return metric.unit


def _segment_label(metric: Metric) -> str:
    """A mix share's short name: "Phone", "Tier 0"."""
    return metric.name.removeprefix("Channel: ").replace("Resolved at tier", "Tier")


def _mix_chart(positions: list[MetricPosition], primary: str) -> str | None:
    """'You' and 'Cohort median' bars of a mix; the median bar only from published cells."""
    rows: list[tuple[str, list[tuple[str, float]]]] = []
    yours = [(_segment_label(p.metric), p.value) for p in positions if p.value is not None]
    medians = [(_segment_label(p.metric), p.cohort.median) for p in positions if p.cohort is not None]
    if yours:
        rows.append(("You", yours))
    if medians:
        rows.append(("Cohort median", medians))
    return charts.stacked_bars(rows, width=560, primary=primary) if rows else None


# -- the organisation's own monthly trend -----------------------------------------------------------------


def spark_months(window: Window) -> list[str]:
    """The twelve months ending with the window's last month, oldest first."""
    return [shift_period(window.last, i - SPARK_MONTHS + 1) for i in range(SPARK_MONTHS)]


def _own_trends(session: Session, org: Organisation, window: Window) -> dict[str, list[float | None]]:
    """metric -> the organisation's own value per month (its data only; no peer is involved)."""
    months = spark_months(window)
    values = own_monthly_values(session, org, months)
    tier0, tier1 = (values.get(code, {}) for code in MIXES["tier"][:2])
    values["shift_left_rate"] = {m: tier0[m] + tier1[m] for m in months if m in tier0 and m in tier1}
    values.update(_survey_months(session, org, months))
    return {code: [by_month.get(m) for m in months] for code, by_month in values.items()}


def _survey_months(session: Session, org: Organisation, months: list[str]) -> dict[str, dict[str, float]]:
    keys = (SurveyCount.question, SurveyCount.period, SurveyCount.answer)
    questions = [question for question, _measure in _SURVEY_MEASURES.values()]
    query = (
        for_org(SurveyCount, org.id)
        .with_only_columns(*keys, func.sum(SurveyCount.count))
        .where(SurveyCount.period.in_(months), SurveyCount.question.in_(questions))
        .group_by(*keys)
    )
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for question, period, answer, count in session.execute(query):
        if QUESTIONS_BY_CODE[question].accepts(answer) and count:
            counts.setdefault((question, period), {})[answer] = int(count)
    result: dict[str, dict[str, float]] = {code: {} for code in (*_SURVEY_MEASURES, "survey_responses")}
    for code, (question, measure) in _SURVEY_MEASURES.items():
        for month in months:
            if answers := counts.get((question, month)):
                result[code][month] = measure(answers)
    for (_question, month), answers in counts.items():
        # like the recompute: the best-answered question's count stands for the period's responses
        current = result["survey_responses"].get(month, 0.0)
        result["survey_responses"][month] = max(current, float(sum(answers.values())))
    return result
