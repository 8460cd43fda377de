"""Stored survey results: answer counts per period (no respondent row) and profile answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import Base, TenantOwned


class SurveyCount(TenantOwned, Base):
    """Answers to one standard question in one period, aggregated: nothing identifies a respondent."""

    __tablename__ = "survey_counts"
    __table_args__ = (
        UniqueConstraint("org_id", "period", "question", "answer", "channel", "segment"),
        CheckConstraint("count >= 0", name="count_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(7))
    question: Mapped[str] = mapped_column(String(40))
    answer: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(40), default="")
    segment: Mapped[str] = mapped_column(String(60), default="")
    count: Mapped[int]
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id", ondelete="SET NULL"))


class ProfileAnswer(TenantOwned, Base):
    """The organisation's own answer to a profile question (answered once, editable, dated)."""

    __tablename__ = "profile_answers"
    __table_args__ = (UniqueConstraint("org_id", "question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(String(40))
    answer: Mapped[str] = mapped_column(String(40))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
