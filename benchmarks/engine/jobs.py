"""RQ entry point of the benchmark recompute: thin and idempotent; retries and progress live in core.jobs."""

from __future__ import annotations

from benchmarks.engine.recompute import recompute_benchmarks
from core import jobs
from core.clock import utcnow


def schedule_recompute() -> None:
    jobs.enqueue(None, recompute, once_key="recompute")


def recompute() -> str:
    """Recompute every benchmark window: many uploads in a row collapse into one run (debounced)."""
    jobs.job_started()
    summary = recompute_benchmarks(now=utcnow())
    return f"{summary.cells} cells, {summary.positions} positions, {len(summary.windows)} windows"
