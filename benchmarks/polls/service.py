"""Poll operations: build, open and close, find by public token, accept an anonymous response. No Flask.

Callers own the transaction (operations flush, never commit) and pass the time in.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_, update
from sqlalchemy.orm import Session, joinedload, selectinload

from benchmarks.polls.library import (
    LIBRARY_CODES,
    PROFILE_DIMENSIONS,
    QuestionSpec,
    library_kind,
    spec_of,
)
from benchmarks.polls.models import (
    Poll,
    PollAnswer,
    PollLink,
    PollQuestion,
    PollResponse,
    PollStatus,
    QuestionKind,
)
from core.db import for_org, scope_to_org
from core.errors import Conflict, InvalidInput, NotFound
from tenants import audit
from tenants.models import Organisation, User

POLL_CREATED, POLL_OPENED, POLL_CLOSED = "poll.created", "poll.opened", "poll.closed"
TOKEN_BYTES = 32  # 256 bits: the link is the only key to the public page
MAX_QUESTIONS = 50
MAX_OPTIONS = 20
MAX_TEXT_ANSWER = 2000
CUSTOM_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.SCALE, QuestionKind.TEXT)


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()  # Any: stands in for any field's type in PollChanges
PlanCheck = Callable[[int], None]  # billing: raises unless the plan allows this many open polls


@dataclass(frozen=True, slots=True)
class QuestionDraft:
    """A question to add: a library code, or custom text with a kind and options."""

    library: str | None = None
    text: str | None = None
    kind: QuestionKind = QuestionKind.SINGLE
    options: tuple[str, ...] = ()
    scale_max: int | None = None
    required: bool = True


@dataclass(frozen=True, slots=True)
class PollDraft:
    title: str
    intro: str = ""
    questions: tuple[QuestionDraft, ...] = ()
    profile: tuple[str, ...] = ()  # respondent profile dimensions: industry, size, region
    closes_at: datetime | None = None
    response_cap: int | None = None
    one_per_browser: bool = True
    show_results_after: bool = False
    public_results: bool = False


@dataclass(frozen=True, slots=True)
class PollChanges:
    """A partial edit: fields left UNSET keep their value; `status` moves the poll through its life."""

    title: str = UNSET
    intro: str = UNSET
    questions: tuple[QuestionDraft, ...] = UNSET
    profile: tuple[str, ...] = UNSET
    closes_at: datetime | None = UNSET
    response_cap: int | None = UNSET
    one_per_browser: bool = UNSET
    show_results_after: bool = UNSET
    public_results: bool = UNSET
    status: PollStatus = UNSET

    def given(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not UNSET}


_SETTINGS = (
    "title",
    "intro",
    "closes_at",
    "response_cap",
    "one_per_browser",
    "show_results_after",
    "public_results",
)


# -- validation rules shared by the API schema and the builder form ----------------------------------------


def question_problems(draft: QuestionDraft) -> dict[str, str]:
    """What is wrong with a question draft, by field name; empty when it is fine."""
    if draft.library is not None:
        if draft.library not in LIBRARY_CODES:
            return {"library": f"Not a library question; choose one of {', '.join(LIBRARY_CODES)}."}
        return {}
    problems: dict[str, str] = {}
    if not (draft.text or "").strip():
        problems["text"] = "Give the question's text (or a library code)."
    elif len(draft.text or "") > 500:
        problems["text"] = "At most 500 characters."
    if draft.kind not in CUSTOM_KINDS:
        problems["type"] = "Choose single, multiple, scale or text."
    elif draft.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        options = [o.strip() for o in draft.options]
        if len(options) < 2 or len(options) > MAX_OPTIONS:
            problems["options"] = f"Give between 2 and {MAX_OPTIONS} options."
        elif any(not o for o in options):
            problems["options"] = "An option is empty."
        elif any(len(o) > 200 for o in options):
            problems["options"] = "An option is longer than 200 characters."
        elif len({o.casefold() for o in options}) != len(options):
            problems["options"] = "Two options are the same."
    elif draft.options:
        problems["options"] = f"A {draft.kind} question takes no options."
    scale_ok = draft.scale_max is not None and 2 <= draft.scale_max <= 10
    if draft.kind is QuestionKind.SCALE and not scale_ok:
        problems["scale_max"] = "A scale runs from 1 to between 2 and 10."
    return problems


def profile_problems(profile: Sequence[str]) -> str | None:
    unknown = [code for code in profile if code not in PROFILE_DIMENSIONS]
    if unknown:
        return f"Unknown profile question {unknown[0]!r}; choose from {', '.join(PROFILE_DIMENSIONS)}."
    return None


def _check_draft(questions: Sequence[QuestionDraft], profile: Sequence[str]) -> None:
    details = [
        {"field": f"questions[{i}].{name}", "message": message}
        for i, draft in enumerate(questions)
        for name, message in question_problems(draft).items()
    ]
    if len(questions) > MAX_QUESTIONS:
        details.append({"field": "questions", "message": f"At most {MAX_QUESTIONS} questions."})
    if (problem := profile_problems(profile)) is not None:
        details.append({"field": "profile", "message": problem})
    if details:
        raise InvalidInput("The poll is not valid.", details)


# -- building ----------------------------------------------------------------------------------------------


def create_poll(
    session: Session, org: Organisation, user: User | None, draft: PollDraft, *, now: datetime
) -> Poll:
    """A new draft poll with its unguessable public link."""
    _check_draft(draft.questions, draft.profile)
    poll = Poll(
        org_id=org.id,
        title=draft.title.strip(),
        intro=draft.intro.strip(),
        status=PollStatus.DRAFT,
        closes_at=draft.closes_at,
        response_cap=draft.response_cap,
        one_per_browser=draft.one_per_browser,
        show_results_after=draft.show_results_after,
        public_results=draft.public_results,
        created_by_id=user.id if user else None,
        created_at=now,
    )
    poll.link = PollLink(token=secrets.token_urlsafe(TOKEN_BYTES), org_id=org.id)
    session.add(poll)
    _replace_questions(poll, draft.questions, draft.profile)
    session.flush()
    audit.record(session, POLL_CREATED, org_id=org.id, user=user, poll_id=poll.id, title=poll.title[:200])
    return poll


def update_poll(
    session: Session,
    org: Organisation,
    poll: Poll,
    changes: PollChanges,
    *,
    now: datetime,
    user: User | None = None,
    plan_check: PlanCheck | None = None,
) -> Poll:
    """Edit a draft and/or move its status; anything but a status change needs a draft (409 otherwise)."""
    given = changes.given()
    status = given.pop("status", None)
    if given:
        if not poll.is_draft:
            raise Conflict("Only a draft poll can be edited; this one is " + str(poll.status) + ".")
        questions = given.pop("questions", None)
        profile = given.pop("profile", None)
        if questions is not None or profile is not None:
            questions = questions if questions is not None else tuple(_drafts_of(poll))
            profile = profile if profile is not None else profile_of(poll)
            _check_draft(questions, profile)
            _replace_questions(poll, questions, profile)
        for name, value in given.items():
            setattr(poll, name, value.strip() if isinstance(value, str) else value)
    if status is not None and status != poll.status:
        if status == PollStatus.OPEN:
            open_poll(session, org, poll, now=now, user=user, plan_check=plan_check)
        elif status == PollStatus.CLOSED:
            close_poll(session, poll, now=now, user=user)
        else:
            raise Conflict("A poll that was opened cannot go back to draft.")
    session.flush()
    return poll


def add_question(session: Session, poll: Poll, draft: QuestionDraft) -> PollQuestion:
    _require_draft(poll)
    asked = [q for q in poll.questions if q.kind != QuestionKind.PROFILE]
    _check_draft([*_drafts_of(poll), draft], profile_of(poll))
    question = _question_of(poll, draft, position=len(asked))
    poll.questions.insert(len(asked), question)
    _renumber(poll)
    session.flush()
    return question


def remove_question(session: Session, poll: Poll, question_id: int) -> None:
    _require_draft(poll)
    question = _question(poll, question_id)
    poll.questions.remove(question)
    _renumber(poll)
    session.flush()


def move_question(session: Session, poll: Poll, question_id: int, offset: int) -> None:
    """Move a question up (offset -1) or down (+1) among the asked questions; the ends stay put."""
    _require_draft(poll)
    asked = [q for q in poll.questions if q.kind != QuestionKind.PROFILE]
    question = _question(poll, question_id)
    if question not in asked:
        raise NotFound("No such question.")
    index = asked.index(question)
    target = min(max(index + offset, 0), len(asked) - 1)
    asked.insert(target, asked.pop(index))
    poll.questions[: len(asked)] = asked
    _renumber(poll)
    session.flush()


def set_profile(session: Session, poll: Poll, profile: Sequence[str]) -> None:
    _require_draft(poll)
    _check_draft([], profile)
    _replace_questions(poll, tuple(_drafts_of(poll)), tuple(profile))
    session.flush()


def profile_of(poll: Poll) -> tuple[str, ...]:
    return tuple(q.library or "" for q in poll.questions if q.kind == QuestionKind.PROFILE)


def asked_questions(poll: Poll) -> list[PollQuestion]:
    return [q for q in poll.questions if q.kind != QuestionKind.PROFILE]


def _drafts_of(poll: Poll) -> list[QuestionDraft]:
    return [
        QuestionDraft(q.library, q.text, QuestionKind(q.kind), tuple(q.options), q.scale_max, q.required)
        for q in asked_questions(poll)
    ]


def _replace_questions(poll: Poll, questions: Sequence[QuestionDraft], profile: Sequence[str]) -> None:
    # profile questions come last ("about you"), in the dimensions' own order
    wanted = [code for code in PROFILE_DIMENSIONS if code in profile]
    poll.questions[:] = [
        *(_question_of(poll, draft, position=i) for i, draft in enumerate(questions)),
        *(
            PollQuestion(
                org_id=poll.org_id,
                position=len(questions) + i,
                kind=QuestionKind.PROFILE,
                library=code,
                required=False,
            )
            for i, code in enumerate(wanted)
        ),
    ]


def _question_of(poll: Poll, draft: QuestionDraft, *, position: int) -> PollQuestion:
    if draft.library is not None:
        return PollQuestion(
            org_id=poll.org_id,
            position=position,
            kind=library_kind(draft.library),
            library=draft.library,
            required=draft.required,
            options=[],
        )
    kind = QuestionKind(draft.kind)
    return PollQuestion(
        org_id=poll.org_id,
        position=position,
        kind=kind,
        text=(draft.text or "").strip(),
        options=[o.strip() for o in draft.options]
        if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
        else [],
        scale_max=draft.scale_max if kind is QuestionKind.SCALE else None,
        required=draft.required and kind is not QuestionKind.TEXT,
    )


def _renumber(poll: Poll) -> None:
    for position, question in enumerate(poll.questions):
        question.position = position


def _question(poll: Poll, question_id: int) -> PollQuestion:
    question = next((q for q in poll.questions if q.id == question_id), None)
    if question is None:
        raise NotFound("No such question.")
    return question


def _require_draft(poll: Poll) -> None:
    if not poll.is_draft:
        raise Conflict(f"Only a draft poll can be edited; this one is {poll.status}.")


# -- life cycle --------------------------------------------------------------------------------------------


def open_poll(
    session: Session,
    org: Organisation,
    poll: Poll,
    *,
    now: datetime,
    user: User | None = None,
    plan_check: PlanCheck | None = None,
) -> Poll:
    """Open a draft (or reopen a closed poll) for responses.

    `plan_check(usage)`, when given, is the billing entitlement check for open polls (raises when the plan
    does not allow one more); the caller binds the organisation, settings and time.
    """
    if poll.status == PollStatus.OPEN:
        return poll
    if not asked_questions(poll):
        raise InvalidInput(
            "Add at least one question before opening the poll.", [{"field": "questions", "message": "empty"}]
        )
    if poll.closes_at is not None and poll.closes_at <= now:
        raise Conflict(
            "The closing date has passed; set a later one (or none) to reopen.",
            [{"field": "closes_at", "message": "in the past"}],
        )
    if poll.response_cap is not None and poll.response_count >= poll.response_cap:
        raise Conflict(
            "The poll has reached its response cap.", [{"field": "response_cap", "message": "reached"}]
        )
    if plan_check is not None:
        open_count = session.scalar(
            for_org(Poll, org.id).with_only_columns(func.count()).where(Poll.status == PollStatus.OPEN)
        )
        plan_check(int(open_count or 0) + 1)
    poll.status = PollStatus.OPEN
    poll.opened_at = poll.opened_at or now
    poll.closed_at = None
    session.flush()
    audit.record(session, POLL_OPENED, org_id=org.id, user=user, poll_id=poll.id)
    return poll


def close_poll(session: Session, poll: Poll, *, now: datetime, user: User | None = None) -> Poll:
    if poll.status == PollStatus.DRAFT:
        raise Conflict("A draft poll has not been opened, so it cannot be closed.")
    if poll.status == PollStatus.OPEN:
        poll.status = PollStatus.CLOSED
        poll.closed_at = now
        session.flush()
        audit.record(session, POLL_CLOSED, org_id=poll.org_id, user=user, poll_id=poll.id)
    return poll


def close_if_due(poll: Poll, *, now: datetime) -> None:
    """An open poll whose closing date has passed is closed (at that date) the first time anyone looks."""
    if poll.status == PollStatus.OPEN and poll.closes_at is not None and poll.closes_at <= now:
        poll.status = PollStatus.CLOSED
        poll.closed_at = poll.closes_at


def is_accepting(poll: Poll, *, now: datetime) -> bool:
    return (
        poll.status == PollStatus.OPEN
        and (poll.closes_at is None or poll.closes_at > now)
        and (poll.response_cap is None or poll.response_count < poll.response_cap)
    )


# -- reading -----------------------------------------------------------------------------------------------


def _with_questions(statement: Any) -> Any:  # Any: a Select of Poll
    return statement.options(selectinload(Poll.questions), joinedload(Poll.link))


def get_poll(session: Session, org: Organisation, poll_id: int, *, now: datetime) -> Poll:
    poll = session.scalar(_with_questions(for_org(Poll, org.id).where(Poll.id == poll_id)))
    if poll is None:
        raise NotFound("No such poll.")
    close_if_due(poll, now=now)
    return poll


def list_polls(session: Session, org: Organisation, *, now: datetime) -> list[Poll]:
    polls = list(
        session.scalars(
            _with_questions(for_org(Poll, org.id).order_by(Poll.created_at.desc(), Poll.id.desc()))
        )
    )
    for poll in polls:
        close_if_due(poll, now=now)
    return polls


def get_public_poll(session: Session, token: str, *, now: datetime) -> Poll:
    """The poll behind a public link; scopes the session to its organisation (the link names no tenant).

    `poll_links` is the one table the page may read before it knows the tenant (no row-level security): on
    PostgreSQL an unscoped session sees no `polls` row at all. Drafts are not public.
    """
    link = session.get(PollLink, token) if 20 <= len(token) <= 64 else None
    if link is None:
        raise NotFound("No such poll.")
    scope_to_org(session, link.org_id)
    poll = session.scalar(_with_questions(for_org(Poll, link.org_id).where(Poll.id == link.poll_id)))
    if poll is None or poll.is_draft:
        raise NotFound("No such poll.")
    close_if_due(poll, now=now)
    return poll


def specs_of(poll: Poll) -> list[QuestionSpec]:
    return [spec_of(q) for q in poll.questions]


# -- answering ---------------------------------------------------------------------------------------------


class PollNotAccepting(Conflict):
    """The poll is closed, past its closing date, or has all the responses its cap (or plan) allows."""


@dataclass(frozen=True, slots=True)
class ParsedAnswers:
    choices: list[tuple[int, str]] = field(default_factory=list)  # (question id, option code)
    texts: list[tuple[int, str]] = field(default_factory=list)


def parse_answers(specs: Sequence[QuestionSpec], form: Mapping[str, Sequence[str]]) -> ParsedAnswers:
    """The form's answers, checked against the questions; InvalidInput names each wrong field."""
    parsed, details = ParsedAnswers(), []
    for spec in specs:
        values = [v for v in form.get(spec.field, ()) if v != ""]
        if spec.kind is QuestionKind.TEXT:
            text = (values[0] if values else "").strip()
            if len(text) > MAX_TEXT_ANSWER:
                details.append(
                    {"field": spec.field, "message": f"At most {MAX_TEXT_ANSWER} characters, please."}
                )
            elif text:
                parsed.texts.append((spec.id, text))
            elif spec.required:
                details.append({"field": spec.field, "message": "Please answer this question."})
            continue
        if not values:
            if spec.required:
                details.append({"field": spec.field, "message": "Please choose an answer."})
            continue
        unique = list(dict.fromkeys(values))
        if any(v not in spec.codes for v in unique) or (
            spec.kind is not QuestionKind.MULTIPLE and len(unique) > 1
        ):
            details.append({"field": spec.field, "message": "Please choose from the listed answers."})
            continue
        parsed.choices.extend((spec.id, v) for v in unique)
    if details:
        raise InvalidInput("Some answers need attention.", details)
    return parsed


def submit_response(
    session: Session,
    poll: Poll,
    form: Mapping[str, Sequence[str]],
    *,
    now: datetime,
    response_limit: int | None = None,
) -> PollResponse:
    """Store one anonymous response: the poll, the day, the answers; nothing about who or where from.

    One conditional UPDATE admits the response (open, before the closing date, under the cap and the plan's
    `response_limit`) and closes the poll when it takes the last place, so concurrent respondents can never
    push a poll past its cap.
    """
    parsed = parse_answers(specs_of(poll), form)
    response = PollResponse(org_id=poll.org_id, poll_id=poll.id, submitted_on=now.date())
    response.answers = [
        *(PollAnswer(org_id=poll.org_id, question_id=qid, choice=code) for qid, code in parsed.choices),
        *(PollAnswer(org_id=poll.org_id, question_id=qid, text=text) for qid, text in parsed.texts),
    ]
    session.add(response)
    session.flush()
    # admitted last: the poll's row stays locked only from this UPDATE to the commit, so concurrent
    # respondents queue for one statement, not for the inserts; a refusal rolls the inserts back
    _admit(session, poll, now=now, response_limit=response_limit)
    return response


def _admission(*, limited: bool) -> Any:  # Any: an Update statement
    """Built once: one response more, if the poll is open, before its closing date, under its cap (and the
    plan's limit); the response that takes the last place under the cap closes the poll."""
    now = bindparam("now", type_=Poll.closed_at.type)
    cap_reached = and_(Poll.response_cap.is_not(None), Poll.response_count + 1 >= Poll.response_cap)
    statement = (
        update(Poll)
        .where(
            Poll.id == bindparam("poll_id"),
            Poll.status == PollStatus.OPEN,
            or_(Poll.closes_at.is_(None), Poll.closes_at > now),
            or_(Poll.response_cap.is_(None), Poll.response_count < Poll.response_cap),
        )
        .values(
            response_count=Poll.response_count + 1,
            status=case((cap_reached, PollStatus.CLOSED.value), else_=Poll.status),
            closed_at=case((cap_reached, now), else_=Poll.closed_at),
        )
        .execution_options(synchronize_session=False)
    )
    return statement.where(Poll.response_count < bindparam("limit")) if limited else statement


_ADMIT, _ADMIT_LIMITED = _admission(limited=False), _admission(limited=True)


def _admit(session: Session, poll: Poll, *, now: datetime, response_limit: int | None) -> None:
    params: dict[str, Any] = {"poll_id": poll.id, "now": now}
    if response_limit is not None:
        params["limit"] = response_limit
    statement = _ADMIT if response_limit is None else _ADMIT_LIMITED
    admitted = session.execute(statement, params).rowcount == 1
    session.expire(poll, ["response_count", "status", "closed_at"])
    if not admitted:
        raise PollNotAccepting("This poll is not taking responses any more.")
