"""Poll results: n, counts and shares with Wilson margins, NPS/CSAT/CES summaries, suppressed cross-tabs.

Shares are of the respondents who answered the question (a multiple-choice question's shares may add up to
more than 100). A cross-tab cell, or a whole profile group, of fewer than 5 respondents shows no figure.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import distinct, func
from sqlalchemy.orm import Session, aliased

from benchmarks.dashboard import charts
from benchmarks.polls.library import QuestionSpec, spec_of
from benchmarks.polls.models import Poll, PollAnswer, PollQuestion, PollResponse, QuestionKind
from benchmarks.surveys import measures
from core.db import for_org

MIN_CELL = 5  # cross-tab cells and groups under this many respondents are suppressed
SUPPRESSED = "<5"

Summary = measures.NpsResult | measures.CsatResult | measures.CesResult


@dataclass(frozen=True, slots=True)
class ShareRow:
    code: str
    label: str
    count: int
    pct: float | None
    margin: float | None  # half the Wilson interval, percentage points


@dataclass(frozen=True, slots=True)
class QuestionResult:
    spec: QuestionSpec
    n: int  # respondents who answered it
    rows: tuple[ShareRow, ...]  # empty for free text
    summary: Summary | None  # NPS, CSAT or CES for those library questions
    texts: tuple[str, ...]  # free-text answers, alphabetical (never in arrival order)


@dataclass(frozen=True, slots=True)
class CrossTabCell:
    count: int | None  # None: suppressed
    pct: float | None

    @property
    def suppressed(self) -> bool:
        return self.count is None


@dataclass(frozen=True, slots=True)
class CrossTabGroup:
    code: str
    label: str
    n: int | None  # None: fewer than 5 respondents, suppressed


@dataclass(frozen=True, slots=True)
class CrossTab:
    question: QuestionSpec
    groups: tuple[CrossTabGroup, ...]
    rows: tuple[tuple[str, tuple[CrossTabCell, ...]], ...]  # (option label, a cell per group)


@dataclass(frozen=True, slots=True)
class PollResults:
    poll_id: int
    title: str
    responses: int
    latest_day: date | None
    questions: tuple[QuestionResult, ...]
    profile: tuple[QuestionSpec, ...]  # the profile questions a cross-tab may be made by
    by: QuestionSpec | None = None
    crosstabs: tuple[CrossTab, ...] = ()


def poll_results(session: Session, poll: Poll, *, by: str | None = None) -> PollResults:
    """Everything the results page, the API and the exports show; `by` names a profile dimension."""
    specs = [spec_of(q) for q in poll.questions]
    answers = for_org(PollAnswer, poll.org_id).join(PollQuestion, PollQuestion.id == PollAnswer.question_id)
    answers = answers.where(PollQuestion.poll_id == poll.id)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for qid, choice, count in session.execute(
        answers.with_only_columns(PollAnswer.question_id, PollAnswer.choice, func.count())
        .where(PollAnswer.choice.is_not(None))
        .group_by(PollAnswer.question_id, PollAnswer.choice)
    ):
        counts[qid][choice] = count
    respondents = dict(
        session.execute(
            answers.with_only_columns(
                PollAnswer.question_id, func.count(distinct(PollAnswer.response_id))
            ).group_by(PollAnswer.question_id)
        ).all()
    )
    texts: dict[int, list[str]] = defaultdict(list)
    for qid, text in session.execute(
        answers.with_only_columns(PollAnswer.question_id, PollAnswer.text).where(PollAnswer.text.is_not(None))
    ):
        texts[qid].append(text)
    latest = session.scalar(
        for_org(PollResponse, poll.org_id)
        .with_only_columns(func.max(PollResponse.submitted_on))
        .where(PollResponse.poll_id == poll.id)
    )
    questions = tuple(
        _question_result(spec, counts.get(spec.id, {}), respondents.get(spec.id, 0), texts.get(spec.id, []))
        for spec in specs
    )
    profile = tuple(s for s in specs if s.kind is QuestionKind.PROFILE)
    by_spec = next((s for s in profile if s.library == by), None)
    crosstabs = _crosstabs(session, poll, specs, by_spec) if by_spec else ()
    return PollResults(
        poll.id, poll.title, poll.response_count, latest, questions, profile, by_spec, crosstabs
    )


def _question_result(spec: QuestionSpec, counts: dict[str, int], n: int, texts: list[str]) -> QuestionResult:
    if spec.kind is QuestionKind.TEXT:
        return QuestionResult(spec, n, (), None, tuple(sorted(texts, key=str.casefold)))
    shares = measures.answer_shares(
        {code: c for code, c in counts.items() if code in spec.codes},
        spec.codes,
        respondents=n if spec.kind is QuestionKind.MULTIPLE else None,
    )
    rows = tuple(
        ShareRow(share.answer, spec.label_of(share.answer), share.count, share.pct, share.margin)
        for share in shares.shares
    )
    return QuestionResult(spec, n, rows, _summary(spec, counts, n), ())


def _summary(spec: QuestionSpec, counts: dict[str, int], n: int) -> Summary | None:
    if n == 0 or spec.library not in ("nps", "csat", "ces"):
        return None
    measure = {"nps": measures.nps, "csat": measures.csat, "ces": measures.ces}[spec.library]
    return measure(counts)


def _crosstabs(
    session: Session, poll: Poll, specs: list[QuestionSpec], by: QuestionSpec
) -> tuple[CrossTab, ...]:
    grouping = aliased(PollAnswer)
    joined = (
        for_org(PollAnswer, poll.org_id)
        .join(grouping, grouping.response_id == PollAnswer.response_id)
        .where(grouping.question_id == by.id, grouping.org_id == poll.org_id, PollAnswer.choice.is_not(None))
    )
    cells: dict[tuple[int, str, str], int] = {}
    for qid, group, choice, count in session.execute(
        joined.with_only_columns(
            PollAnswer.question_id, grouping.choice, PollAnswer.choice, func.count()
        ).group_by(PollAnswer.question_id, grouping.choice, PollAnswer.choice)
    ):
        cells[(qid, group, choice)] = count
    group_n: dict[tuple[int, str], int] = {
        (qid, group): n
        for qid, group, n in session.execute(
            joined.with_only_columns(
                PollAnswer.question_id, grouping.choice, func.count(distinct(PollAnswer.response_id))
            ).group_by(PollAnswer.question_id, grouping.choice)
        )
    }
    tables = []
    for spec in specs:
        if spec.kind in (QuestionKind.TEXT, QuestionKind.PROFILE):
            continue
        tables.append(
            _crosstab(
                spec,
                by,
                {(g, c): n for (q, g, c), n in cells.items() if q == spec.id},
                {g: n for (q, g), n in group_n.items() if q == spec.id},
            )
        )
    return tuple(tables)


def _crosstab(
    spec: QuestionSpec, by: QuestionSpec, cells: dict[tuple[str, str], int], group_n: dict[str, int]
) -> CrossTab:
    groups = tuple(
        CrossTabGroup(o.code, o.label, n if (n := group_n.get(o.code, 0)) >= MIN_CELL else None)
        for o in by.options
        if group_n.get(o.code, 0) > 0
    )
    columns = [_column(spec, cells, group) for group in groups]
    rows = tuple(
        (option.label, tuple(column[i] for column in columns)) for i, option in enumerate(spec.options)
    )
    return CrossTab(spec, groups, rows)


def _column(
    spec: QuestionSpec, cells: dict[tuple[str, str], int], group: CrossTabGroup
) -> list[CrossTabCell]:
    """One group's cells: counts of 1-4 suppressed, and one more when a lone suppressed count could be
    recovered by subtracting the others from the group's n."""
    if group.n is None:
        return [CrossTabCell(None, None) for _ in spec.options]
    counts = [cells.get((group.code, option.code), 0) for option in spec.options]
    hidden = {i for i, c in enumerate(counts) if 0 < c < MIN_CELL}
    if len(hidden) == 1 and spec.kind is not QuestionKind.MULTIPLE and len(counts) > 1:
        others = [i for i in range(len(counts)) if i not in hidden]
        hidden.add(min(others, key=lambda i: counts[i]))
    return [
        CrossTabCell(None, None) if i in hidden else CrossTabCell(c, 100.0 * c / group.n)
        for i, c in enumerate(counts)
    ]


def result_charts(results: PollResults) -> dict[int, str]:
    """A bar chart per answered choice question (SVG we generate: safe to inline)."""
    return {
        q.spec.id: charts.answer_bars([(r.label, r.pct or 0.0, r.margin) for r in q.rows])
        for q in results.questions
        if q.rows and q.n > 0
    }
