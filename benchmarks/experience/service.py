"""A tenant's own survey results per period (NPS, CSAT, CES with margins, breakdowns), its profile answers
and XLA targets. Only the organisation's own rows are read here; cohort figures come from the recompute."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from benchmarks.engine.cohorts import CohortLevel, cohort_key_for
from benchmarks.engine.models import ProfileDistribution
from benchmarks.engine.positions import own_monthly_values
from benchmarks.engine.statistics import SUPPRESSED_REASON
from benchmarks.experience.models import XlaComparator, XlaTarget
from benchmarks.metrics.catalogue import METRICS_BY_CODE, PROFILE_QUESTIONS, QUESTIONS_BY_CODE, Direction
from benchmarks.surveys.measures import MIN_SURVEY_RESPONSES, CesResult, CsatResult, NpsResult, ces, csat, nps
from benchmarks.surveys.models import ProfileAnswer, SurveyCount
from core.db import for_org
from core.errors import InvalidInput, NotFound
from tenants.models import Organisation, User

XLA_METRICS = (
    "nps",
    "csat_pct",
    "ces_avg",
    "lost_hours_per_ticket",
    "lost_hours_per_user",
    "fcr_rate",
    "sla_resolution_rate",
    "survey_response_rate",
)


@dataclass(frozen=True)
class Experience:
    """NPS, CSAT and CES of one slice of answers (a period, or a channel or segment within it)."""

    label: str
    nps: NpsResult | None
    csat: CsatResult | None
    ces: CesResult | None

    @property
    def n(self) -> int:
        return max((r.n for r in (self.nps, self.csat, self.ces) if r is not None), default=0)

    @property
    def indicative(self) -> bool:
        return self.n < MIN_SURVEY_RESPONSES

    def measure(self, metric: str) -> float | None:
        if metric == "nps" and self.nps:
            return self.nps.score
        if metric == "csat_pct" and self.csat:
            return self.csat.pct
        if metric == "ces_avg" and self.ces:
            return self.ces.mean
        return None


@dataclass(frozen=True)
class PeriodExperience:
    period: str
    total: Experience
    by_channel: list[Experience]
    by_segment: list[Experience]


def _experience(label: str, counts: dict[str, dict[str, int]]) -> Experience:
    return Experience(
        label,
        nps(counts["nps"]) if counts.get("nps") else None,
        csat(counts["csat"]) if counts.get("csat") else None,
        ces(counts["ces"]) if counts.get("ces") else None,
    )


def experience_by_period(
    session: Session, org: Organisation, periods: list[str] | None = None
) -> list[PeriodExperience]:
    """Per period, newest first: the organisation's NPS, CSAT and CES with margins, and their breakdowns."""
    query = for_org(SurveyCount, org.id).where(SurveyCount.question.in_(("nps", "csat", "ces")))
    if periods is not None:
        query = query.where(SurveyCount.period.in_(periods))
    total: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    channel: dict[tuple[str, str], dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    segment: dict[tuple[str, str], dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for row in session.scalars(query):
        for bucket, key in (
            (total, row.period),
            (channel, (row.period, row.channel)),
            (segment, (row.period, row.segment)),
        ):
            answers = bucket[key][row.question]
            answers[row.answer] = answers.get(row.answer, 0) + row.count
    result = []
    for period in sorted(total, reverse=True):
        result.append(
            PeriodExperience(
                period,
                _experience("All answers", total[period]),
                [_experience(c, counts) for (p, c), counts in sorted(channel.items()) if p == period and c],
                [_experience(s, counts) for (p, s), counts in sorted(segment.items()) if p == period and s],
            )
        )
    return result


# --- profile questions -----------------------------------------------------------------------------------


def list_profile_answers(session: Session, org: Organisation) -> dict[str, ProfileAnswer]:
    return {a.question: a for a in session.scalars(for_org(ProfileAnswer, org.id))}


def set_profile_answer(
    session: Session, org: Organisation, user: User | None, question: str, answer: str, *, now: datetime
) -> ProfileAnswer:
    spec = QUESTIONS_BY_CODE.get(question)
    if spec is None or not spec.profile:
        raise InvalidInput(
            f"'{question}' is not a profile question.", [{"field": "question", "message": "unknown"}]
        )
    if answer not in spec.options:
        raise InvalidInput(
            f"'{answer}' is not an answer to {question}.",
            [{"field": "answer", "message": "one of " + ", ".join(spec.options)}],
        )
    existing = session.scalar(for_org(ProfileAnswer, org.id).where(ProfileAnswer.question == question))
    if existing is None:
        existing = ProfileAnswer(org_id=org.id, question=question, answer=answer)
        session.add(existing)
    existing.answer = answer
    existing.answered_at = now
    existing.answered_by_id = user.id if user else None
    session.flush()
    return existing


@dataclass(frozen=True)
class AnswerShareRow:
    answer: str
    organisations: int
    pct: float
    mine: bool


@dataclass(frozen=True)
class ProfileCohort:
    question: str
    text: str
    level: CohortLevel
    respondents: int | None  # organisations of the cell that answered; None when suppressed
    rows: list[AnswerShareRow]
    reason: str | None
    own_answer: str | None


def profile_cohorts(session: Session, org: Organisation, level: CohortLevel) -> list[ProfileCohort]:
    """How the organisation's cohort answered each profile question, its own answer marked."""
    key = cohort_key_for(level, org.industry, org.size_band, org.region).code
    own = list_profile_answers(session, org)
    stored: dict[str, list[ProfileDistribution]] = defaultdict(list)
    for row in session.scalars(select(ProfileDistribution).where(ProfileDistribution.cohort_key == key)):
        stored[row.question].append(row)
    result = []
    for question in PROFILE_QUESTIONS:
        rows = stored.get(question.code, [])
        mine = own[question.code].answer if question.code in own else None
        if not rows or rows[0].suppressed:
            result.append(
                ProfileCohort(question.code, question.text, level, None, [], SUPPRESSED_REASON, mine)
            )
            continue
        respondents = rows[0].respondents or 0
        by_answer = {r.answer: r.organisations or 0 for r in rows}
        shares = [
            AnswerShareRow(a, by_answer.get(a, 0), 100.0 * by_answer.get(a, 0) / respondents, a == mine)
            for a in question.options
        ]
        result.append(ProfileCohort(question.code, question.text, level, respondents, shares, None, mine))
    return result


# --- XLA targets -----------------------------------------------------------------------------------------


def list_xla_targets(session: Session, org: Organisation) -> list[XlaTarget]:
    return list(session.scalars(for_org(XlaTarget, org.id).order_by(XlaTarget.metric)))


def set_xla_target(
    session: Session,
    org: Organisation,
    user: User | None,
    metric: str,
    target: float,
    comparator: str | None = None,
    *,
    now: datetime,
) -> XlaTarget:
    if metric not in XLA_METRICS:
        raise InvalidInput(
            f"'{metric}' cannot carry an XLA target.",
            [{"field": "metric", "message": "one of " + ", ".join(XLA_METRICS)}],
        )
    spec = METRICS_BY_CODE[metric]
    if not spec.in_range(target):
        raise InvalidInput(
            f"The target must lie between {spec.minimum:g} and {spec.maximum:g}.",
            [{"field": "target", "message": "out of range"}],
        )
    natural = XlaComparator.AT_MOST if spec.direction is Direction.LOWER_IS_BETTER else XlaComparator.AT_LEAST
    existing = session.scalar(for_org(XlaTarget, org.id).where(XlaTarget.metric == metric))
    if existing is None:
        existing = XlaTarget(org_id=org.id, metric=metric)
        session.add(existing)
    existing.target = target
    existing.comparator = XlaComparator(comparator) if comparator else natural
    existing.created_by_id = user.id if user else None
    existing.created_at = now
    session.flush()
    return existing


def delete_xla_target(session: Session, org: Organisation, metric: str) -> None:
    deleted = session.execute(
        delete(XlaTarget).where(XlaTarget.org_id == org.id, XlaTarget.metric == metric)
    ).rowcount
    if not deleted:
        raise NotFound("No such target.")


@dataclass(frozen=True)
class XlaStatus:
    target: XlaTarget
    period: str
    value: float | None
    met: bool | None  # None: no value that period


def xla_status(
    targets: list[XlaTarget], values: dict[str, dict[str, float]], periods: list[str]
) -> list[XlaStatus]:
    """Met / missed per target and period, from the organisation's own values (metric -> period -> value)."""
    return [
        XlaStatus(
            t,
            p,
            values.get(t.metric, {}).get(p),
            None if values.get(t.metric, {}).get(p) is None else t.is_met(values[t.metric][p]),
        )
        for t in targets
        for p in periods
    ]


def own_period_values(session: Session, org: Organisation, periods: list[str]) -> dict[str, dict[str, float]]:
    """metric -> period -> the organisation's own monthly value, survey measures included (>= 1 answer)."""
    values = own_monthly_values(session, org, periods)
    for period in experience_by_period(session, org, periods):
        for metric in ("nps", "csat_pct", "ces_avg"):
            measure = period.total.measure(metric)
            if measure is not None:
                values.setdefault(metric, {})[period.period] = measure
    return values
