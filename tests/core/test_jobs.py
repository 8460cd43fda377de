"""Background jobs: in-process after commit (embedded default), and RQ on the real Redis and a worker."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from core import jobs
from core.app import create_app
from core.db import db, transaction
from core.jobs import enqueue
from tenants.models import AuditEvent
from tests.conftest import REDIS_TEST_URL, subprocess_env
from tests.core import jobs_fixture

ROOT = Path(__file__).resolve().parents[2]
PEERBENCH = Path(sys.executable).with_name("peerbench")


def _events(stored, action: str) -> list[AuditEvent]:
    return stored(select(AuditEvent).where(AuditEvent.action == action))


def _enqueue_then_fail(org_id: int) -> None:
    with transaction(org_id) as session:
        enqueue(session, jobs_fixture.write_event, org_id, "job.ran")
        raise RuntimeError("the request failed")


@pytest.fixture
def org(app, make_org):
    return make_org("Acme IT")


# --- in-process (no REDIS_URL) ------------------------------------------------------------------------------


def test_in_process_job_runs_after_commit(org, stored):
    assert not jobs.runner.uses_rq
    with transaction(org.id) as session:
        enqueue(session, jobs_fixture.write_event, org.id, "job.ran")
        assert _events(stored, "job.ran") == []  # not before the commit
    (event,) = _events(stored, "job.ran")
    assert (event.org_id, event.actor) == (org.id, jobs_fixture.JOB_ACTOR)


def test_in_process_job_does_not_run_on_rollback(org, stored):
    with pytest.raises(RuntimeError, match="the request failed"):
        _enqueue_then_fail(org.id)
    session = db.factory()
    try:
        enqueue(session, jobs_fixture.write_event, org.id, "job.ran")
        session.rollback()
        session.commit()  # a later commit of the same session does not resurrect the dropped job
    finally:
        session.close()
    assert _events(stored, "job.ran") == []


def test_a_released_savepoint_does_not_run_the_job_early(org, stored):
    with transaction(org.id) as session:
        enqueue(session, jobs_fixture.write_event, org.id, "job.ran")
        with session.begin_nested():
            session.add(AuditEvent(org_id=org.id, actor="request", action="request.step", detail={}))
        assert _events(stored, "job.ran") == []  # the outer transaction has not committed yet
    assert len(_events(stored, "job.ran")) == 1


def test_a_failing_in_process_job_does_not_undo_the_committed_request(org, stored):
    with transaction(org.id) as session:
        enqueue(session, jobs_fixture.fail_in_process, org.id, "job.failed")
        session.add(AuditEvent(org_id=org.id, actor="request", action="request.done", detail={}))
    assert len(_events(stored, "request.done")) == 1
    assert len(_events(stored, "job.failed")) == 1


# --- RQ on Redis, with a real worker process ----------------------------------------------------------------


@pytest.fixture
def redis_connection():
    connection = Redis.from_url(REDIS_TEST_URL)
    try:
        connection.ping()
    except RedisError as exc:
        pytest.fail(
            f"Redis is not reachable at {REDIS_TEST_URL} ({exc}); the RQ tests need it. Start Redis "
            "(scripts/test does) or point PEERBENCH_TEST_REDIS at one.",
            pytrace=False,
        )
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


@pytest.fixture
def rq_app(app, app_config, redis_connection):
    """The app configured for RQ (two retries): `enqueue` now puts jobs on the Redis queue."""
    rq_app = create_app({**app_config, "redis_url": REDIS_TEST_URL, "job_retries": 2})
    yield rq_app
    jobs.configure(None)


@pytest.fixture
def queue(rq_app, redis_connection) -> Queue:
    return Queue(jobs.QUEUE_NAME, connection=redis_connection)


@pytest.fixture
def run_worker(app_config):
    """Run `peerbench worker --burst` as its own process against the test database and Redis."""

    def run() -> None:
        env = subprocess_env(
            DATABASE_URL=str(app_config["database_url"]),
            REDIS_URL=REDIS_TEST_URL,
            PEERBENCH_INSTANCE_PATH=str(app_config["instance_path"]),
            SECRET_KEY=os.environ["SECRET_KEY"],
            PYTHONPATH=str(ROOT),  # so the worker imports tests.core.jobs_fixture
        )
        result = subprocess.run(
            [PEERBENCH, "worker", "--burst"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr[-3000:]

    return run


@pytest.mark.redis
def test_a_worker_runs_the_job_after_commit_and_reports_progress(org, queue, run_worker, stored):
    with transaction(org.id) as session:
        enqueue(session, jobs_fixture.write_with_progress, org.id, "job.ran", job_id="progress-job")
        assert queue.count == 0  # a worker must never see a job before its rows are committed
    assert queue.count == 1
    assert Job.fetch("progress-job", connection=queue.connection).meta["progress"] == 0.0
    run_worker()
    (event,) = _events(stored, "job.ran")
    assert (event.org_id, event.actor) == (org.id, jobs_fixture.JOB_ACTOR)
    job = Job.fetch("progress-job", connection=queue.connection)
    assert job.get_status() == "finished"
    assert (job.meta["progress"], job.meta["message"]) == (0.5, "half way")


@pytest.mark.redis
def test_a_rolled_back_transaction_queues_nothing(org, queue):
    with pytest.raises(RuntimeError, match="the request failed"):
        _enqueue_then_fail(org.id)
    assert queue.count == 0


@pytest.mark.redis
def test_a_failing_job_is_retried_with_backoff_until_it_succeeds(org, queue, run_worker, stored):
    enqueue(None, jobs_fixture.fail_then_write, org.id, "job.retried", 1, job_id="flaky-job")
    run_worker()
    job = Job.fetch("flaky-job", connection=queue.connection)
    assert job.get_status() == "scheduled"
    assert job.retries_left == 1
    registry = ScheduledJobRegistry(queue=queue)
    wait = (registry.get_scheduled_time(job) - datetime.now(UTC)).total_seconds()
    assert 0 < wait <= 10  # the first backoff step
    assert _events(stored, "job.retried") == []
    queue.schedule_job(job, datetime.now(UTC) - timedelta(seconds=1))  # rather than sleep the backoff out
    run_worker()
    job = Job.fetch("flaky-job", connection=queue.connection)
    assert job.get_status() == "finished"
    assert int(queue.connection.get("peerbench:test:attempts:job.retried")) == 2
    assert len(_events(stored, "job.retried")) == 1


@pytest.mark.redis
def test_once_key_debounces_until_the_job_starts(org, queue, run_worker, stored):
    for _ in range(3):
        enqueue(None, jobs_fixture.debounced_write, org.id, "job.debounced", once_key=f"recompute:{org.id}")
    assert queue.count == 1
    run_worker()
    assert len(_events(stored, "job.debounced")) == 1
    enqueue(None, jobs_fixture.debounced_write, org.id, "job.debounced", once_key=f"recompute:{org.id}")
    assert queue.count == 1  # the started job cleared its key: a change after it starts queues a fresh run
