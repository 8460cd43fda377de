"""A tenant's experience targets (XLA), tracked per period."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import Base, TenantOwned


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
