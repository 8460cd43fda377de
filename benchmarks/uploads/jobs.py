"""RQ entry point of uploads: thin, id-taking, idempotent. Retries, timeouts, progress: core.jobs."""

from __future__ import annotations

from flask import current_app

from benchmarks.engine.jobs import schedule_organisation_recompute
from benchmarks.uploads.ingest import accepted_periods, mark_failed, process_submission
from benchmarks.uploads.models import SubmissionStatus
from core import jobs
from core.app import settings_of
from core.clock import utcnow


def _storage_root():
    return settings_of(current_app).storage_path


def validate_submission(org_id: int, submission_id: int) -> str:
    """Validate and store one upload, then queue the recompute of what it changed."""
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
    if status is SubmissionStatus.ACCEPTED and (periods := accepted_periods(org_id, submission_id)):
        schedule_organisation_recompute(org_id, *periods)
    return status.value
