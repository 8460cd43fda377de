"""Issue 4: a 1,000,000-row raw survey response CSV through the real ingestion path vs DuckDB.

    uv run python perf/bench_survey.py [--rows 1000000] [--repeat 3]

The real path is what an upload does: `receive_submission` (stream to storage, checksum) and
`process_submission` (read the CSV, validate every line, reduce the raw answers to counts, replace the
organisation's counts in PostgreSQL as the ordinary app role under row-level security). It runs in a child
process, so its peak RSS is the ingest's own. The anchor is DuckDB reading the same file and computing the
same per organisation/period/question/answer counts, in the same run. Targets: <= 3x DuckDB, <= 300 MB.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import create_engine, text

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DATABASE = "peerbench_perf_survey"
APP_ROLE = "peerbench_app"
OUT = Path(__file__).resolve().parent / "out" / DATABASE
QUESTIONS = (("nps", 0, 10), ("csat", 1, 5), ("ces", 1, 7))
CHANNELS = ("phone", "email", "chat", "portal", "walkup")


def generate(rows: int, path: Path, seed: int) -> None:
    rng = random.Random(seed)
    months = [f"2025-{m:02d}" for m in range(11, 13)] + [f"2026-{m:02d}" for m in range(1, 11)]
    with path.open("w") as out:
        out.write("period,question,answer,channel,segment\n")
        for i in range(rows):
            question, low, high = QUESTIONS[i % 3]
            out.write(
                f"{months[i % 12]},{question},{rng.randint(low, high)},{CHANNELS[rng.randrange(5)]},"
                f"site-{rng.randrange(12)}\n"
            )


def prepare() -> tuple[str, str]:
    from core.schema import upgrade

    engine = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"drop database if exists {DATABASE} with (force)"))
        connection.execute(text(f"create database {DATABASE}"))
        if not connection.scalar(text("select 1 from pg_roles where rolname = :r"), {"r": APP_ROLE}):
            connection.execute(text(f"create role {APP_ROLE} login nosuperuser nobypassrls"))
    engine.dispose()
    admin = ADMIN.rsplit("/", 1)[0] + f"/{DATABASE}"
    app = admin.replace("//postgres@", f"//{APP_ROLE}@")
    upgrade(admin, app)
    return admin, app


def ingest_child(app_url: str, admin_url: str, path: str, queue: Any) -> None:
    from benchmarks.uploads import ingest
    from benchmarks.uploads.models import SubmissionKind
    from core.app import create_app
    from core.clock import utcnow
    from core.db import transaction
    from tenants.dimensions import Industry, Region, SizeBand
    from tenants.models import OrgKind
    from tenants.service import OrgProfile, create_organisation

    app = create_app(
        {
            "database_url": app_url,
            "migrations_database_url": admin_url,
            "instance_path": OUT / "instance",
            "redis_url": None,
        }
    )
    settings = app.extensions["peerbench.settings"]
    with app.app_context():
        with transaction() as session:
            org = create_organisation(
                session,
                OrgProfile(
                    f"Survey org {time.time_ns()}",
                    OrgKind.ENTERPRISE,
                    Industry.RETAIL,
                    SizeBand.M,
                    Region.EMEA,
                ),
            )
            org_id = org.id
        started = time.perf_counter()
        with transaction(org_id) as session, open(path, "rb") as stream:
            org = session.merge(org)
            submission = ingest.receive_submission(
                session,
                org,
                None,
                SubmissionKind.SURVEY,
                stream,
                "answers.csv",
                storage_root=settings.storage_path,
                max_bytes=settings.max_upload_bytes,
                now=utcnow(),
            )
            submission_id = submission.id
        status = ingest.process_submission(
            org_id,
            submission_id,
            storage_root=settings.storage_path,
            today=datetime(2026, 11, 26, tzinfo=UTC).date(),
            now=utcnow,
        )
        elapsed = time.perf_counter() - started
        with transaction(org_id) as session:
            counted = session.execute(
                text("select count(*), coalesce(sum(count), 0) from survey_counts where org_id = :o"),
                {"o": org_id},
            ).one()
    queue.put(
        {
            "seconds": elapsed,
            "status": str(status),
            "cells": counted[0],
            "answers": int(counted[1]),
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )


def run_ingest(app_url: str, admin_url: str, path: Path) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=ingest_child, args=(app_url, admin_url, str(path), queue))
    process.start()
    result = queue.get(timeout=600)
    process.join()
    return result


def duckdb_counts(path: Path) -> tuple[float, int]:
    started = time.perf_counter()
    rows = duckdb.sql(
        f"select period, question, answer, channel, segment, count(*) as n from "
        f"read_csv('{path}', header=true, all_varchar=true) group by all"
    ).fetchall()
    return time.perf_counter() - started, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"answers-{args.rows}.csv"
    if not path.exists():
        generate(args.rows, path, args.seed)
    admin, app = prepare()
    ours = [run_ingest(app, admin, path) for _ in range(args.repeat)]  # each run: a new organisation
    anchors = [duckdb_counts(path) for _ in range(args.repeat)]
    ours_s = statistics.median(r["seconds"] for r in ours)
    duck_s = statistics.median(a[0] for a in anchors)
    peak = max(r["rss_mb"] for r in ours)
    first = ours[0]
    assert first["answers"] == args.rows, first  # every answer counted, none lost
    assert first["cells"] == anchors[0][1], (first, anchors[0])  # the same distinct counts as DuckDB
    print(
        f"file: {path.name} ({path.stat().st_size / 1e6:.1f} MB, {args.rows:,} answers); "
        f"status {first['status']}; {first['cells']:,} count rows stored = DuckDB's {anchors[0][1]:,}"
    )
    print(f"{'figure':46} | {'value':>9} | {'anchor':>9} | {'ratio':>6} | target | met?")
    ratio = ours_s / duck_s
    print(
        f"{'raw survey ingest, real path (s, median)':46} | {ours_s:9.2f} | {duck_s:9.2f} | {ratio:6.2f} | "
        f"<= 3x  | {'yes' if ratio <= 3 else 'NO'}"
    )
    print(
        f"{'peak RSS of the ingest process (MB)':46} | {peak:9.0f} | {'':>9} | {'':>6} | <=300  | "
        f"{'yes' if peak <= 300 else 'NO'}"
    )


if __name__ == "__main__":
    main()
