"""One small API for background jobs: RQ on Redis when REDIS_URL is set, else in-process (same code path).

`enqueue(session, func, *args)` waits for the session's commit, so a worker never misses the row it was
queued for and a rolled-back request enqueues nothing. Retries with backoff, the job timeout and progress in
`job.meta` live here and nowhere else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

QUEUE_NAME = "peerbench"
_PENDING = "peerbench.pending_jobs"
_BACKOFF_SECONDS = (10, 60, 300, 900)


@dataclass
class _Queued:
    func: Callable[..., Any]
    args: tuple[Any, ...]
    job_id: str | None
    once_key: str | None


@dataclass
class JobRunner:
    redis_url: str | None = None
    timeout_seconds: int = 1800
    retries: int = 3
    ran_in_process: list[str] = field(default_factory=list)  # names of in-process runs, for the CLI summary

    @property
    def uses_rq(self) -> bool:
        return self.redis_url is not None

    def redis(self) -> Any:  # redis.Redis; typed loosely to keep the import lazy for the embedded default
        from redis import Redis

        return Redis.from_url(self.redis_url)

    def queue(self) -> Any:  # rq.Queue
        from rq import Queue

        return Queue(QUEUE_NAME, connection=self.redis(), default_timeout=self.timeout_seconds)

    def dispatch(self, item: _Queued) -> None:
        if not self.uses_rq:
            self._run_in_process(item)
            return
        from rq import Retry

        connection = self.redis()
        if item.once_key and not connection.set(f"peerbench:once:{item.once_key}", "1", nx=True, ex=3600):
            return  # an identical job is already waiting: it will see this change too
        retry = (
            Retry(max=self.retries, interval=list(_BACKOFF_SECONDS[: self.retries])) if self.retries else None
        )
        self.queue().enqueue(
            item.func,
            *item.args,
            job_id=item.job_id,
            retry=retry,
            job_timeout=self.timeout_seconds,
            meta={"progress": 0.0, "once_key": item.once_key},
        )

    def _run_in_process(self, item: _Queued) -> None:
        self.ran_in_process.append(item.func.__name__)
        try:
            item.func(*item.args)
        except Exception:
            # the job recorded its failure on its own row; the request that queued it has already committed
            log.exception("in-process job %s failed", item.func.__name__)


runner = JobRunner()


def configure(redis_url: str | None, *, timeout_seconds: int = 1800, retries: int = 3) -> None:
    runner.redis_url = redis_url
    runner.timeout_seconds = timeout_seconds
    runner.retries = retries


def enqueue(
    session: Session | None,
    func: Callable[..., Any],
    *args: Any,
    job_id: str | None = None,
    once_key: str | None = None,
) -> None:
    """Run `func(*args)` in the background once `session` commits (at once when no session is given).

    `once_key` debounces: while a job with the same key waits in the queue, further requests are dropped
    (the waiting job clears the key when it starts, via `job_started`).
    """
    item = _Queued(func, args, job_id, once_key)
    if session is None:
        runner.dispatch(item)
        return
    if not session.in_transaction():
        session.begin()  # the job belongs to a transaction: its rollback (a no-op without one) must drop it
    session.info.setdefault(_PENDING, []).append(item)


def job_started() -> None:
    """Clear the current job's debounce key, so changes made from now on queue a fresh run."""
    job = _current_job()
    if job is not None and job.meta.get("once_key"):
        job.connection.delete(f"peerbench:once:{job.meta['once_key']}")


def report_progress(fraction: float, message: str = "") -> None:
    """Record progress (0..1) in the current RQ job's meta; a no-op in-process."""
    job = _current_job()
    if job is None:
        return
    job.meta["progress"] = round(max(0.0, min(1.0, fraction)), 4)
    job.meta["message"] = message
    job.save_meta()


def _current_job() -> Any:
    if not runner.uses_rq:
        return None
    from rq import get_current_job

    return get_current_job()


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released: the rows are not committed until the outer transaction is
    pending: list[_Queued] = session.info.pop(_PENDING, [])
    for item in pending:
        runner.dispatch(item)


@event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    # a committed transaction dispatched its jobs just before ending; any still pending were rolled back or
    # closed with the transaction, and must not run on a later commit of the same session
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
