"""Peerbench performance benchmark: comparison PDF reports, against WeasyPrint's own rendering as the anchor.

    uv run python perf/bench_reports.py                  # 120 organisations, 50 reports through 2 RQ workers
    uv run python perf/bench_reports.py --reports 6      # a quick check that it all works

In one run, on a fresh PostgreSQL database of its own (`peerbench_perf_reports`, row-level security on, the
application connecting as the ordinary `peerbench_app` role) and Redis database 14:

1. one full report in this process (positions, dashboard rows and charts, HTML, WeasyPrint PDF) against
   WeasyPrint rendering the already-built HTML of the same report: the ratio says what data and charts cost
   over the unavoidable layout (target <= 1.3x); pages per second of the full report;
2. N reports requested as the API requests them and rendered by 2 real RQ workers (`uv run peerbench worker`
   processes): reports per minute from the first request to the last PDF stored, and the peak memory (RSS)
   of a worker, its forked work-horses included.

Not a test: nothing here asserts a timing. Writes under perf/out/reports/ (git-ignored).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402 - after the path set-up above
from sqlalchemy import create_engine, select, text  # noqa: E402

PG_ADMIN = os.environ.get("PEERBENCH_PERF_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("PEERBENCH_PERF_REDIS", "redis://127.0.0.1:6379/14")
APP_ROLE = "peerbench_app"
OUT = ROOT / "perf" / "out" / "reports"
WINDOW = "2026-Q3"
MONTHS = [f"2025-{m:02d}" for m in range(10, 13)] + [f"2026-{m:02d}" for m in range(1, 10)]
INDUSTRIES = ("retail", "healthcare", "financial_services")
SIZES = ("s", "m", "l")
LEVELS = {  # code: (low, high) of an organisation's typical level
    "contacts_per_user": (0.3, 2.0), "tickets_per_user": (0.2, 1.5), "incidents_per_user": (0.1, 0.8),
    "fcr_rate": (45, 88), "first_time_fix_rate": (55, 95), "asa_seconds": (10, 180), "abandon_rate": (1, 15),
    "mttr_hours": (2, 72), "sla_resolution_rate": (70, 99), "reopen_rate": (1, 12),
    "cost_per_ticket": (7, 35), "lost_hours_per_user": (0.2, 3.0), "lost_hours_per_ticket": (1, 7),
    "survey_response_rate": (5, 40),
}  # fmt: skip
MIXES = {
    "channel": ("channel_phone_pct", "channel_email_pct", "channel_chat_pct", "channel_portal_pct",
                "channel_walkup_pct", "channel_other_pct"),
    "tier": ("tier0_pct", "tier1_pct", "tier2_pct", "tier3_pct"),
}  # fmt: skip


def urls(database: str) -> tuple[str, str]:
    admin = PG_ADMIN.rsplit("/", 1)[0] + f"/{database}"
    return admin, admin.replace("//postgres@", f"//{APP_ROLE}@", 1)


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
    upgrade(admin, app)
    return admin, app


def populate(orgs: int, seed: int) -> list[int]:
    """Organisations over 3 industries x 3 sizes with 12 months of every metric and survey answers."""
    from benchmarks.metrics.models import MetricValue
    from benchmarks.surveys.models import SurveyCount
    from core.db import transaction
    from tenants.dimensions import Industry, Region, SizeBand
    from tenants.models import OrgKind
    from tenants.service import OrgProfile, create_organisation

    rng = random.Random(seed)
    ids = []
    for i in range(orgs):
        with transaction() as session:
            profile = OrgProfile(
                f"Perf org {i}", OrgKind.ENTERPRISE, Industry(INDUSTRIES[i % 3]), SizeBand(SIZES[i // 3 % 3]),
                Region.EMEA, f"perf-{i}",
            )  # fmt: skip
            org_id = create_organisation(session, profile).id
        level = {code: rng.uniform(lo, hi) for code, (lo, hi) in LEVELS.items()}
        with transaction(org_id) as session:
            rows = []
            for period in MONTHS:
                for code, base in level.items():
                    rows.append((period, code, round(max(0.0, base * (1 + rng.gauss(0, 0.08))), 2)))
                for codes in MIXES.values():
                    weights = [rng.uniform(1, 10) for _ in codes]
                    rows += [
                        (period, c, round(100 * w / sum(weights), 1))
                        for c, w in zip(codes, weights, strict=True)
                    ]
            session.add_all(MetricValue(org_id=org_id, period=p, metric=m, value=v) for p, m, v in rows)
            promoters = rng.uniform(0.3, 0.7)
            for period in MONTHS:
                n = rng.randint(40, 120)
                answers = {"nps": {"10": int(n * promoters), "8": n // 4, "4": n // 6},
                           "csat": {"5": int(n * 0.7), "4": n // 5, "2": n // 10},
                           "ces": {"6": n // 2, "5": n // 3, "3": n // 6}}  # fmt: skip
                for question, counts in answers.items():
                    session.add_all(
                        SurveyCount(org_id=org_id, period=period, question=question, answer=a, count=c)
                        for a, c in counts.items()
                    )
        ids.append(org_id)
    return ids


def median_seconds(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def in_process(app: Flask, org_id: int, repeat: int) -> dict[str, float]:
    from benchmarks.engine.cohorts import parse_cohort_param
    from benchmarks.engine.windows import Window
    from benchmarks.reports.document import build_document
    from benchmarks.reports.render import render_html, render_pdf
    from core.clock import utcnow
    from core.db import transaction
    from tenants.branding import PEERBENCH
    from tenants.models import Organisation

    levels = [parse_cohort_param("industry"), parse_cohort_param("industry,size")]
    built: dict[str, object] = {}

    def full() -> None:
        with transaction(org_id) as session:
            org = session.get(Organisation, org_id)
            doc = build_document(
                session, org, Window.parse(WINDOW), levels, branding=PEERBENCH, paper_size="A4", now=utcnow()
            )
        built["html"] = render_html(doc)
        built["pdf"] = render_pdf(built["html"])

    def data() -> None:
        with transaction(org_id) as session:
            org = session.get(Organisation, org_id)
            doc = build_document(
                session, org, Window.parse(WINDOW), levels, branding=PEERBENCH, paper_size="A4", now=utcnow()
            )
        built["html"] = render_html(doc)

    with app.app_context():
        full()  # warm: imports, fonts, the template cache
        runs: dict[str, list[float]] = {"full": [], "render": [], "data": []}
        for _ in range(repeat):  # interleaved, so that a change in machine load hits both alike
            for name, run in (("full", full), ("render", lambda: render_pdf(built["html"])), ("data", data)):
                runs[name].append(median_seconds(1, run))
        full_s, render_s, data_s = (statistics.median(runs[k]) for k in ("full", "render", "data"))
    pages = built["pdf"].pages
    pdf_kb = len(built["pdf"].data) / 1024
    return {"full": full_s, "render": render_s, "data": data_s, "pages": pages, "pdf_kb": pdf_kb}


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` (uv -> the `peerbench worker` process -> its forked work-horse)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def through_workers(
    app: Flask, org_ids: list[int], reports: int, workers: int, env: dict[str, str]
) -> dict[str, float]:
    from redis import Redis
    from rq import Worker

    from benchmarks.engine.cohorts import parse_cohort_param
    from benchmarks.engine.windows import Window
    from benchmarks.reports import service
    from benchmarks.reports.jobs import generate_report
    from benchmarks.reports.models import Paper, Report, ReportStatus
    from core import jobs
    from core.app import settings_of
    from core.clock import utcnow
    from core.db import transaction
    from tenants.models import Organisation

    Redis.from_url(REDIS).flushdb()
    log = (OUT / "workers.log").open("w")
    procs = [
        subprocess.Popen(["uv", "run", "peerbench", "worker"], cwd=ROOT, env=env, stdout=log, stderr=log,
                         start_new_session=True)
        for _ in range(workers)
    ]  # fmt: skip
    peaks = {"worker": 0, "horse": 0}  # the worker process, and the largest forked work-horse
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for proc in procs:
                below = _descendants(proc.pid)  # [worker, work-horse, ...] under the uv launcher
                if below:
                    peaks["worker"] = max(peaks["worker"], _rss_kb(below[0]))
                    peaks["horse"] = max([peaks["horse"], *(_rss_kb(pid) for pid in below[1:])])
            stop.wait(0.1)

    try:
        deadline = time.time() + 120
        while len(Worker.all(connection=Redis.from_url(REDIS))) < workers:
            if time.time() > deadline:
                raise SystemExit("the RQ workers did not start: see perf/out/reports/workers.log")
            time.sleep(0.5)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        jobs.configure(REDIS, timeout_seconds=600, retries=0)
        levels = [parse_cohort_param("industry"), parse_cohort_param("industry,size")]
        start = time.perf_counter()
        ids = []
        with app.app_context():
            settings = settings_of(app)
            for i in range(reports):
                org_id = org_ids[i % len(org_ids)]
                with transaction(org_id) as session:
                    org = session.get(Organisation, org_id)
                    report = service.request_report(
                        session,
                        org,
                        None,
                        Window.parse(WINDOW),
                        levels,
                        Paper.A4,
                        settings=settings,
                        now=utcnow(),
                    )
                    ids.append(report.id)
                    jobs.enqueue(session, generate_report, org_id, report.id)
        engine = create_engine(env["MIGRATIONS_DATABASE_URL"])
        while True:
            with engine.connect() as connection:
                rows = connection.execute(
                    select(Report.status, Report.finished_at).where(Report.id.in_(ids))
                ).all()
            if all(status in (ReportStatus.READY.value, ReportStatus.FAILED.value) for status, _ in rows):
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - start
        engine.dispose()
        stop.set()
        failed = sum(1 for status, _ in rows if status == ReportStatus.FAILED.value)
    finally:
        stop.set()
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)  # the worker process groups this script started
        for proc in procs:
            proc.wait(timeout=30)
        log.close()
    return {
        "reports": reports,
        "failed": failed,
        "seconds": elapsed,
        "per_minute": reports / elapsed * 60,
        "worker_mb": peaks["worker"] / 1024,
        "horse_mb": peaks["horse"] / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orgs", type=int, default=120)
    parser.add_argument("--reports", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5, help="runs per in-process timing (median)")
    parser.add_argument("--database", default="peerbench_perf_reports")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    admin, app_url = create_database(args.database)
    env = {
        **os.environ,
        "DATABASE_URL": app_url,
        "MIGRATIONS_DATABASE_URL": admin,
        "PEERBENCH_INSTANCE_PATH": str(OUT / "instance"),
        "SECRET_KEY": "perf-secret-key-not-for-production",
        "REDIS_URL": REDIS,
    }
    os.environ.update({k: v for k, v in env.items() if k != "REDIS_URL"})
    os.environ.pop("REDIS_URL", None)
    from benchmarks.engine.recompute import recompute_benchmarks
    from core.app import create_app

    app = create_app()
    started = time.perf_counter()
    with app.app_context():
        org_ids = populate(args.orgs, args.seed)
        recompute_benchmarks(now=datetime(2026, 11, 20, tzinfo=UTC))
    print(
        f"data: {args.orgs} organisations x {len(MONTHS)} months, loaded and recomputed in "
        f"{time.perf_counter() - started:.0f} s"
    )

    one = in_process(app, org_ids[0], args.repeat)
    ratio = one["full"] / one["render"]
    print(f"\n{'one report (2 cohorts, A4)':<44}{'median':>10}")
    print(f"{'full: data + charts + HTML + PDF':<44}{one['full']:>9.2f}s")
    print(f"{'anchor: WeasyPrint on the built HTML':<44}{one['render']:>9.2f}s")
    print(f"{'data + charts + HTML alone (no PDF)':<44}{one['data']:>9.2f}s")
    print(f"{'ratio full / anchor (target <= 1.3x)':<44}{ratio:>9.2f}x")
    print(f"{'pages':<44}{one['pages']:>10}")
    print(f"{'pages per second (full report)':<44}{one['pages'] / one['full']:>10.1f}")
    print(f"{'PDF size':<44}{one['pdf_kb']:>8.0f}KB")

    many = through_workers(app, org_ids, args.reports, args.workers, env)
    print(f"\n{args.reports} reports through {args.workers} RQ workers (PostgreSQL with RLS, Redis)")
    print(f"{'wall time, first request to last PDF':<44}{many['seconds']:>9.1f}s")
    print(f"{'reports per minute':<44}{many['per_minute']:>10.1f}")
    print(f"{'per report per worker':<44}{many['seconds'] * args.workers / args.reports:>9.2f}s")
    print(f"{'failed':<44}{many['failed']:>10}")
    print(f"{'peak RSS of a worker process (idle parent)':<44}{many['worker_mb']:>8.0f}MB")
    print(f"{'peak RSS of a work-horse rendering a report':<44}{many['horse_mb']:>8.0f}MB")
    print(f"\nmachine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
