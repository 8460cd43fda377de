"""RQ entry points: thin, id-taking, idempotent. Retries, timeouts and progress live in core.jobs."""

from __future__ import annotations

from flask import current_app

from benchmarks.ingest import mark_failed, process_submission
from benchmarks.models import SubmissionStatus
from benchmarks.recompute import recompute_benchmarks
from core import jobs
from core.clock import utcnow


def _storage_root():
    return current_app.extensions["peerbench.settings"].storage_path


def validate_submission(org_id: int, submission_id: int) -> str:
    """Validate and store one upload, then queue one benchmark recompute (debounced)."""
    try:
        status = process_submission(
            org_id,
            submission_id,
            storage_root=_storage_root(),
            today=utcnow().date(),
            now=utcnow,
            progress=jobs.report_progress,
        )
    except Exception as error:
        mark_failed(org_id, submission_id, f"processing failed: {type(error).__name__}; it will be retried")
        raise
    if status is SubmissionStatus.ACCEPTED:
        schedule_recompute()
    return status.value


def schedule_recompute() -> None:
    jobs.enqueue(None, recompute, once_key="recompute")


def recompute() -> str:
    """Recompute every benchmark window: many uploads in a row collapse into one run (debounced)."""
    jobs.job_started()
    summary = recompute_benchmarks(now=utcnow())
    return f"{summary.cells} cells, {summary.positions} positions, {len(summary.windows)} windows"
