"""Peerbench performance benchmark: ingest, recompute and the positions API, each against an anchor.

    uv run python perf/run.py            # 2,000 organisations x 30 months x 24 metric codes = 1.44 M rows
    uv run python perf/run.py --quick    # 200 organisations and a short HTTP run: checks that it all works

Every figure is printed next to an anchor measured on the same data in the same run, as a ratio; see
perf/README.md for what each row means and the figures of a recorded run. Not a test: nothing here asserts a
timing. It drops and recreates its own PostgreSQL database (`peerbench_perf` by default) and writes its
generated files under perf/out/ (git-ignored).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402 - after the path set-up above
import polars as pl  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

PG_ADMIN = os.environ.get("PEERBENCH_PERF_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
APP_ROLE = "peerbench_app"
SECRET_KEY = "perf-secret-key-not-for-production"
OUT = ROOT / "perf" / "out"
LAST_MONTH = "2026-10"  # the data ends here, a complete month before the run date of the recorded figures

# the catalogue's 24 uploadable codes with a plausible range for an organisation's typical level
LEVELS: dict[str, tuple[float, float]] = {
    "contacts_per_user": (0.3, 2.0),
    "tickets_per_user": (0.2, 1.5),
    "incidents_per_user": (0.1, 0.8),
    "fcr_rate": (40, 90),
    "first_time_fix_rate": (50, 95),
    "asa_seconds": (10, 180),
    "abandon_rate": (1, 15),
    "mttr_hours": (2, 72),
    "sla_resolution_rate": (70, 99),
    "reopen_rate": (1, 10),
    "cost_per_ticket": (8, 60),
    "lost_hours_per_user": (0.2, 4),
    "lost_hours_per_ticket": (0.5, 8),
    "survey_response_rate": (5, 40),
}
CHANNELS = (
    "channel_phone_pct",
    "channel_email_pct",
    "channel_chat_pct",
    "channel_portal_pct",
    "channel_walkup_pct",
    "channel_other_pct",
)
TIERS = ("tier0_pct", "tier1_pct", "tier2_pct", "tier3_pct")
PERCENT = {c for c in LEVELS if c.endswith("_rate")}
INDUSTRIES = (
    "financial_services",
    "healthcare",
    "public_sector",
    "education",
    "manufacturing",
    "retail",
    "technology",
    "professional_services",
    "energy_utilities",
    "telecom_media",
    "transport_logistics",
    "other",
)
SIZES = (("xs", 2), ("s", 3), ("m", 3), ("l", 2), ("xl", 1))
REGIONS = (("na", 3), ("latam", 1), ("emea", 3), ("apac", 2))


# --- results table --------------------------------------------------------------------------------


@dataclass
class Row:
    figure: str
    value: str
    anchor: str = ""
    ratio: str = ""
    target: str = ""
    met: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def add(self, *args: str) -> None:
        self.rows.append(Row(*args))
        print(f"  -> {' | '.join(a for a in args if a)}", flush=True)

    def render(self) -> str:
        header = Row("figure", "value", "anchor", "ratio", "target", "met?")
        ordered = sorted(
            self.rows, key=lambda r: r.figure.split(" ", 1)[0]
        )  # stable: section, then run order
        rows = [header, *ordered]
        cols = list(Row.__dataclass_fields__)
        widths = {c: max(len(getattr(r, c)) for r in rows) for c in cols}

        def line(r: Row) -> str:
            return "| " + " | ".join(getattr(r, c).ljust(widths[c]) for c in cols) + " |"

        sep = "|" + "|".join("-" * (widths[c] + 2) for c in cols) + "|"
        return "\n".join([line(header), sep, *(line(r) for r in ordered)])


def ratio_row(
    report: Report,
    figure: str,
    value: float,
    anchor_name: str,
    anchor: float,
    unit: str,
    target: float | None = None,
    higher_is_better: bool = False,
) -> None:
    ratio = value / anchor if anchor else float("inf")
    if target is None:
        verdict, goal = "", "report"
    elif higher_is_better:
        verdict, goal = ("yes" if ratio >= target else "NO"), f">= {target:g}x"
    else:
        verdict, goal = ("yes" if ratio <= target else "NO"), f"<= {target:g}x"
    report.add(
        figure, f"{value:.2f} {unit}", f"{anchor_name} {anchor:.2f} {unit}", f"{ratio:.2f}x", goal, verdict
    )


@contextlib.contextmanager
def stopwatch(into: dict[str, float], key: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        into[key] = into.get(key, 0.0) + time.perf_counter() - start


def median_of(repeat: int, run: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_mb() -> float:
    return _status_mb("VmRSS")


def max_rss_mb() -> float:
    """This process's peak RSS since its exec (VmHWM). Not getrusage's ru_maxrss: Linux carries the forking
    parent's peak over into the child's across exec, which would charge the child with the parent's memory."""
    return _status_mb("VmHWM")


# --- database -------------------------------------------------------------------------------------


def urls(database: str) -> tuple[str, str]:
    admin = PG_ADMIN.rsplit("/", 1)[0] + f"/{database}"
    return admin, admin.replace("//postgres@", f"//{APP_ROLE}@", 1)


def psql_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def create_database(database: str) -> tuple[str, str]:
    from core.schema import upgrade

    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"drop database if exists {database} with (force)"))
        connection.execute(text(f"create database {database}"))
        if not connection.scalar(text("select 1 from pg_roles where rolname = :r"), {"r": APP_ROLE}):
            connection.execute(text(f"create role {APP_ROLE} login nosuperuser nobypassrls"))
    engine.dispose()
    admin, app = urls(database)
    upgrade(admin, app)  # what `peerbench db upgrade` does: migrate as the owner, grant the app role
    return admin, app


def app_config(admin: str, app: str, instance: Path) -> dict[str, Any]:
    return {
        "database_url": app,
        "migrations_database_url": admin,
        "instance_path": instance,
        "ratelimit_enabled": False,
        "redis_url": None,
        "cookie_secure": False,
    }


def server_facts(admin: str) -> dict[str, str]:
    engine = create_engine(admin)
    with engine.connect() as connection:
        version = connection.scalar(text("show server_version"))
        shared = connection.scalar(text("show shared_buffers"))
        sync = connection.scalar(text("show synchronous_commit"))
    engine.dispose()
    return {"postgresql": str(version), "shared_buffers": str(shared), "synchronous_commit": str(sync)}


# --- data -----------------------------------------------------------------------------------------


def months_ending(last: str, count: int) -> list[str]:
    year, month = map(int, last.split("-"))
    index = year * 12 + month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


def _mix(rng: random.Random, base: list[float]) -> list[float]:
    """A mix of percentages rounded to 0.1 that sums to 100 within the +-1 the validator allows."""
    weights = [max(0.01, w * (1 + rng.gauss(0, 0.1))) for w in base]
    total = sum(weights)
    return [round(100 * w / total, 1) for w in weights]


def org_rows(org: int, months: list[str], seed: int) -> list[tuple[str, str, float]]:
    """One organisation's (period, metric, value) rows: a level per metric plus monthly noise; seeded."""
    rng = random.Random(seed * 1_000_003 + org)
    level = {code: rng.uniform(lo, hi) for code, (lo, hi) in LEVELS.items()}
    channels = [rng.uniform(1, 10) for _ in CHANNELS]
    tiers = [rng.uniform(1, 10) for _ in TIERS]
    rows = []
    for period in months:
        for code, base in level.items():
            value = max(0.0, base * (1 + rng.gauss(0, 0.08)))
            rows.append((period, code, round(min(value, 100.0) if code in PERCENT else value, 2)))
        rows.extend(zip([period] * len(CHANNELS), CHANNELS, _mix(rng, channels), strict=True))
        rows.extend(zip([period] * len(TIERS), TIERS, _mix(rng, tiers), strict=True))
    return rows


@dataclass(frozen=True)
class Dataset:
    orgs: int
    months: list[str]
    org_dir: Path  # one long-form CSV per organisation: period,metric,value
    combined: Path  # the same rows in one file: org,period,metric,value
    single: Path  # the same rows without the org column: one 1.44 M-row file for one organisation
    rows: int
    dimensions: list[tuple[str, str, str]]  # industry, size, region per organisation (index = org number)


def generate(orgs: int, month_count: int, seed: int, out: Path) -> Dataset:
    months = months_ending(LAST_MONTH, month_count)
    if out.exists():
        shutil.rmtree(out)
    org_dir = out / "orgs"
    org_dir.mkdir(parents=True)
    rng = random.Random(seed)
    sizes, size_w = zip(*SIZES, strict=True)
    regions, region_w = zip(*REGIONS, strict=True)
    dimensions = [
        (rng.choice(INDUSTRIES), rng.choices(sizes, size_w)[0], rng.choices(regions, region_w)[0])
        for _ in range(orgs)
    ]
    combined, single = out / "combined.csv", out / "single-org.csv"
    rows = 0
    with combined.open("w", newline="") as c, single.open("w", newline="") as s:
        cw, sw = csv.writer(c, lineterminator="\n"), csv.writer(s, lineterminator="\n")
        cw.writerow(("org", "period", "metric", "value"))
        sw.writerow(("period", "metric", "value"))
        for org in range(orgs):
            data = org_rows(org, months, seed)
            with (org_dir / f"org-{org:05d}.csv").open("w", newline="") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(("period", "metric", "value"))
                w.writerows(data)
            cw.writerows((org, *row) for row in data)
            sw.writerows(data)
            rows += len(data)
    return Dataset(orgs, months, org_dir, combined, single, rows, dimensions)


def create_organisations(data: Dataset) -> tuple[list[int], int]:
    """The organisations (ids in file order) and one user who will read positions; as the app does it."""
    from core.db import transaction
    from tenants import accounts
    from tenants.models import OrgKind
    from tenants.service import OrgProfile, create_organisation

    ids = []
    with transaction() as session:
        user = accounts.create_user(session, "perf@peerbench.example", "perf-benchmark-password-1")
        for org, (industry, size, region) in enumerate(data.dimensions):
            profile = OrgProfile(
                f"Perf org {org:05d}", OrgKind.ENTERPRISE, industry, size, region, f"perf-{org:05d}"
            )
            ids.append(create_organisation(session, profile).id)
        return ids, user.id


# --- 1. ingest ------------------------------------------------------------------------------------


def ingest_child(args: argparse.Namespace) -> None:
    """Run in its own process so that its peak RSS is the ingest's: every file through the real path."""
    from benchmarks.uploads.ingest import process_submission, receive_submission
    from benchmarks.uploads.models import SubmissionKind, SubmissionStatus
    from core.app import create_app
    from core.clock import utcnow
    from core.db import transaction
    from tenants.models import Organisation

    job = json.loads(Path(args.child_ingest).read_text())
    app = create_app(app_config(job["admin"], job["app"], Path(job["instance"])))
    settings = app.extensions["peerbench.settings"]
    baseline = rss_mb()
    today = date.fromisoformat(job["today"])
    statuses: dict[str, int] = {}
    phases: dict[str, float] = {}
    samples: list[tuple[int, int]] = []  # (files done, RSS MB then): does memory creep from file to file?
    start = time.perf_counter()
    for org_id, path in job["files"]:
        path = Path(path)
        with stopwatch(phases, "receive"), transaction(org_id) as session, path.open("rb") as stream:
            org = session.get(Organisation, org_id)
            submission = receive_submission(
                session,
                org,
                None,
                SubmissionKind.METRICS,
                stream,
                path.name,
                storage_root=settings.storage_path,
                max_bytes=settings.max_upload_bytes,
                now=utcnow(),
            )
            submission_id = submission.id
        with stopwatch(phases, "process"):
            status = process_submission(
                org_id, submission_id, storage_root=settings.storage_path, today=today, now=utcnow
            )
        status = SubmissionStatus(status)
        statuses[status.value] = statuses.get(status.value, 0) + 1
        done = sum(statuses.values())
        if done == 1 or done % max(1, len(job["files"]) // 8) == 0:
            samples.append((done, round(rss_mb())))
    elapsed = time.perf_counter() - start
    expected = SubmissionStatus.REJECTED.value if job.get("expect_rejected") else "accepted"
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "max_rss_mb": max_rss_mb(),
                "baseline_rss_mb": baseline,
                "statuses": statuses,
                "expected": expected,
                "phases": phases,
                "rss_mb_by_files_done": samples,
            }
        )
    )


def run_ingest_children(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Start one child per job at once (one = one RQ worker) and collect what each prints."""
    paths = []
    for i, job in enumerate(jobs):
        paths.append(OUT / f"ingest-job-{i}.json")
        paths[-1].write_text(json.dumps(job))
    children = [
        subprocess.Popen(
            [sys.executable, __file__, "--child-ingest", str(path)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for path in paths
    ]
    results = []
    for child in children:
        out, _ = child.communicate()
        if child.returncode != 0:
            raise SystemExit(f"ingest child failed with exit code {child.returncode}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def psql(admin: str, *args: str, stdin: str | None = None) -> None:
    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", psql_url(admin), *args],
        input=stdin,
        text=True,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def section_ingest(
    report: Report,
    data: Dataset,
    admin: str,
    app: str,
    org_ids: list[int],
    instance: Path,
    args: argparse.Namespace,
) -> None:
    print(f"\n[1] ingest: {data.rows:,} rows in {data.orgs:,} per-organisation files", flush=True)
    plain = (
        "create table if not exists perf_plain (org int, period text, metric text, value double precision)"
    )
    psql(admin, "-c", plain)

    def copy_combined() -> None:
        psql(admin, "-c", "truncate perf_plain")
        psql(admin, "-c", f"\\copy perf_plain from '{data.combined}' csv header")

    files = sorted(data.org_dir.glob("*.csv"))
    script = "".join(f"\\copy perf_plain (period, metric, value) from '{f}' csv header\n" for f in files)

    def copy_files() -> None:
        psql(admin, "-c", "truncate perf_plain")
        psql(admin, "-f", "-", stdin=script)

    copy_s = median_of(args.repeat, copy_combined)
    copy_files_s = median_of(args.repeat, copy_files)
    psql(admin, "-c", "drop table perf_plain")

    def duck_combined() -> None:
        con = duckdb.connect()
        con.execute(f"create table t as select * from read_csv('{data.combined}', header = true)")
        con.close()

    def duck_files() -> None:
        con = duckdb.connect()
        con.execute(f"create table t as select * from read_csv('{data.org_dir}/*.csv', header = true)")
        con.close()

    duck_s = median_of(args.repeat, duck_combined)
    duck_files_s = median_of(args.repeat, duck_files)

    today = date.fromisoformat(LAST_MONTH + "-28")
    pairs = [(org_id, str(path)) for org_id, path in zip(org_ids, files, strict=True)]
    base = {"admin": admin, "app": app, "instance": str(instance), "today": today.isoformat()}
    [one] = run_ingest_children([{**base, "files": pairs}])
    ok = one["statuses"].get("accepted", 0) == len(pairs)
    print(f"  real path, 1 worker: {one}", flush=True)
    if not ok:
        raise SystemExit(f"not every file was accepted: {one['statuses']}")
    ingest_s = one["seconds"]
    per_file_ms = 1000 * ingest_s / len(pairs)

    rows_per_s = data.rows / ingest_s
    ratio_row(
        report, "1a ingest, 1 worker, per-org files, real path", ingest_s, "\\copy 1 file", copy_s, "s", 2.0
    )
    ratio_row(
        report,
        "1a ingest vs \\copy of the same per-org files",
        ingest_s,
        "\\copy files",
        copy_files_s,
        "s",
        2.0,
    )
    ratio_row(report, "1a ingest vs DuckDB read_csv", ingest_s, "DuckDB 1 file", duck_s, "s")
    ratio_row(
        report, "1a ingest vs DuckDB read_csv of the files", ingest_s, "DuckDB files", duck_files_s, "s"
    )
    report.add(
        "1a ingest: throughput", f"{rows_per_s:,.0f} rows/s; {per_file_ms:.1f} ms a file", "", "", "", ""
    )
    phases = one["phases"]
    report.add("1a ingest: receive / process", f"{phases['receive']:.1f} s / {phases['process']:.1f} s")
    mem = one["max_rss_mb"]
    report.add(
        "1a ingest: peak RSS",
        f"{mem:.0f} MB",
        f"after start-up {one['baseline_rss_mb']:.0f} MB",
        "",
        "<= 300 MB",
        "yes" if mem <= 300 else "NO",
    )

    # one 1.44 M-row file for a single organisation: the real path reads and validates it whole and must
    # reject it (2,000 copies of every period and metric: duplicate keys); the worst case for memory
    single = {**base, "files": [(org_ids[0], str(data.single))], "expect_rejected": True}
    [big] = run_ingest_children([single])
    print(f"  one {data.rows:,}-row file: {big}", flush=True)
    if big["statuses"].get("rejected", 0) != 1:
        raise SystemExit(f"the single large file was not rejected: {big['statuses']}")
    ratio_row(
        report,
        f"1c one {data.rows / 1e6:.2f} M-row file: validate, reject",
        big["seconds"],
        "\\copy 1 file",
        copy_s,
        "s",
    )
    mem = big["max_rss_mb"]
    report.add(
        f"1c one {data.rows / 1e6:.2f} M-row file: peak RSS",
        f"{mem:.0f} MB",
        f"after start-up {big['baseline_rss_mb']:.0f} MB",
        "",
        "<= 300 MB",
        "yes" if mem <= 300 else "NO",
    )


LONG_HISTORY_MONTHS = (
    1500  # 1901-11..2026-10: valid periods, 36,000 rows a file (the largest valid is ~36,500)
)


def section_ingest_long_history(report: Report, data: Dataset, args: argparse.Namespace) -> None:
    """The same number of rows in few, large, valid files: the path's per-row cost, not its per-file cost."""
    count = max(1, data.rows // (24 * LONG_HISTORY_MONTHS))
    months = months_ending(LAST_MONTH, LONG_HISTORY_MONTHS)
    folder = OUT / "data" / "long-history"
    folder.mkdir(parents=True, exist_ok=True)
    files, rows = [], 0
    for org in range(count):
        path = folder / f"org-{org:05d}.csv"
        with path.open("w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(("period", "metric", "value"))
            part = org_rows(org, months, args.seed + 1)
            w.writerows(part)
        files.append(path)
        rows += len(part)
    print(f"\n[1b] ingest: {rows:,} rows in {count} files of {LONG_HISTORY_MONTHS} months each", flush=True)
    admin, app = create_database(f"{args.database}_rows")
    instance = OUT / "instance-rows"
    if instance.exists():
        shutil.rmtree(instance)
    from core.app import create_app
    from core.db import db

    create_app(app_config(admin, app, instance))
    dataset = Dataset(count, months, folder, folder, folder, rows, data.dimensions[:count])
    org_ids, _ = create_organisations(dataset)
    psql(admin, "-c", "create table perf_plain (period text, metric text, value double precision)")
    script = "".join(f"\\copy perf_plain from '{f}' csv header\n" for f in files)

    def copy_files() -> None:
        psql(admin, "-c", "truncate perf_plain")
        psql(admin, "-f", "-", stdin=script)

    copy_s = median_of(args.repeat, copy_files)
    base = {"admin": admin, "app": app, "instance": str(instance), "today": LAST_MONTH + "-28"}
    [result] = run_ingest_children(
        [{**base, "files": [(i, str(p)) for i, p in zip(org_ids, files, strict=True)]}]
    )
    print(f"  real path, 1 worker: {result}", flush=True)
    if result["statuses"].get("accepted", 0) != count:
        raise SystemExit(f"not every long-history file was accepted: {result['statuses']}")
    ratio_row(
        report,
        f"1b ingest {count} files of {rows // count:,} rows, real path",
        result["seconds"],
        "\\copy same files",
        copy_s,
        "s",
        2.0,
    )
    mem = result["max_rss_mb"]
    report.add(
        f"1b ingest {count} files of {rows // count:,} rows: peak RSS",
        f"{mem:.0f} MB",
        f"after start-up {result['baseline_rss_mb']:.0f} MB",
        "",
        "<= 300 MB",
        "yes" if mem <= 300 else "NO",
    )
    db.session.remove()
    if db.engine is not None:
        db.engine.dispose()
    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"drop database if exists {args.database}_rows with (force)"))
    engine.dispose()


# --- 2. recompute ---------------------------------------------------------------------------------

_GROUPING_SETS = ", ".join(
    "(" + ", ".join(["window_code", "metric", *dims]) + ")"
    for dims in (
        [],
        ["industry"],
        ["size"],
        ["region"],
        ["industry", "size"],
        ["industry", "region"],
        ["size", "region"],
        ["industry", "size", "region"],
    )
)
DUCKDB_STATISTICS = f"""
create or replace table cells as
with v as (
    select window_code, metric, industry, size, region,
           case when abs(value) < 9007199.254740992 then round(value, 9) else value end as value
    from org_values where value is not null and isfinite(value)
), g as (
    select window_code, metric, industry, size, region, count(*) as n,
           quantile_cont(value, [0.1, 0.25, 0.5, 0.75, 0.9]) as q
    from v group by grouping sets ({_GROUPING_SETS})
)
select window_code, metric,
       concat('industry=', coalesce(industry, '*'), ';size=', coalesce(size, '*'),
              ';region=', coalesce(region, '*')) as cohort_key,
       n < 5 as suppressed,
       case when n >= 5 then n end as n,
       case when n >= 11 then q[1] end as p10,
       case when n >= 5 then q[2] end as p25,
       case when n >= 5 then q[3] end as median,
       case when n >= 5 then q[4] end as p75,
       case when n >= 11 then q[5] end as p90
from g
"""


def section_recompute(report: Report, admin: str, args: argparse.Namespace) -> None:
    from benchmarks.engine import recompute
    from benchmarks.engine.statistics import cohort_positions, cohort_statistics
    from core.clock import utcnow

    print("\n[2] recompute: every cohort cell x metric x window", flush=True)
    phases: dict[str, float] = {}
    captured: dict[str, pl.DataFrame] = {}
    originals = {
        name: getattr(recompute, name)
        for name in (
            "_read",
            "cohort_statistics",
            "cohort_positions",
            "_replace",
            "_replace_profiles",
            "_metric_window_values",
            "_survey_window_values",
        )
    }

    def timed(name: str, phase: str) -> Callable[..., Any]:
        original = originals[name]

        def wrapper(*a: Any, **kw: Any) -> Any:
            if name == "cohort_statistics":
                captured["values"] = a[0]
            with stopwatch(phases, phase):
                return original(*a, **kw)

        return wrapper

    plan = {
        "_read": "read",
        "cohort_statistics": "statistics",
        "cohort_positions": "positions",
        "_replace": "write",
        "_replace_profiles": "write",
        "_metric_window_values": "window means",
        "_survey_window_values": "window means",
    }
    for name, phase in plan.items():
        setattr(recompute, name, timed(name, phase))
    try:
        start = time.perf_counter()
        summary = recompute.recompute_benchmarks(now=utcnow())
        total_s = time.perf_counter() - start
    finally:
        for name, original in originals.items():
            setattr(recompute, name, original)
    print(
        f"  {summary.cells:,} cells, {summary.positions:,} positions, {len(summary.windows)} windows, "
        f"{summary.organisations:,} organisations; phases { ({k: round(v, 2) for k, v in phases.items()}) }",
        flush=True,
    )
    values = captured["values"]  # window_code, metric, value, industry, size, region: one row per org value

    # the anchor: DuckDB over the same organisation-window values, already in DuckDB's memory (as polars has
    # them in its own): one GROUPING SETS query, p10..p90 by quantile_cont, suppression applied
    parquet = OUT / "org_values.parquet"
    values.write_parquet(parquet)
    con = duckdb.connect()
    con.execute(f"create table org_values as select * from read_parquet('{parquet}')")
    duck_s = median_of(args.repeat, lambda: con.execute(DUCKDB_STATISTICS))
    stats_s = median_of(args.repeat, lambda: cohort_statistics(values, by=("metric", "window_code")))
    with_org = captured_positions_input(values)
    both_s = median_of(
        1,
        lambda: (
            cohort_statistics(values, by=("metric", "window_code")),
            cohort_positions(with_org, by=("metric", "window_code")),
        ),
    )
    check_same_statistics(con, cohort_statistics(values, by=("metric", "window_code")))
    con.close()

    report.add(
        "2 recompute input",
        f"{values.height:,} org-window values -> {summary.cells:,} cells, {summary.positions:,} positions",
        "",
        "",
        "",
        "",
    )
    ratio_row(
        report,
        "2 statistics only (polars cohort_statistics)",
        stats_s,
        "DuckDB GROUPING SETS",
        duck_s,
        "s",
        2.0,
    )
    ratio_row(report, "2 statistics + positions (polars)", both_s, "DuckDB GROUPING SETS", duck_s, "s")
    ratio_row(
        report,
        "2 full recompute_benchmarks (read+compute+write)",
        total_s,
        "DuckDB GROUPING SETS",
        duck_s,
        "s",
    )
    report.add(
        "2 full recompute: phases",
        ", ".join(f"{k} {v:.2f} s" for k, v in phases.items())
        + f", other {total_s - sum(phases.values()):.2f} s",
    )


def captured_positions_input(values: pl.DataFrame) -> pl.DataFrame:
    """cohort_positions needs an id column; the captured statistics input has none, so number the rows."""
    return values.with_row_index("org_id")


def check_same_statistics(con: duckdb.DuckDBPyConnection, ours: pl.DataFrame) -> None:
    """The anchor must compute the same thing: compare every cell's n and quantiles with the engine's."""
    rows = con.execute(
        "select window_code, metric, cohort_key, suppressed, n, p10, p25, median, p75, p90 from cells"
    ).fetchall()
    theirs = pl.DataFrame(
        rows,
        orient="row",
        schema={
            "window_code": pl.String,
            "metric": pl.String,
            "cohort_key": pl.String,
            "suppressed": pl.Boolean,
            "n": pl.Int64,
            "p10": pl.Float64,
            "p25": pl.Float64,
            "median": pl.Float64,
            "p75": pl.Float64,
            "p90": pl.Float64,
        },
    )
    joined = ours.join(theirs, on=["window_code", "metric", "cohort_key"], how="full", suffix="_duck")
    if joined.height != ours.height or joined.height != theirs.height:
        raise SystemExit(f"DuckDB anchor has {theirs.height} cells, the engine {ours.height}")
    worst = 0.0
    for c in ("p10", "p25", "median", "p75", "p90"):
        diff = joined.select((pl.col(c) - pl.col(f"{c}_duck")).abs().max()).item()
        nulls = joined.filter(pl.col(c).is_null() != pl.col(f"{c}_duck").is_null()).height
        if nulls:
            raise SystemExit(f"DuckDB anchor differs from the engine in which cells publish {c}")
        worst = max(worst, diff or 0.0)
    if joined.filter(pl.col("n").ne_missing(pl.col("n_duck"))).height:
        raise SystemExit("DuckDB anchor's n differs from the engine's")
    print(
        f"  DuckDB anchor checked: same {ours.height:,} cells and n; largest quantile difference {worst:.1e}"
    )


# --- 3. HTTP --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Load:
    requests: int
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def load(port: int, paths: list[tuple[str, dict[str, str]]], seconds: float, concurrency: int) -> Load:
    """Closed loop: `concurrency` threads, each with its own keep-alive connection, for `seconds`."""
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    deadline = time.perf_counter() + seconds

    def worker(i: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = latencies[i]
        k = i
        while time.perf_counter() < deadline:
            path, headers = paths[k % len(paths)]
            k += 1
            start = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    errors[i] += 1
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            except (OSError, http.client.HTTPException):
                errors[i] += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append(time.perf_counter() - start)
        connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    every = [x for part in latencies for x in part]
    return Load(len(every), elapsed, every, sum(errors))


def issue_tokens(user_id: int, org_ids: list[int]) -> list[tuple[str, str]]:
    """(slug, bearer secret) for a viewer membership in each of these organisations."""
    from core.clock import utcnow
    from core.db import transaction
    from tenants import tokens
    from tenants.models import Membership, Organisation, User
    from tenants.roles import Role

    issued = []
    with transaction() as session:
        user = session.get(User, user_id)
        for org_id in org_ids:
            org = session.get(Organisation, org_id)
            session.add(Membership(user_id=user_id, org_id=org_id, role=Role.VIEWER))
            session.flush()
            issued.append((org.slug, tokens.create_token(session, user, org, "perf", now=utcnow()).secret))
    return issued


def latest_window(admin: str) -> str:
    from benchmarks.engine.windows import Window

    engine = create_engine(admin)
    with engine.connect() as connection:
        codes = connection.scalars(text("select distinct window_code from benchmark_snapshots")).all()
    engine.dispose()
    trailing = [Window.parse(c) for c in codes if c.startswith("T12M")]
    return max(trailing, key=lambda w: w.sort_key).code


def section_http(
    report: Report,
    admin: str,
    app: str,
    instance: Path,
    user_id: int,
    org_ids: list[int],
    args: argparse.Namespace,
) -> None:
    print("\n[3] HTTP under gunicorn on 127.0.0.1", flush=True)
    window = latest_window(admin)
    rng = random.Random(args.seed)
    chosen = rng.sample(org_ids, min(16, len(org_ids)))
    positions = [
        (
            f"/api/v1/orgs/{slug}/positions?window={window}&cohort=industry,size",
            {"Authorization": f"Bearer {s}"},
        )
        for slug, s in issue_tokens(user_id, chosen)
    ]
    health = [("/api/v1/health", {})]
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": app,
        "MIGRATIONS_DATABASE_URL": admin,
        "PEERBENCH_INSTANCE_PATH": str(instance),
        "SECRET_KEY": SECRET_KEY,
        "RATELIMIT_ENABLED": "false",
        "COOKIE_SECURE": "false",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(args.web_workers),
        "WEB_THREADS": str(args.web_threads),
        "LOG_LEVEL": "warning",
    }
    env.pop("REDIS_URL", None)
    log = (OUT / "gunicorn.log").open("w")
    # the production settings (gthread workers, keep-alive) except the worker recycling every ~5,000
    # requests: a recycle restarts the app mid-run, which would measure start-up, not the endpoints
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(ROOT / "platform" / "gunicorn.conf.py"),
        "--max-requests",
        "0",
        "--access-logfile",
        "-",
        "wsgi:app",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        wait_until_up(port, server)
        results: dict[str, Load] = {}
        for name, paths in (("health", health), ("positions", positions)):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", paths[0][0], headers=paths[0][1])
            response = conn.getresponse()
            body = response.read()
            conn.close()
            if response.status != 200:
                raise SystemExit(f"{name} answered {response.status}: {body[:300]!r}")
            load(port, paths, args.warmup, args.concurrency)  # warm every worker's pool and caches
            results[name] = load(port, paths, args.duration, args.concurrency)
            r = results[name]
            print(
                f"  {name}: {r.requests:,} requests in {r.seconds:.1f} s, {r.errors} errors, "
                f"{len(body):,} bytes a response",
                flush=True,
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    h, p = results["health"], results["positions"]
    if h.errors or p.errors:
        raise SystemExit(f"HTTP errors: health {h.errors}, positions {p.errors}")
    ratio_row(
        report,
        f"3 GET positions ({args.concurrency} clients, {args.web_workers}x{args.web_threads} gthread)",
        p.rate,
        "GET health",
        h.rate,
        "req/s",
        0.5,
        higher_is_better=True,
    )
    report.add(
        "3 GET positions latency p50 / p99",
        f"{p.pct(0.5):.1f} / {p.pct(0.99):.1f} ms",
        f"health {h.pct(0.5):.1f} / {h.pct(0.99):.1f} ms",
        "",
        "",
        "",
    )


def wait_until_up(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}: see {OUT / 'gunicorn.log'}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not come up within 60 s")


# --- main -----------------------------------------------------------------------------------------


def machine() -> str:
    meminfo, cpuinfo = Path("/proc/meminfo").read_text(), Path("/proc/cpuinfo").read_text()
    mem = next(line for line in meminfo.splitlines() if line.startswith("MemTotal")).split()[1]
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line), "?"
    )
    load1 = os.getloadavg()[0]
    return f"{os.cpu_count()} CPUs ({model}), {int(mem) / 2**20:.1f} GiB RAM, load average {load1:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orgs", type=int, default=2000)
    parser.add_argument("--months", type=int, default=30, help="months per organisation (x 24 codes)")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="60 organisations x 12 months, short runs: checks the script works",
    )
    parser.add_argument("--database", default="peerbench_perf")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each anchor and compute (median)")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of load per endpoint")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=8, help="HTTP client connections")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int, default=4)
    parser.add_argument("--sections", default="ingest,recompute,http,rows")
    parser.add_argument("--child-ingest", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_ingest:
        os.environ.setdefault("SECRET_KEY", SECRET_KEY)
        return ingest_child(args)
    if args.quick:
        args.orgs, args.months = min(args.orgs, 60), min(args.months, 12)
        args.database = args.database + "_quick"
        args.duration, args.warmup, args.repeat = 3.0, 1.0, 1
    os.environ["SECRET_KEY"] = SECRET_KEY
    for name in ("DATABASE_URL", "MIGRATIONS_DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    sections = set(args.sections.split(","))

    started = time.perf_counter()
    print(f"Peerbench perf, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}", flush=True)
    global OUT
    OUT = OUT / args.database
    OUT.mkdir(parents=True, exist_ok=True)
    data = generate(args.orgs, args.months, args.seed, OUT / "data")
    print(
        f"generated {data.rows:,} rows: {data.orgs:,} organisations x {len(data.months)} months "
        f"({data.months[0]}..{data.months[-1]}) x 24 codes; {data.combined.stat().st_size / 2**20:.1f} MB "
        f"combined, in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    admin, app = create_database(args.database)
    facts = server_facts(admin)
    print(
        f"PostgreSQL {facts['postgresql']}, shared_buffers {facts['shared_buffers']}, synchronous_commit "
        f"{facts['synchronous_commit']}",
        flush=True,
    )
    instance = OUT / "instance"
    if instance.exists():
        shutil.rmtree(instance)
    from core.app import create_app

    create_app(app_config(admin, app, instance))
    org_ids, user_id = create_organisations(data)

    report = Report()
    report.add("0 data", f"{data.rows:,} rows = {data.orgs:,} orgs x {len(data.months)} months x 24 codes")
    if "ingest" in sections:
        section_ingest(report, data, admin, app, org_ids, instance, args)
    elif sections & {"recompute", "http"}:
        raise SystemExit("the recompute and HTTP sections need the data the ingest section stores")
    if "recompute" in sections:
        section_recompute(report, admin, args)
    if "http" in sections:
        section_http(report, admin, app, instance, user_id, org_ids, args)
    if "rows" in sections:  # last: it points the process's database at a second, throw-away database
        section_ingest_long_history(report, data, args)
    print(
        f"\nPeerbench perf: {machine()}; PostgreSQL {facts['postgresql']}; "
        f"total {time.perf_counter() - started:.0f} s\n"
    )
    print(report.render())


if __name__ == "__main__":
    main()
