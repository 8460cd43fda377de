"""Stored metric values: an organisation x month x catalogue metric, and the history of replaced values."""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, TenantOwned


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
