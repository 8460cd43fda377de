"""RQ entry points of the benchmark recompute: thin and idempotent; retries and progress live in core.jobs."""

from __future__ import annotations

from benchmarks.engine.incremental import recompute_organisation
from benchmarks.engine.recompute import recompute_benchmarks
from benchmarks.engine.windows import shift_period
from core import jobs
from core.clock import utcnow


def schedule_recompute() -> None:
    """Queue a full recompute; requests while one waits collapse into it (debounced)."""
    jobs.enqueue(None, recompute, once_key="recompute")


def schedule_organisation_recompute(org_id: int, first_period: str, last_period: str) -> None:
    """Queue the incremental recompute of one accepted upload (its months `first_period`..`last_period`)."""
    jobs.enqueue(None, recompute_upload, org_id, first_period, last_period)


def recompute() -> str:
    """Recompute every benchmark window from every value."""
    jobs.job_started()
    summary = recompute_benchmarks(now=utcnow())
    return f"{summary.cells} cells, {summary.positions} positions, {len(summary.windows)} windows"


def recompute_upload(org_id: int, first_period: str, last_period: str) -> str:
    """Recompute what an upload of these months changed. Running it twice, or late, gives the same result:
    it compares the organisation's current values with the stored ones."""
    summary = recompute_organisation(org_id, months_between(first_period, last_period), now=utcnow())
    return f"{summary.cells} cells over {len(summary.windows)} windows"


def months_between(first: str, last: str) -> list[str]:
    """Every month from `first` to `last`, both included."""
    months = [first]
    while months[-1] < last:
        months.append(shift_period(months[-1], 1))
    return months
