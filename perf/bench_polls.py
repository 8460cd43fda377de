"""Peerbench performance benchmark: anonymous poll submissions to /p/<token> under gunicorn, with an anchor.

    uv run python perf/bench_polls.py                 # 2,000 respondents, PostgreSQL with RLS (production)
    uv run python perf/bench_polls.py --db sqlite     # the embedded default
    uv run python perf/bench_polls.py --responses 200 # a quick check that it all works

Each simulated respondent is a fresh browser: GET /p/<token> (a new anonymous session and its CSRF token),
then POST the answers (expects the 302 to the thank-you page). gunicorn runs platform/gunicorn.conf.py with
2 workers and the rate limit off (every respondent comes from 127.0.0.1). The anchor is GET /api/v1/health on
the same server with the same number of clients, printed as a ratio. At the end the poll's results must count
exactly the responses posted: none lost. Not a test: nothing here asserts a timing. It drops and recreates
its own database (`peerbench_perf_polls`, or perf/out/polls.db) and writes its log under perf/out/.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402 - after the path set-up above

PG_ADMIN = os.environ.get("PEERBENCH_PERF_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
APP_ROLE = "peerbench_app"
DATABASE = "peerbench_perf_polls"
SECRET_KEY = "perf-secret-key-not-for-production"
OUT = ROOT / "perf" / "out"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


# --- set-up ---------------------------------------------------------------------------------------


def prepare_database(kind: str) -> tuple[str, str]:
    """(migrations URL, application URL) of a fresh, migrated database."""
    from core.schema import upgrade

    if kind == "sqlite":
        path = OUT / "polls.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        upgrade(url)
        return url, url
    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"drop database if exists {DATABASE} with (force)"))
        connection.execute(text(f"create database {DATABASE}"))
        if not connection.scalar(text("select 1 from pg_roles where rolname = :r"), {"r": APP_ROLE}):
            connection.execute(text(f"create role {APP_ROLE} login nosuperuser nobypassrls"))
    engine.dispose()
    admin = PG_ADMIN.rsplit("/", 1)[0] + f"/{DATABASE}"
    app = admin.replace("//postgres@", f"//{APP_ROLE}@", 1)
    upgrade(admin, app)
    return admin, app


@dataclass(frozen=True)
class Fixture:
    token: str
    poll_id: int
    org_id: int
    fields: dict[str, list[str]]  # field name -> the codes a respondent may choose


def create_poll(app_url: str) -> Fixture:
    """A research organisation and an open poll: a library question, a multiple choice, NPS, text, region."""
    from benchmarks.polls import service
    from benchmarks.polls.library import spec_of
    from benchmarks.polls.models import QuestionKind
    from core.clock import utcnow
    from core.db import db, transaction
    from tenants.dimensions import Industry, Region, SizeBand
    from tenants.models import OrgKind
    from tenants.service import OrgProfile, create_organisation

    db.configure(app_url)
    with transaction() as session:
        org = create_organisation(
            session,
            OrgProfile(
                "Perf Lab", OrgKind.RESEARCH, Industry.TECHNOLOGY, SizeBand.M, Region.EMEA, "perf-lab"
            ),
        )
    draft = service.PollDraft(
        title="Perf poll",
        questions=(
            service.QuestionDraft(library="user_view"),
            service.QuestionDraft(
                text="Which channels?", kind=QuestionKind.MULTIPLE, options=("Chat", "Portal", "Phone")
            ),
            service.QuestionDraft(library="nps"),
            service.QuestionDraft(text="Anything else?", kind=QuestionKind.TEXT, required=False),
        ),
        profile=("region",),
    )
    with transaction(org.id) as session:
        poll = service.create_poll(session, org, None, draft, now=utcnow())
        service.open_poll(session, org, poll, now=utcnow())
        fields = {spec_of(q).field: list(spec_of(q).codes) for q in poll.questions}
        fixture = Fixture(poll.token, poll.id, org.id, fields)
    db.engine.dispose()
    return fixture


def count_responses(admin_url: str, fixture: Fixture) -> tuple[int, int]:
    """(responses stored, the poll's response counter), read as the owner (no RLS)."""
    from benchmarks.polls.models import Poll, PollResponse

    engine = create_engine(admin_url)
    with engine.connect() as connection:
        rows = connection.scalar(
            select(func.count()).select_from(PollResponse).where(PollResponse.poll_id == fixture.poll_id)
        )
        counter = connection.scalar(select(Poll.response_count).where(Poll.id == fixture.poll_id))
    engine.dispose()
    return int(rows or 0), int(counter or 0)


def results_count(port: int, app_url: str, fixture: Fixture) -> int:
    """What the researcher's API reports as the poll's response count."""
    import json

    from core.clock import utcnow
    from core.db import db, transaction
    from tenants import accounts, tokens
    from tenants.models import Membership, Organisation
    from tenants.roles import Role

    db.configure(app_url)
    with transaction() as session:
        user = accounts.create_user(session, "perf@example.com", "perf password not secret")
        session.add(Membership(user_id=user.id, org_id=fixture.org_id, role=Role.VIEWER))
        session.flush()
        secret = tokens.create_token(
            session, user, session.get(Organisation, fixture.org_id), "perf", now=utcnow()
        ).secret
    db.engine.dispose()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(
        "GET",
        f"/api/v1/orgs/perf-lab/polls/{fixture.poll_id}/results",
        headers={"Authorization": f"Bearer {secret}"},
    )
    response = conn.getresponse()
    body = json.loads(response.read())
    conn.close()
    return int(body["responses"])


# --- load -----------------------------------------------------------------------------------------


@dataclass
class Load:
    done: int
    seconds: float
    latencies: list[float]  # the measured request of each unit (the POST, or the GET for health)
    errors: list[str]

    @property
    def rate(self) -> float:
        return self.done / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def run_load(total: int, clients: int, unit: object) -> Load:
    """`total` units of work shared by `clients` threads, each with its own keep-alive connection."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []
    counter = iter(range(total))
    lock = threading.Lock()

    def worker(i: int) -> None:
        state: dict[str, object] = {}
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                break
            try:
                latencies[i].append(unit(state, n))  # type: ignore[operator]
            except Exception as exc:  # a benchmark counts failures, it does not stop on one
                errors.append(f"{type(exc).__name__}: {exc}")
                state.clear()
        connection = state.get("conn")
        if isinstance(connection, http.client.HTTPConnection):
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    every = [x for part in latencies for x in part]
    return Load(len(every), elapsed, every, errors)


def _conn(state: dict[str, object], port: int) -> http.client.HTTPConnection:
    conn = state.get("conn")
    if not isinstance(conn, http.client.HTTPConnection):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        state["conn"] = conn
    return conn


def health_unit(port: int):
    def unit(state: dict[str, object], _n: int) -> float:
        conn = _conn(state, port)
        start = time.perf_counter()
        conn.request("GET", "/api/v1/health")
        response = conn.getresponse()
        response.read()
        elapsed = time.perf_counter() - start
        if response.status != 200:
            raise RuntimeError(f"health answered {response.status}")
        return elapsed

    return unit


def respondent_unit(port: int, fixture: Fixture):
    """A new respondent: GET the page (new session, CSRF token), POST the answers; returns the POST time."""
    path = f"/p/{fixture.token}"
    keys = list(fixture.fields)

    def unit(state: dict[str, object], n: int) -> float:
        conn = _conn(state, port)
        conn.request("GET", path)  # no cookie: a browser that never saw Peerbench
        page = conn.getresponse()
        html = page.read().decode()
        cookie = page.getheader("Set-Cookie", "").split(";", 1)[0]
        match = CSRF.search(html)
        if page.status != 200 or not match or not cookie:
            raise RuntimeError(f"poll page answered {page.status}")
        data = [("csrf_token", match.group(1))]
        user_view, channels, nps, comment, region = keys
        data.append((user_view, fixture.fields[user_view][n % 4]))
        chosen = [code for i, code in enumerate(fixture.fields[channels]) if (n >> i) & 1]
        data += [(channels, code) for code in chosen or fixture.fields[channels][:1]]
        data.append((nps, fixture.fields[nps][n % 11]))
        if n % 5 == 0:
            data.append((comment, f"comment {n}: faster please"))
        data.append((region, fixture.fields[region][n % 4]))
        body = urllib.parse.urlencode(data)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        start = time.perf_counter()
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        elapsed = time.perf_counter() - start
        if response.status != 302 or not response.getheader("Location", "").endswith("/thanks"):
            raise RuntimeError(f"submission answered {response.status}")
        return elapsed

    return unit


# --- server ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(admin: str, app: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": app,
        "MIGRATIONS_DATABASE_URL": admin,
        "PEERBENCH_INSTANCE_PATH": str(OUT / "instance-polls"),
        "SECRET_KEY": SECRET_KEY,
        "RATELIMIT_ENABLED": "false",
        "COOKIE_SECURE": "false",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "LOG_LEVEL": "warning",
    }
    env.pop("REDIS_URL", None)
    log = (OUT / "gunicorn-polls.log").open("w")
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "platform" / "gunicorn.conf.py")]
    # no worker recycling mid-run (it would measure start-up) and no access log on the hot path
    command += ["--max-requests", "0", "--access-logfile", "/dev/null", "wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}: see {OUT / 'gunicorn-polls.log'}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/health")
            if conn.getresponse().status == 200:
                conn.close()
                return server
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not come up within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--responses", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8, help="concurrent respondents (threads)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    admin, app = prepare_database(args.db)
    fixture = create_poll(app)
    port = free_port()
    server = start_gunicorn(admin, app, port, args.workers)
    try:
        run_load(200, args.clients, health_unit(port))  # warm-up: every worker's app, pool and templates
        health = run_load(args.responses, args.clients, health_unit(port))
        polls = run_load(args.responses, args.clients, respondent_unit(port, fixture))
        reported = results_count(port, app, fixture)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    stored, counter = count_responses(admin, fixture)

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {args.db}"
    )
    print(f"gunicorn: {args.workers} workers (gthread, 4 threads each), {args.clients} concurrent clients")
    print(f"{'':34}{'rate':>14}{'p50':>10}{'p99':>10}")
    print(
        f"{'poll submissions (GET + POST)':34}{polls.rate:>10,.0f} r/s{polls.pct(0.5):>8.1f}ms"
        f"{polls.pct(0.99):>8.1f}ms   (latency: the POST)"
    )
    h50, h99 = health.pct(0.5), health.pct(0.99)
    print(f"{'anchor: GET /api/v1/health':34}{health.rate:>10,.0f} r/s{h50:>8.1f}ms{h99:>8.1f}ms")
    print(f"ratio submissions / health: {polls.rate / health.rate:.2f}x the anchor's rate")
    print(
        f"posted {polls.done:,} ok, {len(polls.errors)} failed; stored {stored:,} responses, "
        f"counter {counter:,}, results API {reported:,}"
    )
    if polls.errors:
        print("first failures:", *polls.errors[:5], sep="\n  ")
    lost = polls.done - stored
    if lost or counter != stored or reported != stored or polls.errors:
        raise SystemExit(f"LOST OR FAILED: {lost} lost, {len(polls.errors)} failed")
    print("none lost: the results count equals the number posted")


if __name__ == "__main__":
    main()
