"""RQ entry point for reports: thin, id-taking, idempotent; retries, timeouts, job.meta live in core.jobs."""

from __future__ import annotations

from flask import current_app

from benchmarks.reports import service
from core import jobs
from core.app import settings_of
from core.clock import utcnow
from core.errors import PeerbenchError


def generate_report(org_id: int, report_id: int) -> str:
    """Render one report to PDF; an expected refusal (plan, window) is recorded, not retried."""
    settings = settings_of(current_app)
    try:
        status = service.generate_report(
            org_id,
            report_id,
            storage_root=settings.storage_path,
            settings=settings,
            now=utcnow,
            progress=jobs.report_progress,
        )
    except PeerbenchError as error:
        service.mark_failed(org_id, report_id, error.message)
        return "failed"
    except Exception as error:
        service.mark_failed(
            org_id, report_id, f"rendering failed: {type(error).__name__}; it will be retried"
        )
        raise
    return status.value
