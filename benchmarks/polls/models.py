"""Polls, their questions, the public-link directory, and anonymous responses.

Nothing here identifies a respondent: a response keeps its poll and the day it arrived (no time, no IP, no
user agent, no user), and its answers. The "already answered" marker lives only in the respondent's browser.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import Base, TenantOwned
from tenants.models import User


class PollStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class QuestionKind(StrEnum):
    SINGLE = "single"  # one option (library choice questions too)
    MULTIPLE = "multiple"  # any number of options
    SCALE = "scale"  # an integer low..high (library NPS 0-10, CSAT 1-5, CES 1-7; custom 1-N)
    TEXT = "text"  # free text
    PROFILE = "profile"  # about the respondent: industry, size band or region (for cross-tabs)


class Poll(TenantOwned, Base):
    __tablename__ = "polls"
    __table_args__ = (
        CheckConstraint("response_count >= 0", name="response_count_non_negative"),
        CheckConstraint("response_cap IS NULL OR response_cap >= 1", name="response_cap_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[PollStatus] = mapped_column(String(10), default=PollStatus.DRAFT)
    closes_at: Mapped[datetime | None]
    response_cap: Mapped[int | None]
    one_per_browser: Mapped[bool] = mapped_column(default=True)
    show_results_after: Mapped[bool] = mapped_column(default=False)  # live results on the thank-you page
    public_results: Mapped[bool] = mapped_column(default=False)  # /p/<token>/results
    # incremented by one conditional UPDATE per response: the cap and the closing date hold under concurrency
    response_count: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship()
    questions: Mapped[list[PollQuestion]] = relationship(
        back_populates="poll", order_by="PollQuestion.position", cascade="all, delete-orphan"
    )
    link: Mapped[PollLink] = relationship(back_populates="poll", cascade="all, delete-orphan")

    @property
    def token(self) -> str:
        return self.link.token

    @property
    def is_draft(self) -> bool:
        return self.status == PollStatus.DRAFT


class PollLink(Base):
    """The public token's directory entry: token -> organisation and poll. Deliberately NOT tenant-owned.

    The public page arrives with a token and no tenant. Under PostgreSQL row-level security an unscoped
    session sees no `polls` row at all, so the page first reads this table (which holds nothing but the
    mapping; the token is unguessable) to learn the organisation, scopes the session to it, and only then
    reads the poll through the tenant wall like every other request.
    """

    __tablename__ = "poll_links"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), unique=True)

    poll: Mapped[Poll] = relationship(back_populates="link")


class PollQuestion(TenantOwned, Base):
    """One question of a poll. A library question keeps only its code: text and options come from the
    catalogue, so every poll asking `user_view` asks it the same way."""

    __tablename__ = "poll_questions"
    __table_args__ = (
        CheckConstraint("library IS NOT NULL OR text IS NOT NULL", name="library_or_text"),
        CheckConstraint("scale_max IS NULL OR (scale_max >= 2 AND scale_max <= 10)", name="scale_max_range"),
        Index("ix_poll_questions_poll_position", "poll_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    position: Mapped[int]
    kind: Mapped[QuestionKind] = mapped_column(String(10))
    library: Mapped[str | None] = mapped_column(String(40))  # catalogue question or profile dimension code
    text: Mapped[str | None] = mapped_column(String(500))
    options: Mapped[list[str]] = mapped_column(JSON, default=list)  # labels of a custom choice question
    scale_max: Mapped[int | None]  # a custom 1-N scale
    required: Mapped[bool] = mapped_column(default=True)

    poll: Mapped[Poll] = relationship(back_populates="questions")


class PollResponse(TenantOwned, Base):
    """One anonymous response: which poll, which day. Nothing else about the respondent, by design."""

    __tablename__ = "poll_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    submitted_on: Mapped[date]  # the day only: a finer time could be matched against access logs

    answers: Mapped[list[PollAnswer]] = relationship(back_populates="response", cascade="all, delete-orphan")


class PollAnswer(TenantOwned, Base):
    """An answer to one question: an option or scale code, or free text (a multiple choice: one row each)."""

    __tablename__ = "poll_answers"
    __table_args__ = (
        CheckConstraint("(choice IS NULL) <> (text IS NULL)", name="choice_xor_text"),
        Index("ix_poll_answers_question_choice", "question_id", "choice"),
        UniqueConstraint("response_id", "question_id", "choice"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("poll_responses.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("poll_questions.id", ondelete="CASCADE"))
    choice: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str | None] = mapped_column(Text)

    response: Mapped[PollResponse] = relationship(back_populates="answers")
