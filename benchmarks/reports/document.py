"""A comparison report as plain values: every figure formatted, every chart drawn, every state decided.

Figures come from the precomputed positions (`positions.list_positions`, the same rows the positions API
serves) and the charts from the dashboard's rows (`dashboard.build_dashboard`), so the PDF and the screen
share one code path. A suppressed cohort cell contributes its reason and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from benchmarks.dashboard import charts
from benchmarks.dashboard.display import format_value, ordinal
from benchmarks.dashboard.rows import Dashboard, MetricRow, RowState, build_dashboard
from benchmarks.engine.cohorts import CohortLevel
from benchmarks.engine.positions import MetricPosition, PositionsView, list_positions
from benchmarks.engine.statistics import SUPPRESSED_REASON
from benchmarks.engine.windows import Window, quarter_of, shift_period
from benchmarks.metrics.catalogue import AREAS, METRICS_BY_CODE, Direction, Metric, direction_text
from benchmarks.reports.summary import (
    ExecutiveSummary,
    Methodology,
    ProfileBlock,
    SurveyDetail,
    build_methodology,
    build_profiles,
    build_summary,
    build_survey_detail,
    cohort_size_text,
)
from tenants.branding import Branding
from tenants.models import Organisation

Progress = Callable[[float, str], None]
TREND_QUARTERS = 6
TREND_METRICS: dict[str, tuple[str, ...]] = {
    "experience": ("nps", "csat_pct", "ces_avg", "lost_hours_per_ticket"),
    "operations": ("fcr_rate", "first_time_fix_rate", "cost_per_ticket", "mttr_hours"),
}
TREND_WIDTH, TREND_HEIGHT = 320, 170


@dataclass(frozen=True)
class CohortInfo:
    level: CohortLevel
    label: str  # "Same industry: Retail"
    short: str  # "Same industry"
    size_text: str  # "up to 42 organisations" or the suppression reason


@dataclass(frozen=True)
class CohortLine:
    """One metric in one cohort: the API's figures, formatted, and the dashboard's chart."""

    cohort: str
    state: RowState
    value_text: str
    quartile_text: str  # "Q3", or "" for descriptive metrics and missing values
    badge_svg: str | None
    rank_text: str
    p25_text: str
    median_text: str
    p75_text: str
    n_text: str
    reading_text: str
    chart_svg: str | None
    message: str | None

    @property
    def shown(self) -> bool:
        return self.state in (RowState.POSITIONED, RowState.COHORT_ONLY)


@dataclass(frozen=True)
class MetricBlock:
    code: str
    name: str
    unit: str
    description: str
    direction: str
    value_text: str
    sparkline_svg: str
    lines: list[CohortLine]


@dataclass(frozen=True)
class Trend:
    title: str
    svg: str


@dataclass(frozen=True)
class AreaSection:
    key: str
    title: str
    intro: str
    metrics: list[MetricBlock]
    mixes: list[tuple[str, str]]  # (cohort label, stacked bars SVG)
    trends: list[Trend]

    @property
    def anchor(self) -> str:
        return f"section-{self.key.replace('_', '-')}"


@dataclass(frozen=True)
class ReportDocument:
    title: str
    subject: str
    org_name: str
    window: Window
    cohorts: list[CohortInfo]
    paper_size: str  # CSS page size: A4 or letter
    generated_at: datetime
    data_as_of: datetime | None
    branding: Branding
    summary: ExecutiveSummary
    survey: SurveyDetail
    sections: list[AreaSection]
    profiles: list[ProfileBlock]
    methodology: Methodology

    @property
    def keywords(self) -> str:
        return ", ".join(["benchmark", "service desk", self.window.code, *(c.short for c in self.cohorts)])


def build_document(
    session: Session,
    org: Organisation,
    window: Window,
    levels: list[CohortLevel],
    *,
    branding: Branding,
    paper_size: str,
    now: datetime,
    progress: Progress | None = None,
) -> ReportDocument:
    """Everything the report shows, read once: positions and dashboard rows per cohort, own survey detail."""
    step = progress or (lambda _fraction, _message: None)
    views: list[PositionsView] = []
    boards: list[Dashboard] = []
    for i, level in enumerate(levels):
        step(0.05 + 0.3 * i / len(levels), f"Reading positions: {level.label}")
        views.append(list_positions(session, org, window, level))
        boards.append(
            build_dashboard(session, org, window, level, today=now.date(), primary=branding.primary)
        )
    step(0.35, "Drawing trends")
    cohorts = [
        CohortInfo(v.level, _cohort_label(v), v.level.label, cohort_size_text(v.positions)) for v in views
    ]
    trends = _trend_positions(session, org, window, levels[0])
    sections = [
        _section(key, title, intro, views, boards, cohorts, trends, branding.primary)
        for key, title, intro in AREAS
    ]
    step(0.45, "Summarising")
    summary = build_summary(session, org, window, views, boards, cohorts=[c.label for c in cohorts])
    title = f"{org.name}: service desk benchmark, {window.label}"
    return ReportDocument(
        title=title,
        subject=f"Where {org.name} sits against its peers ({', '.join(c.label for c in cohorts)}), "
        f"{window.label}",
        org_name=org.name,
        window=window,
        cohorts=cohorts,
        paper_size=paper_size,
        generated_at=now,
        data_as_of=views[0].computed_at,
        branding=branding,
        summary=summary,
        survey=build_survey_detail(session, org, window, primary=branding.primary),
        sections=sections,
        profiles=build_profiles(session, org, levels, [c.label for c in cohorts], primary=branding.primary),
        methodology=build_methodology(window, views, [c.label for c in cohorts]),
    )


def _cohort_label(view: PositionsView) -> str:
    if not view.level.dimensions:
        return view.level.label
    return f"{view.level.label}: {view.cohort.label}"


def _section(
    key: str,
    title: str,
    intro: str,
    views: list[PositionsView],
    boards: list[Dashboard],
    cohorts: list[CohortInfo],
    trends: dict[str, tuple[list[str], list[float | None], list[float | None]]],
    primary: str,
) -> AreaSection:
    rows = [{r.code: r for s in board.sections for r in s.rows} for board in boards]
    positions = [view.by_code() for view in views]
    codes = [r.code for s in boards[0].sections if s.key == key for r in s.rows]
    metrics = [_metric_block(code, rows, positions, cohorts) for code in codes]
    mixes = [
        (cohort.short, s.mix_svg)
        for board, cohort in zip(boards, cohorts, strict=True)
        for s in board.sections
        if s.key == key and s.mix_svg
    ]
    charts_ = [
        _trend_chart(METRICS_BY_CODE[code], *trends[code], primary=primary)
        for code in TREND_METRICS.get(key, ())
        if code in trends
    ]
    return AreaSection(key, title, intro, metrics, mixes, charts_)


def _metric_block(
    code: str,
    rows: list[dict[str, MetricRow]],
    positions: list[dict[str, MetricPosition]],
    cohorts: list[CohortInfo],
) -> MetricBlock:
    first = rows[0][code]
    metric = METRICS_BY_CODE[code]
    lines = [
        _line(cohort.short, by_code[code], position[code])
        for cohort, by_code, position in zip(cohorts, rows, positions, strict=True)
    ]
    return MetricBlock(
        code,
        first.name,
        first.unit,
        metric.description,
        direction_text(metric.direction),
        first.value_text,
        first.sparkline_svg,
        lines,
    )


def _line(cohort: str, row: MetricRow, position: MetricPosition) -> CohortLine:
    metric, figures = position.metric, position.cohort
    published = row.state in (RowState.POSITIONED, RowState.COHORT_ONLY) and figures is not None
    descriptive = metric.direction is Direction.DESCRIPTIVE
    positioned = row.state is RowState.POSITIONED and position.quartile is not None
    return CohortLine(
        cohort=cohort,
        state=row.state,
        value_text=format_value(metric, position.value),
        quartile_text=f"Q{position.quartile}" if positioned and not descriptive else "",
        badge_svg=row.badge_svg,
        rank_text=ordinal(position.rank) if positioned and position.rank is not None else "",
        p25_text=format_value(metric, figures.p25) if published and figures else "",
        median_text=format_value(metric, figures.median) if published and figures else "",
        p75_text=format_value(metric, figures.p75) if published and figures else "",
        n_text=str(figures.n) if published and figures else "",
        reading_text=row.reading_text or "",
        chart_svg=row.chart_svg if published else None,
        message=(f"Suppressed: {SUPPRESSED_REASON}" if row.state is RowState.SUPPRESSED else row.message),
    )


# -- trends over quarters ---------------------------------------------------------------------------------


def trend_quarters(window: Window) -> list[Window]:
    """The six calendar quarters ending with the one holding the window's last month, oldest first."""
    last = quarter_of(window.last)
    return [quarter_of(shift_period(last.first, -3 * i)) for i in reversed(range(TREND_QUARTERS))]


def _trend_positions(
    session: Session, org: Organisation, window: Window, level: CohortLevel
) -> dict[str, tuple[list[str], list[float | None], list[float | None]]]:
    """metric -> (quarter codes, your value, cohort median) from each quarter's published positions."""
    quarters = trend_quarters(window)
    views = [list_positions(session, org, q, level).by_code() for q in quarters]
    result = {}
    for codes in TREND_METRICS.values():
        for code in codes:
            yours = [v[code].value for v in views]
            medians = [v[code].cohort.median if v[code].cohort else None for v in views]
            if any(x is not None for x in yours + medians):
                result[code] = ([q.code for q in quarters], yours, medians)
    return result


def _trend_chart(
    metric: Metric,
    periods: list[str],
    yours: list[float | None],
    medians: list[float | None],
    *,
    primary: str,
) -> Trend:
    svg = charts.trend_lines(
        periods,
        [("You", yours), ("Cohort median", medians)],
        unit="" if metric.unit in ("score", "count") else metric.unit,
        width=TREND_WIDTH,
        height=TREND_HEIGHT,
        primary=primary,
    )
    return Trend(f"{metric.name} by quarter", svg)
