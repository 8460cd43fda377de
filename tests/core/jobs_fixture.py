"""Jobs for tests/core/test_jobs.py, importable by a real RQ worker (it runs from the repository root)."""

from __future__ import annotations

from rq import get_current_job

from core.db import transaction
from core.jobs import job_started, report_progress
from tenants import audit

JOB_ACTOR = "job"


def write_event(org_id: int, action: str) -> None:
    """The smallest real job: one audit row in the organisation's own transaction."""
    with transaction(org_id) as session:
        audit.record(session, action, org_id=org_id, actor=JOB_ACTOR)


def fail_then_write(org_id: int, action: str, failures: int) -> None:
    """Fails its first `failures` attempts (counted in Redis, so across worker processes), then writes."""
    attempts = get_current_job().connection.incr(f"peerbench:test:attempts:{action}")
    if attempts <= failures:
        raise RuntimeError(f"attempt {attempts} fails on purpose")
    write_event(org_id, action)


def write_with_progress(org_id: int, action: str) -> None:
    report_progress(0.25, "started")
    write_event(org_id, action)
    report_progress(0.5, "half way")


def debounced_write(org_id: int, action: str) -> None:
    job_started()
    write_event(org_id, action)


def fail_in_process(org_id: int, action: str) -> None:
    write_event(org_id, action)
    raise RuntimeError("an in-process job that fails after writing")
