"""The report's summary pages: the executive summary, the survey detail, profile answers and methodology.

Plain values only, formatted as the rest of the product formats them (`benchmarks.dashboard.display`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.orm import Session

from benchmarks.dashboard import charts
from benchmarks.dashboard.display import format_value, ordinal, reading_text
from benchmarks.dashboard.rows import Dashboard, QuartileCount
from benchmarks.engine.cohorts import CohortLevel
from benchmarks.engine.positions import NO_DATA_REASON, MetricPosition, PositionsView
from benchmarks.engine.statistics import MIN_COHORT, MIN_COHORT_FOR_DECILES, SUPPRESSED_REASON
from benchmarks.engine.windows import Window
from benchmarks.experience import service
from benchmarks.experience.models import XlaComparator
from benchmarks.metrics.catalogue import AREAS, METRICS, METRICS_BY_CODE, Direction, direction_text
from benchmarks.surveys.measures import MIN_SURVEY_RESPONSES, ces, csat, nps
from benchmarks.surveys.models import SurveyCount
from core.db import for_org
from tenants.models import Organisation

_AREA_TITLES = {key: title for key, title, _intro in AREAS}
HIGHLIGHTS = 3


# -- executive summary ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GlanceCell:
    quartile_text: str  # "Q4"; "" when there is no quartile
    badge_svg: str | None
    note: str  # "suppressed", "no data" or ""


@dataclass(frozen=True)
class GlanceRow:
    name: str
    area: str
    cells: list[GlanceCell]


@dataclass(frozen=True)
class Highlight:
    name: str
    value_text: str
    rank_text: str
    reading_text: str


@dataclass(frozen=True)
class XlaLine:
    metric: str
    target_text: str
    measured: int  # months of the window with a value
    met: int
    latest_text: str
    state: str  # met, missed, no-data (of the latest measured month)


@dataclass(frozen=True)
class ExecutiveSummary:
    headline: str
    quartile_counts: list[QuartileCount]
    glance: list[GlanceRow]
    strongest: list[Highlight]
    weakest: list[Highlight]
    watermelon: bool | None  # None: not assessable (a quartile is missing)
    watermelon_text: str
    xla: list[XlaLine]


def build_summary(
    session: Session,
    org: Organisation,
    window: Window,
    views: list[PositionsView],
    boards: list[Dashboard],
    *,
    cohorts: list[str],
) -> ExecutiveSummary:
    first = views[0]
    ranked = sorted(
        (p for p in first.positions if _is_verdict(p)), key=lambda p: (-(p.rank or 0), p.metric.name)
    )
    strongest = ranked[:HIGHLIGHTS]
    weakest = [p for p in reversed(ranked) if p not in strongest][:HIGHLIGHTS]
    counts = boards[0].summary
    judged = sum(c.count for c in counts)
    top = next(c.count for c in counts if c.quartile == 4)
    bottom = next(c.count for c in counts if c.quartile == 1)
    headline = (
        f"Against {cohorts[0]}, {top} of {judged} benchmarked metrics are in the top quartile and "
        f"{bottom} in the bottom quartile."
        if judged
        else f"No metric could be benchmarked against {cohorts[0]} in {window.label}."
    )
    watermelon, watermelon_text = _watermelon(first)
    return ExecutiveSummary(
        headline=headline,
        quartile_counts=counts,
        glance=_glance(views),
        strongest=[_highlight(p) for p in strongest],
        weakest=[_highlight(p) for p in weakest],
        watermelon=watermelon,
        watermelon_text=watermelon_text,
        xla=_xla(session, org, window),
    )


def _is_verdict(position: MetricPosition) -> bool:
    """A position with a better/worse reading: a published cell, a value, a direction."""
    return (
        position.rank is not None
        and position.cohort is not None
        and position.metric.direction is not Direction.DESCRIPTIVE
    )


def _highlight(position: MetricPosition) -> Highlight:
    assert position.rank is not None
    assert position.gap is not None
    return Highlight(
        position.metric.name,
        format_value(position.metric, position.value),
        ordinal(position.rank),
        reading_text(position.metric, position.gap),
    )


def _glance(views: list[PositionsView]) -> list[GlanceRow]:
    rows = []
    by_code = [v.by_code() for v in views]
    for metric in METRICS:
        if metric.direction is Direction.DESCRIPTIVE or metric.area not in ("experience", "operations"):
            continue
        cells = []
        for positions in by_code:
            p = positions[metric.code]
            if _is_verdict(p):
                cells.append(GlanceCell(f"Q{p.quartile}", charts.quartile_badge(p.quartile), ""))
            else:
                cells.append(GlanceCell("", None, "suppressed" if p.suppressed else "no data"))
        rows.append(GlanceRow(metric.name, _AREA_TITLES[metric.area], cells))
    return rows


def _watermelon(view: PositionsView) -> tuple[bool | None, str]:
    by_code = view.by_code()
    sla, nps_q, csat_q = (by_code[c].quartile for c in ("sla_resolution_rate", "nps", "csat_pct"))
    if sla is None or (nps_q is None and csat_q is None):
        return None, (
            "Not assessable: it needs SLA resolution and NPS or CSAT positioned in the same cohort."
        )
    if view.watermelon:
        return True, (
            "Watermelon: SLA resolution is in the top quartile while user experience (NPS or CSAT) is in "
            "the bottom quartile. Targets are met, users are unhappy."
        )
    return False, "No watermelon: SLA performance and user experience tell the same story."


def _xla(session: Session, org: Organisation, window: Window) -> list[XlaLine]:
    targets = service.list_xla_targets(session, org)
    if not targets:
        return []
    months = list(window.months)
    statuses = service.xla_status(targets, service.own_period_values(session, org, months), months)
    lines = []
    for target in targets:
        metric = METRICS_BY_CODE[target.metric]
        measured = [s for s in statuses if s.target is target and s.value is not None]
        sign = "\u2265" if target.comparator == XlaComparator.AT_LEAST else "\u2264"
        latest = measured[-1] if measured else None
        lines.append(
            XlaLine(
                metric.name,
                f"{sign} {format_value(metric, target.target)}",
                len(measured),
                sum(1 for s in measured if s.met),
                f"{format_value(metric, latest.value)} in {latest.period}" if latest else "no value",
                "no-data" if latest is None else ("met" if latest.met else "missed"),
            )
        )
    return lines


# -- survey detail (experience section) -------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyMeasure:
    name: str
    value_text: str
    margin_text: str
    n: int
    indicative: bool


@dataclass(frozen=True)
class SurveyDetail:
    measures: list[SurveyMeasure]
    split_svg: str | None  # promoters / passives / detractors as one stacked bar
    split_text: str


def build_survey_detail(session: Session, org: Organisation, window: Window, *, primary: str) -> SurveyDetail:
    """NPS, CSAT and CES from the organisation's answers pooled over the window (as the recompute pools)."""
    query = (
        for_org(SurveyCount, org.id)
        .with_only_columns(SurveyCount.question, SurveyCount.answer, func.sum(SurveyCount.count))
        .where(SurveyCount.period.in_(window.months), SurveyCount.question.in_(("nps", "csat", "ces")))
        .group_by(SurveyCount.question, SurveyCount.answer)
    )
    counts: dict[str, dict[str, int]] = {}
    for question, answer, count in session.execute(query):
        if count:
            counts.setdefault(question, {})[answer] = int(count)
    measures, split_svg, split_text = [], None, "No NPS answers in this window."
    if counts.get("nps"):
        result = nps(counts["nps"])
        measures.append(
            SurveyMeasure(
                "NPS",
                format_value(METRICS_BY_CODE["nps"], result.score),
                f"\u00b1{result.margin:.0f} points",
                result.n,
                result.is_indicative,
            )
        )
        split = [
            ("Promoters (9-10)", result.promoters_pct),
            ("Passives (7-8)", result.passives_pct),
            ("Detractors (0-6)", result.detractors_pct),
        ]
        split_svg = charts.stacked_bars([("Your answers", split)], width=560, primary=primary)
        split_text = (
            f"{result.promoters_pct:.1f}% promoters, {result.passives_pct:.1f}% passives, "
            f"{result.detractors_pct:.1f}% detractors of {result.n} answers."
        )
    if counts.get("csat"):
        result_csat = csat(counts["csat"])
        measures.append(
            SurveyMeasure(
                "CSAT",
                format_value(METRICS_BY_CODE["csat_pct"], result_csat.pct),
                f"{result_csat.interval.low:.1f}-{result_csat.interval.high:.1f}% (95%)",
                result_csat.n,
                result_csat.is_indicative,
            )
        )
    if counts.get("ces"):
        result_ces = ces(counts["ces"])
        margin = f"\u00b1{result_ces.margin:.2f}" if result_ces.margin is not None else "\u2013"
        measures.append(
            SurveyMeasure(
                "CES",
                format_value(METRICS_BY_CODE["ces_avg"], result_ces.mean),
                margin,
                result_ces.n,
                result_ces.is_indicative,
            )
        )
    return SurveyDetail(measures, split_svg, split_text)


# -- success indicators and other profile answers ---------------------------------------------------------


@dataclass(frozen=True)
class ProfileCohortChart:
    cohort: str
    svg: str | None
    respondents: int | None
    reason: str | None


@dataclass(frozen=True)
class ProfileBlock:
    question: str
    own_answer: str
    charts: list[ProfileCohortChart]


def answer_label(code: str | None) -> str:
    return code.replace("_", " ").capitalize() if code else "Not answered"


def build_profiles(
    session: Session, org: Organisation, levels: list[CohortLevel], labels: list[str], *, primary: str
) -> list[ProfileBlock]:
    """How each cohort answered the profile questions (success indicator first), own answer marked."""
    per_level = [service.profile_cohorts(session, org, level) for level in levels]
    blocks = []
    for i, first in enumerate(per_level[0]):
        cohort_charts = []
        for label, cohorts in zip(labels, per_level, strict=True):
            cohort = cohorts[i]
            if cohort.reason is not None or cohort.respondents is None:
                cohort_charts.append(
                    ProfileCohortChart(label, None, None, cohort.reason or SUPPRESSED_REASON)
                )
                continue
            bars = [
                (answer_label(r.answer) + (" (your answer)" if r.mine else ""), r.pct, None)
                for r in cohort.rows
            ]
            svg = charts.answer_bars(bars, width=300, primary=primary)
            cohort_charts.append(ProfileCohortChart(label, svg, cohort.respondents, None))
        blocks.append(ProfileBlock(first.text, answer_label(first.own_answer), cohort_charts))
    return blocks


# -- methodology ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Definition:
    name: str
    description: str
    unit: str
    direction: str


@dataclass(frozen=True)
class Omission:
    cohort: str
    suppressed: list[str]  # metric names whose cell has fewer than 5 organisations
    no_data: list[str]  # metrics you did not report in the window, with a published cell


@dataclass(frozen=True)
class Methodology:
    window_text: str
    cohort_sizes: list[tuple[str, str]]
    definitions: list[Definition]
    omissions: list[Omission]
    min_cohort: int
    min_deciles: int
    min_responses: int
    suppressed_reason: str


def cohort_size_text(positions: list[MetricPosition]) -> str:
    """The most organisations behind any published cell of the cohort; never a figure of a suppressed cell."""
    sizes = [p.cohort.n for p in positions if p.cohort is not None]
    if sizes:
        return f"up to {max(sizes)} organisations"
    if any(p.suppressed for p in positions):
        return SUPPRESSED_REASON
    return "no benchmarks in this window"


def build_methodology(window: Window, views: list[PositionsView], labels: list[str]) -> Methodology:
    months = window.months
    omissions = [
        Omission(
            label,
            [p.metric.name for p in view.positions if p.suppressed],
            [p.metric.name for p in view.positions if p.reason == NO_DATA_REASON],
        )
        for label, view in zip(labels, views, strict=True)
    ]
    return Methodology(
        window_text=f"{window.label}: {len(months)} months, {months[0]} to {months[-1]}",
        cohort_sizes=[
            (label, cohort_size_text(view.positions)) for label, view in zip(labels, views, strict=True)
        ],
        definitions=[Definition(m.name, m.description, m.unit, direction_text(m.direction)) for m in METRICS],
        omissions=omissions,
        min_cohort=MIN_COHORT,
        min_deciles=MIN_COHORT_FOR_DECILES,
        min_responses=MIN_SURVEY_RESPONSES,
        suppressed_reason=SUPPRESSED_REASON,
    )
