"""What the recompute writes: cohort snapshots, organisations' window values, profile distributions, runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.db import Base, TenantOwned


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
    # the contributing organisations' values, rounded, sorted ascending, as little-endian float64 (kept for
    # suppressed cells too: the next upload adds to them). Never published: the read path derives only an
    # organisation's own rank, quartile and gap from it (benchmarks/engine/cells.py)
    peer_values: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    run_id: Mapped[int | None]  # the recompute run that last wrote the cell (the positions ETag)


class OrganisationWindowValues(TenantOwned, Base):
    """One organisation's benchmarked values of one window (metric code -> value, rounded), and its cell.

    Read by its own tenant for its positions; the recompute keeps it so that an upload's incremental
    recompute knows which value (and which cohort cells) it replaces. One row per organisation and window,
    not one per metric and cohort level: 44,000 rows instead of 8.8 M at 2,000 organisations.
    """

    __tablename__ = "benchmark_org_values"

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    window_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    # the organisation's finest cohort cell (industry+size+region) when the values were computed: an
    # incremental recompute takes the values out of these cells even when the profile changed since
    cell_key: Mapped[str] = mapped_column(String(80))
    window_values: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    run_id: Mapped[int | None]


class RecomputeRun(Base):
    """One benchmark recompute: when, which windows, how many cells (shown as "benchmarks as of")."""

    __tablename__ = "recompute_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    kind: Mapped[str] = mapped_column(String(16), default="full")  # "full" or "organisation" (incremental)
    windows: Mapped[list[str]] = mapped_column(JSON, default=list)
    organisations: Mapped[int] = mapped_column(default=0)
    cells: Mapped[int] = mapped_column(default=0)
    positions: Mapped[int] = mapped_column(default=0)


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
