"""A requested comparison report: what it covers, how far its rendering got, and where its PDF is stored."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import Base, TenantOwned, enum_column
from tenants.models import User


class ReportStatus(StrEnum):
    QUEUED = "queued"
    RENDERING = "rendering"
    READY = "ready"
    FAILED = "failed"


class Paper(StrEnum):
    A4 = "a4"
    LETTER = "letter"

    @property
    def label(self) -> str:
        return "A4" if self is Paper.A4 else "US Letter"

    @property
    def css_size(self) -> str:
        return "A4" if self is Paper.A4 else "letter"


class Report(TenantOwned, Base):
    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint("progress >= 0 AND progress <= 1", name="progress_fraction"),
        CheckConstraint("pages IS NULL OR pages > 0", name="pages_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    window_code: Mapped[str] = mapped_column(String(16))
    cohorts: Mapped[list[str]] = mapped_column(JSON)  # cohort level codes, in the order asked for
    paper: Mapped[Paper] = mapped_column(enum_column(Paper, 8), default=Paper.A4)
    status: Mapped[ReportStatus] = mapped_column(enum_column(ReportStatus, 12), default=ReportStatus.QUEUED)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(String(300), default="")  # the current step, or why it failed
    storage_path: Mapped[str | None] = mapped_column(String(300))
    size_bytes: Mapped[int | None]
    pages: Mapped[int | None]
    checksum: Mapped[str | None] = mapped_column(String(64))
    brand_name: Mapped[str | None] = mapped_column(String(200))  # whose branding the PDF carries
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship()

    @property
    def is_ready(self) -> bool:
        return self.status is ReportStatus.READY

    @property
    def is_final(self) -> bool:
        return self.status in (ReportStatus.READY, ReportStatus.FAILED)
