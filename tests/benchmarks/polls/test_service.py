"""Poll operations with a session: the draft's rules, the life cycle, answer parsing, the cap."""

from __future__ import annotations

from datetime import timedelta

import pytest

from benchmarks.polls import service
from benchmarks.polls.library import spec_of
from benchmarks.polls.models import Poll, PollStatus, QuestionKind
from core.clock import utcnow
from core.db import transaction
from core.errors import Conflict, InvalidInput
from tests.benchmarks.polls.conftest import custom, library


def test_profile_questions_stay_last_whatever_is_added_or_moved(lab, make_poll):
    poll = make_poll(library("nps"), status="draft", profile=("region", "industry"))
    with transaction(lab.id) as session:
        poll = service.get_poll(session, lab, poll.id, now=utcnow())
        service.add_question(session, poll, custom("Why?", "text"))
        nps = poll.questions[0]
        service.move_question(session, poll, nps.id, +5)
        order = [(q.library or q.text, q.kind) for q in poll.questions]
    assert order == [("Why?", "text"), ("nps", "scale"), ("industry", "profile"), ("region", "profile")]


def test_library_questions_take_text_and_options_from_the_catalogue(make_poll):
    poll = make_poll(library("improvement_agenda"), library("ces"), status="draft")
    agenda, ces = (spec_of(q) for q in poll.questions)
    assert agenda.text.startswith("Do you have an agenda")
    assert [(o.code, o.label) for o in agenda.options] == [
        ("yes", "Yes"),
        ("no", "No"),
        ("we_do_now", "We do it now"),
    ]
    assert ces.codes == tuple(str(v) for v in range(1, 8))
    assert ces.ends == ("Very difficult", "Very easy")


def test_only_a_draft_is_edited_and_an_opened_poll_never_returns_to_draft(lab, make_poll):
    poll = make_poll()
    with transaction(lab.id) as session:
        poll = service.get_poll(session, lab, poll.id, now=utcnow())
        with pytest.raises(Conflict):
            service.update_poll(session, lab, poll, service.PollChanges(title="New"), now=utcnow())
        with pytest.raises(Conflict):
            service.update_poll(
                session, lab, poll, service.PollChanges(status=PollStatus.DRAFT), now=utcnow()
            )
        with pytest.raises(Conflict):
            service.add_question(session, poll, library("csat"))
        service.close_poll(session, poll, now=utcnow())
        service.open_poll(session, lab, poll, now=utcnow())  # reopen
        assert poll.status == PollStatus.OPEN


def test_a_poll_past_its_closing_date_cannot_reopen(lab, make_poll):
    poll = make_poll(closes_at=utcnow() + timedelta(hours=1))
    later = utcnow() + timedelta(hours=2)
    with transaction(lab.id) as session:
        poll = service.get_poll(session, lab, poll.id, now=later)
        assert poll.status == PollStatus.CLOSED
        assert poll.closed_at == poll.closes_at
        with pytest.raises(Conflict):
            service.open_poll(session, lab, poll, now=later)


def test_the_plan_check_sees_the_open_polls(lab, make_poll):
    make_poll()
    draft = make_poll(status="draft")
    seen = []
    with transaction(lab.id) as session:
        service.open_poll(session, lab, session.get(Poll, draft.id), now=utcnow(), plan_check=seen.append)
    assert seen == [2]


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({}, 0, "Please choose an answer."),
        ({0: ["martians"]}, 0, "Please choose from the listed answers."),
        ({0: ["end_users", "other"]}, 0, "Please choose from the listed answers."),
        ({0: ["other"], 1: ["4"]}, 1, "Please choose from the listed answers."),
        ({0: ["other"], 2: ["x" * 2001]}, 2, "At most 2000 characters, please."),
    ],
)
def test_parse_answers_names_each_wrong_field(make_poll, form, field, message):
    poll = make_poll(library("user_view"), custom("Rate", "scale", scale_max=3), custom("Why?", "text"))
    specs = [spec_of(q) for q in poll.questions]
    with pytest.raises(InvalidInput) as caught:
        service.parse_answers(specs, {specs[i].field: v for i, v in form.items()})
    assert {"field": specs[field].field, "message": message} in caught.value.details


def test_no_answer_past_the_cap_even_from_a_stale_page(lab, make_poll):
    poll = make_poll(response_cap=1)
    field = f"q{poll.questions[0].id}"
    with transaction(lab.id) as session:
        stale = session.get(Poll, poll.id)
        service.submit_response(session, stale, {field: ["other"]}, now=utcnow())
    with transaction(lab.id) as session:
        stale = session.get(Poll, poll.id)
        with pytest.raises(service.PollNotAccepting):
            service.submit_response(session, stale, {field: ["other"]}, now=utcnow())


def test_question_problems_allow_library_and_custom_kinds():
    assert service.question_problems(library("user_view")) == {}
    assert service.question_problems(custom("Why?", "text")) == {}
    assert service.question_problems(custom("Rate", "scale", scale_max=10)) == {}
    assert set(service.question_problems(custom("Pick", "single", ["a", "A"]))) == {"options"}
    assert set(service.question_problems(custom("Why?", "text", ["a", "b"]))) == {"options"}
    assert QuestionKind.PROFILE not in service.CUSTOM_KINDS
