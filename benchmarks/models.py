"""What: submissions, metric values, survey counts, benchmark snapshots and positions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import Base, TenantOwned
from tenants.models import User


class SubmissionKind(StrEnum):
    METRICS = "metrics"
    SURVEY = "survey"


class SubmissionStatus(StrEnum):
    RECEIVED = "received"
    VALIDATING = "validating"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    FAILED = "failed"  # our fault (a crash), not the file's: safe to retry


FINAL_STATUSES = frozenset({SubmissionStatus.ACCEPTED, SubmissionStatus.REJECTED})


class Submission(TenantOwned, Base):
    __tablename__ = "submissions"
    __table_args__ = (
        CheckConstraint("rows_total >= 0", name="rows_total_non_negative"),
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress_fraction"),
        Index("ix_submissions_org_checksum", "org_id", "kind", "checksum"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SubmissionKind] = mapped_column(String(10))
    status: Mapped[SubmissionStatus] = mapped_column(String(12), default=SubmissionStatus.RECEIVED)
    source_format: Mapped[str] = mapped_column(String(8))  # csv, xlsx, json
    filename: Mapped[str] = mapped_column(String(255))
    checksum: Mapped[str] = mapped_column(String(64))  # SHA-256 of the uploaded bytes
    size_bytes: Mapped[int] = mapped_column(default=0)
    storage_path: Mapped[str] = mapped_column(String(300))
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    rows_total: Mapped[int] = mapped_column(default=0)
    values_added: Mapped[int] = mapped_column(default=0)
    values_replaced: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # the first 1,000, row order
    first_period: Mapped[str | None] = mapped_column(String(7))
    last_period: Mapped[str | None] = mapped_column(String(7))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship()

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class MetricValue(TenantOwned, Base):
    """An organisation's monthly value of one catalogue metric; the newest accepted submission wins."""

    __tablename__ = "metric_values"
    __table_args__ = (UniqueConstraint("org_id", "period", "metric"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(7))
    metric: Mapped[str] = mapped_column(String(40))
    value: Mapped[float] = mapped_column(Float)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id", ondelete="SET NULL"))


class MetricValueChange(TenantOwned, Base):
    """History: a value that a later submission replaced (who changed what is on the submission)."""

    __tablename__ = "metric_value_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(7))
    metric: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[float] = mapped_column(Float)
    new_value: Mapped[float] = mapped_column(Float)
    old_submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id", ondelete="SET NULL"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)


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


class BenchmarkSnapshot(Base):
    """Statistics of one cohort cell, metric and window. Suppressed cells keep no figure, not even n."""

    __tablename__ = "benchmark_snapshots"
    __table_args__ = (
        CheckConstraint("suppressed OR n >= 5", name="published_cells_have_five"),
        CheckConstraint(
            "NOT suppressed OR (n IS NULL AND median IS NULL)", name="suppressed_cells_are_empty"
        ),
    )

    # the natural key is the primary key: one index to maintain while the recompute writes every cell
    window_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    cohort_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    cohort_level: Mapped[str] = mapped_column(String(32))
    suppressed: Mapped[bool]
    n: Mapped[int | None]
    p10: Mapped[float | None] = mapped_column(Float)
    p25: Mapped[float | None] = mapped_column(Float)
    median: Mapped[float | None] = mapped_column(Float)
    p75: Mapped[float | None] = mapped_column(Float)
    p90: Mapped[float | None] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class BenchmarkPosition(TenantOwned, Base):
    """Where one organisation sits in one cohort cell: precomputed by the recompute, read by its tenant."""

    __tablename__ = "benchmark_positions"

    # the natural key is the primary key (its first column serves the tenant's lookups): one index, not
    # three, to maintain while the recompute writes millions of rows
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    window_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    cohort_level: Mapped[str] = mapped_column(String(32), primary_key=True)
    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    cohort_key: Mapped[str] = mapped_column(String(80))
    value: Mapped[float] = mapped_column(Float)
    rank: Mapped[float | None] = mapped_column(Float)  # None when the cell is suppressed
    quartile: Mapped[int | None]
    gap: Mapped[float | None] = mapped_column(Float)


class RecomputeRun(Base):
    """One benchmark recompute: when, which windows, how many cells (shown as "benchmarks as of")."""

    __tablename__ = "recompute_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    windows: Mapped[list[str]] = mapped_column(JSON, default=list)
    organisations: Mapped[int] = mapped_column(default=0)
    cells: Mapped[int] = mapped_column(default=0)
    positions: Mapped[int] = mapped_column(default=0)


class ProfileAnswer(TenantOwned, Base):
    """The organisation's own answer to a profile question (answered once, editable, dated)."""

    __tablename__ = "profile_answers"
    __table_args__ = (UniqueConstraint("org_id", "question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(String(40))
    answer: Mapped[str] = mapped_column(String(40))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ProfileDistribution(Base):
    """How a cohort answered a profile question: organisations per answer (suppressed under 5 in all)."""

    __tablename__ = "profile_distributions"
    __table_args__ = (UniqueConstraint("cohort_key", "question", "answer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_level: Mapped[str] = mapped_column(String(32))
    cohort_key: Mapped[str] = mapped_column(String(80))
    question: Mapped[str] = mapped_column(String(40))
    answer: Mapped[str] = mapped_column(String(40))
    suppressed: Mapped[bool]
    organisations: Mapped[int | None]  # answering this answer; None when suppressed
    respondents: Mapped[int | None]  # organisations of the cell that answered the question


class XlaComparator(StrEnum):
    AT_LEAST = ">="
    AT_MOST = "<="


class XlaTarget(TenantOwned, Base):
    """An experience target the tenant tracks per period, e.g. NPS >= 30."""

    __tablename__ = "xla_targets"
    __table_args__ = (UniqueConstraint("org_id", "metric"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(40))
    comparator: Mapped[XlaComparator] = mapped_column(String(2))
    target: Mapped[float] = mapped_column(Float)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def is_met(self, value: float) -> bool:
        return value >= self.target if self.comparator == XlaComparator.AT_LEAST else value <= self.target
