"""Submissions: one upload of one organisation, its status, counts and row errors."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String
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
