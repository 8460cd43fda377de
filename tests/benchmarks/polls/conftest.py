"""Poll fixtures: a research organisation, polls built through the operations, and a respondent's browser."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from benchmarks.polls import service
from benchmarks.polls.models import Poll, PollStatus, QuestionKind
from core.clock import utcnow
from core.db import transaction
from tenants.models import Organisation, OrgKind


@pytest.fixture
def lab(make_org) -> Organisation:
    return make_org("Service Desk Research Lab", kind=OrgKind.RESEARCH)


def custom(text: str, kind: str = "single", options: Sequence[str] = (), **kw: Any) -> service.QuestionDraft:
    return service.QuestionDraft(text=text, kind=QuestionKind(kind), options=tuple(options), **kw)


def library(code: str) -> service.QuestionDraft:
    return service.QuestionDraft(library=code)


@pytest.fixture
def make_poll(lab) -> Callable[..., Poll]:
    """A poll of `lab` (or `org`) built through the operations; opened unless `status="draft"`."""

    def make(
        *questions: service.QuestionDraft,
        org: Organisation | None = None,
        status: str = "open",
        **settings: Any,
    ) -> Poll:
        owner = org or lab
        draft = service.PollDraft(
            title=settings.pop("title", "Webinar poll"),
            questions=questions or (library("user_view"),),
            **settings,
        )
        with transaction(owner.id) as session:
            poll = service.create_poll(session, owner, None, draft, now=utcnow())
            if status != "draft":
                service.open_poll(session, owner, poll, now=utcnow())
            if status == "closed":
                service.close_poll(session, poll, now=utcnow())
            poll.token  # noqa: B018 - load the link before the session closes
            poll.questions  # noqa: B018
        assert poll.status == PollStatus(status)
        return poll

    return make


def form_token(page_html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page_html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def field_of(poll: Poll, index: int) -> str:
    """The form field name of the poll's `index`-th question (profile questions come last)."""
    return f"q{poll.questions[index].id}"


@pytest.fixture
def respond(app) -> Callable[..., Any]:
    """Answer a poll as a fresh respondent (its own browser) or with `client`; returns the POST's response."""

    def answer(
        poll: Poll, answers: dict[str, Any], *, client: Any = None, extra: dict[str, Any] | None = None
    ):
        browser = client or app.test_client()
        page = browser.get(f"/p/{poll.token}")
        assert page.status_code == 200, page.get_data(as_text=True)[:500]
        data = {"csrf_token": form_token(page.get_data(as_text=True)), **answers, **(extra or {})}
        return browser.post(f"/p/{poll.token}", data=data)

    return answer
