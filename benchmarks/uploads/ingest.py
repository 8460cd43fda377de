"""Uploads: receive a file, validate it whole, store its values or its errors, never half of it.

A submission moves received -> validating -> accepted | rejected (failed: our crash, retried by the job).
Validation runs with no transaction open (its progress is written in short transactions of its own, so a
web page sees it move); the outcome is then written in one transaction: all values or none.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session, selectinload

from benchmarks.metrics.readers import MAX_JSON_BYTES, RowError
from benchmarks.metrics.validation import MetricsParse, validate_metrics_file
from benchmarks.surveys.validation import SurveyParse, validate_survey_file
from benchmarks.uploads.models import FINAL_STATUSES, Submission, SubmissionKind, SubmissionStatus
from core.db import for_org, transaction
from core.errors import InvalidInput, NotFound, TooLarge
from core.storage import StoredFile, resolve, store_bytes, store_stream
from tenants.models import Organisation, User

Progress = Callable[[float], None]
Validator = Callable[..., MetricsParse | SurveyParse]

_PROGRESS_INTERVAL = 0.5  # seconds between progress writes (each is a commit)
_FORMATS = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".json": "json"}


def _validator(kind: SubmissionKind) -> Validator:
    return validate_metrics_file if kind is SubmissionKind.METRICS else validate_survey_file


def receive_submission(
    session: Session,
    org: Organisation,
    user: User | None,
    kind: SubmissionKind,
    upload: BinaryIO,
    filename: str,
    *,
    storage_root: Path,
    max_bytes: int,
    now: datetime,
) -> Submission:
    """Store the file and return its submission (`received`); the same file again returns the earlier one."""
    filename = Path(filename or "upload.csv").name[:255]
    stored = store_stream(
        storage_root,
        f"uploads/{org.id}",
        upload,
        max_bytes=max_bytes,
        suffix=Path(filename).suffix.lower()[:8],
    )
    if stored.size == 0:
        resolve(storage_root, stored.relative).unlink(missing_ok=True)
        raise InvalidInput(
            "The file is empty.", [{"row": None, "column": None, "value": None, "reason": "file is empty"}]
        )
    return _received(session, org, user, kind, stored, filename, storage_root=storage_root, now=now)


def receive_records(
    session: Session,
    org: Organisation,
    user: User | None,
    kind: SubmissionKind,
    records: list[dict[str, Any]],
    *,
    storage_root: Path,
    now: datetime,
) -> Submission:
    """JSON records from the API: stored as a JSON file and validated by the same path as uploads."""
    data = json.dumps({"kind": kind.value, "records": records}, sort_keys=True).encode()
    if len(data) > MAX_JSON_BYTES:
        raise TooLarge(
            f"JSON bodies are limited to {MAX_JSON_BYTES // (1024 * 1024)} MB: upload a CSV file instead."
        )
    stored = store_bytes(storage_root, f"uploads/{org.id}", data, suffix=".json")
    return _received(session, org, user, kind, stored, "records.json", storage_root=storage_root, now=now)


def _received(
    session: Session,
    org: Organisation,
    user: User | None,
    kind: SubmissionKind,
    stored: StoredFile,
    filename: str,
    *,
    storage_root: Path,
    now: datetime,
) -> Submission:
    """The submission of a stored file (`received`), or the earlier one of the same file (copy dropped)."""
    earlier = _same_file(session, org, kind, stored.checksum)
    if earlier is not None:
        resolve(storage_root, stored.relative).unlink(missing_ok=True)
        return earlier
    submission = Submission(
        org_id=org.id,
        kind=kind,
        status=SubmissionStatus.RECEIVED,
        filename=filename,
        source_format=_FORMATS.get(Path(filename).suffix.lower(), "csv"),
        checksum=stored.checksum,
        size_bytes=stored.size,
        storage_path=stored.relative,
        created_by_id=user.id if user else None,
        received_at=now,
        errors=[],
    )
    session.add(submission)
    session.flush()
    return submission


def _same_file(session: Session, org: Organisation, kind: SubmissionKind, checksum: str) -> Submission | None:
    """The earlier submission of this file, unless a later accepted upload may have replaced its values."""
    earlier = session.scalar(
        for_org(Submission, org.id)
        .where(
            Submission.kind == kind,
            Submission.checksum == checksum,
            Submission.status != SubmissionStatus.FAILED,
        )
        .order_by(Submission.id.desc())
        .limit(1)
    )
    if earlier is None:
        return None
    later = session.scalar(
        for_org(Submission, org.id)
        .where(
            Submission.kind == kind,
            Submission.id > earlier.id,
            Submission.status == SubmissionStatus.ACCEPTED,
        )
        .limit(1)
    )
    return earlier if later is None else None


def get_submission(session: Session, org: Organisation, submission_id: int) -> Submission:
    submission = session.scalar(for_org(Submission, org.id).where(Submission.id == submission_id))
    if submission is None:
        raise NotFound("No such submission.")
    return submission


def list_submissions(session: Session, org: Organisation, *, limit: int = 100) -> list[Submission]:
    query = (
        for_org(Submission, org.id)
        .options(selectinload(Submission.created_by))
        .order_by(Submission.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def process_submission(
    org_id: int,
    submission_id: int,
    *,
    storage_root: Path,
    today: date,
    now: Callable[[], datetime],
    progress: Progress | None = None,
) -> SubmissionStatus:
    """Validate a received submission and store its outcome; a final submission is left as it is."""
    with transaction(org_id) as session:
        submission = session.scalar(for_org(Submission, org_id).where(Submission.id == submission_id))
        if submission is None:
            raise NotFound(f"submission {submission_id} of organisation {org_id} does not exist")
        if submission.status in FINAL_STATUSES:
            return submission.status  # an earlier attempt finished it
        submission.status = SubmissionStatus.VALIDATING
        submission.progress = 0.0
        kind, path, filename = SubmissionKind(submission.kind), submission.storage_path, submission.filename
    report = _progress_writer(org_id, submission_id, progress)
    parse = _validator(kind)(resolve(storage_root, path), filename, today=today, progress=report)
    with transaction(org_id) as session:
        submission = session.scalar(for_org(Submission, org_id).where(Submission.id == submission_id))
        assert submission is not None
        if not parse.ok:
            _reject(submission, parse.errors, parse.error_count, parse.rows, now())
        elif kind is SubmissionKind.METRICS:
            _accept_metrics(session, submission, parse, now())
        else:
            _accept_survey(session, submission, parse, now())
        return SubmissionStatus(submission.status)


def accepted_periods(org_id: int, submission_id: int) -> tuple[str, str] | None:
    """The first and last month of an accepted submission (what its recompute covers)."""
    with transaction(org_id) as session:
        submission = session.scalar(for_org(Submission, org_id).where(Submission.id == submission_id))
        if submission is None or submission.first_period is None or submission.last_period is None:
            return None
        return submission.first_period, submission.last_period


def mark_failed(org_id: int, submission_id: int, message: str) -> None:
    """Record that processing crashed (not the file's fault); a retry starts again from `received`."""
    with transaction(org_id) as session:
        submission = session.scalar(for_org(Submission, org_id).where(Submission.id == submission_id))
        if submission is not None and submission.status not in FINAL_STATUSES:
            submission.status = SubmissionStatus.FAILED
            submission.errors = [{"row": None, "column": None, "value": None, "reason": message[:500]}]


def _progress_writer(org_id: int, submission_id: int, also: Progress | None) -> Progress:
    """Progress saved at most twice a second: a small file commits none, a large one a bar that moves."""
    last = [time.monotonic(), 0.0]

    def report(fraction: float) -> None:
        fraction = max(0.0, min(0.99, fraction))
        if time.monotonic() - last[0] < _PROGRESS_INTERVAL or fraction - last[1] < 0.01:
            return
        last[:] = [time.monotonic(), fraction]
        with transaction(org_id) as session:
            submission = session.get(Submission, submission_id)
            if submission is not None and submission.org_id == org_id:
                submission.progress = round(fraction, 3)
        if also is not None:
            also(fraction)

    return report


def _reject(submission: Submission, errors: list[RowError], count: int, rows: int, now: datetime) -> None:
    submission.status = SubmissionStatus.REJECTED
    submission.errors = [asdict(error) for error in errors]
    submission.error_count = count
    submission.rows_total = rows
    submission.progress = 1.0
    submission.finished_at = now


def _accept_metrics(session: Session, submission: Submission, parse: MetricsParse, now: datetime) -> None:
    values = parse.values
    connection = session.connection()
    _load_incoming(connection, values)
    params = {"org": submission.org_id, "sub": submission.id}
    replaced = connection.execute(
        text(
            "insert into metric_value_changes (org_id, period, metric, old_value, new_value,"
            " old_submission_id, submission_id)"
            " select m.org_id, m.period, m.metric, m.value, i.value, m.submission_id, :sub"
            " from metric_values m join incoming_values i on m.period = i.period and m.metric = i.metric"
            " where m.org_id = :org and m.value <> i.value"
        ),
        params,
    ).rowcount
    existing = connection.scalar(
        text(
            "select count(*) from metric_values m join incoming_values i"
            " on m.period = i.period and m.metric = i.metric where m.org_id = :org"
        ),
        params,
    )
    connection.execute(
        text(
            "insert into metric_values (org_id, period, metric, value, submission_id)"
            " select :org, period, metric, value, :sub from incoming_values where true"
            " on conflict (org_id, period, metric) do update"
            " set value = excluded.value, submission_id = excluded.submission_id"
        ),
        params,
    )
    connection.execute(text("drop table incoming_values"))
    _mark_accepted(submission, parse.rows, values, values.height - int(existing or 0), replaced, now)


def _accept_survey(session: Session, submission: Submission, parse: SurveyParse, now: datetime) -> None:
    """Replace the organisation's counts of every period and question in the file with the new ones."""
    values = parse.values
    connection = session.connection()
    _load_incoming(connection, values, "incoming_counts")
    params = {"org": submission.org_id, "sub": submission.id}
    replaced = connection.execute(
        text(
            "delete from survey_counts where org_id = :org"
            " and (period, question) in (select period, question from incoming_counts)"
        ),
        params,
    ).rowcount
    connection.execute(
        text(
            "insert into survey_counts"
            " (org_id, period, question, answer, channel, segment, count, submission_id)"
            " select :org, period, question, answer, channel, segment, count, :sub from incoming_counts"
        ),
        params,
    )
    connection.execute(text("drop table incoming_counts"))
    _mark_accepted(submission, parse.rows, values, values.height, replaced, now)


def _mark_accepted(
    submission: Submission, rows: int, values: pl.DataFrame, added: int, replaced: int, now: datetime
) -> None:
    submission.status = SubmissionStatus.ACCEPTED
    submission.rows_total = rows
    submission.values_added = added
    submission.values_replaced = max(replaced, 0)
    submission.progress = 1.0
    submission.finished_at = now
    periods = values.get_column("period")
    submission.first_period, submission.last_period = periods.min(), periods.max()
    submission.errors = []


_INCOMING = {
    "incoming_values": {"period": "varchar(7)", "metric": "varchar(40)", "value": "double precision"},
    "incoming_counts": {
        "period": "varchar(7)",
        "question": "varchar(40)",
        "answer": "varchar(40)",
        "channel": "varchar(40)",
        "segment": "varchar(60)",
        "count": "bigint",
    },
}


def _load_incoming(connection: Connection, values: pl.DataFrame, table: str = "incoming_values") -> None:
    """Bulk-load validated rows into a temporary table: COPY on PostgreSQL, executemany on SQLite."""
    columns = _INCOMING[table]
    names = ", ".join(columns)
    rows = values.select(list(columns))
    if connection.dialect.name == "postgresql":
        typed = ", ".join(f"{name} {kind}" for name, kind in columns.items())
        connection.execute(text(f"create temporary table {table} ({typed}) on commit drop"))
        raw = connection.connection.driver_connection
        with (
            raw.cursor() as cursor,
            cursor.copy(f"copy {table} ({names}) from stdin with (format csv)") as copy,
        ):
            for chunk in rows.iter_slices(100_000):
                copy.write(chunk.write_csv(include_header=False))  # CSV in bulk: no Python call per row
        return
    connection.execute(text(f"create temporary table {table} ({names})"))
    placeholders = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(
        f"insert into {table} ({names}) values ({placeholders})", list(rows.iter_rows())
    )
