"""Fixtures: a real database per test (SQLite by default, PostgreSQL with RLS via `--db postgresql`), the app,
and factories for organisations, members, signed-in clients and API tokens."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

_TMP = Path(tempfile.mkdtemp(prefix="peerbench-tests-"))
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ["PEERBENCH_INSTANCE_PATH"] = str(_TMP / "instance")
for _name in (
    "DATABASE_URL",
    "MIGRATIONS_DATABASE_URL",
    "REDIS_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
):
    os.environ.pop(_name, None)

from core.app import create_app  # noqa: E402 - the environment above must be set first
from core.clock import utcnow  # noqa: E402
from core.db import db, transaction  # noqa: E402
from core.schema import upgrade  # noqa: E402
from tenants import accounts, tokens  # noqa: E402
from tenants.dimensions import Industry, Region, SizeBand  # noqa: E402
from tenants.models import Membership, Organisation, OrgKind, User  # noqa: E402
from tenants.roles import Role  # noqa: E402
from tenants.service import OrgProfile, create_organisation  # noqa: E402

PG_SUPERUSER_URL = os.environ.get(
    "PEERBENCH_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PG_APP_ROLE = "peerbench_app"
REDIS_TEST_URL = os.environ.get("PEERBENCH_TEST_REDIS", "redis://127.0.0.1:6379/15")
PASSWORD = "correct horse battery"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="database backend for the suite (PostgreSQL runs with row-level security)",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"peerbench database backend: {config.getoption('--db')}"


@dataclass(frozen=True)
class Backend:
    name: str
    admin_url: str  # migrations and truncation (a superuser on PostgreSQL)
    app_url: str  # what the application connects as (an ordinary role: RLS applies)

    @property
    def is_postgres(self) -> bool:
        return self.name == "postgresql"


def _app_url_from_admin(admin_url: str) -> str:
    return re.sub(r"//[^@/]+@", f"//{PG_APP_ROLE}@", admin_url)


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.config.getoption("--db") == "postgresql":
        yield from _prepare_postgres()
    else:
        template = _TMP / "template.db"
        url = f"sqlite:///{template}"
        upgrade(url)
        yield Backend("sqlite", url, url)


def _prepare_postgres() -> Iterator[Backend]:
    """A database of this test session's own (parallel runs never collide), dropped at the end."""
    name = f"peerbench_test_{os.getpid()}"
    engine = create_engine(PG_SUPERUSER_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f"drop database if exists {name} with (force)"))
            connection.execute(text(f"create database {name}"))
            exists = connection.scalar(text("select 1 from pg_roles where rolname = :r"), {"r": PG_APP_ROLE})
            if not exists:
                connection.execute(text(f"create role {PG_APP_ROLE} login nosuperuser nobypassrls"))
    except Exception as exc:  # infrastructure missing: fail loudly, never skip
        raise pytest.UsageError(
            f"PostgreSQL is not reachable at {PG_SUPERUSER_URL}: {exc}. "
            "Start it (scripts/test does) and retry."
        ) from exc
    admin_url = PG_SUPERUSER_URL.rsplit("/", 1)[0] + f"/{name}"
    app_url = _app_url_from_admin(admin_url)
    upgrade(admin_url, app_url)
    try:
        yield Backend("postgresql", admin_url, app_url)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f"drop database if exists {name} with (force)"))
        engine.dispose()


@pytest.fixture
def database_url(backend: Backend, tmp_path: Path) -> Iterator[str]:
    """A clean, migrated database for one test."""
    if backend.is_postgres:
        engine = create_engine(backend.admin_url)
        with engine.begin() as connection:
            tables = connection.scalars(
                text(
                    "select tablename from pg_tables"
                    " where schemaname = 'public' and tablename <> 'alembic_version'"
                )
            ).all()
            # delete, not truncate: TRUNCATE rewrites every table's files (~0.4 s a test); DELETE of a few
            # is instant; replica mode skips the foreign-key triggers, so the order does not matter
            connection.execute(text("set local session_replication_role = replica"))
            for table in tables:
                connection.execute(text(f'delete from "{table}"'))
            connection.execute(
                text(
                    "select setval(c.oid, 1, false)"
                    " from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                    " where c.relkind = 'S' and n.nspname = 'public'"
                )
            )
        engine.dispose()
        yield backend.app_url
    else:
        path = tmp_path / "peerbench.db"
        shutil.copyfile(_TMP / "template.db", path)
        yield f"sqlite:///{path}"


@pytest.fixture
def stored(database_url: str, backend: Backend) -> Iterator[Callable[[Any], list[Any]]]:
    """Read what was stored, every row (the superuser on PostgreSQL: no RLS): `stored(select(AuditEvent))`."""
    engine = create_engine(backend.admin_url if backend.is_postgres else database_url)

    def read(statement: Any) -> list[Any]:
        with Session(engine) as session:
            return list(session.scalars(statement))

    yield read
    engine.dispose()


@pytest.fixture
def app_config(database_url: str, backend: Backend, tmp_path: Path) -> dict[str, object]:
    return {
        "database_url": database_url,
        "migrations_database_url": backend.admin_url if backend.is_postgres else database_url,
        "instance_path": tmp_path / "instance",
        "testing": True,
        "ratelimit_enabled": False,
        "cookie_secure": False,
        "redis_url": None,
    }


@pytest.fixture
def app(app_config: dict[str, object]):
    app = create_app(app_config)
    # no app context held around the test: each request pushes its own, so `g` (the signed-in user, the API
    # token, the organisation) and the database session never carry over from one request to the next
    yield app
    db.session.remove()
    if db.engine is not None:
        db.engine.dispose()


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2id still, at a test cost: production parameters take ~0.1 s a hash; the suite makes hundreds."""
    with pytest.MonkeyPatch.context() as patch:
        hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        patch.setattr(accounts, "_hasher", hasher)
        patch.setattr(accounts, "_DUMMY_HASH", hasher.hash("no such account"))
        yield


@pytest.fixture
def client(app):
    return app.test_client()


_counter = itertools.count(1)


@pytest.fixture
def make_org(app) -> Callable[..., Organisation]:
    def make(
        name: str | None = None,
        *,
        kind: OrgKind = OrgKind.ENTERPRISE,
        industry: Industry = Industry.RETAIL,
        size: SizeBand = SizeBand.M,
        region: Region = Region.EMEA,
        managed_by: Organisation | None = None,
        slug: str | None = None,
    ) -> Organisation:
        n = next(_counter)
        with transaction() as session:
            consultancy = session.get(Organisation, managed_by.id) if managed_by else None
            org = create_organisation(
                session,
                OrgProfile(name or f"Org {n}", kind, industry, size, region, slug),
                managed_by=consultancy,
            )
        return org

    return make


@pytest.fixture
def make_user(app) -> Callable[..., User]:
    def make(email: str | None = None, password: str = PASSWORD) -> User:
        with transaction() as session:
            return accounts.create_user(session, email or f"user{next(_counter)}@example.com", password)

    return make


@pytest.fixture
def make_member(make_user) -> Callable[..., User]:
    def make(org: Organisation, role: Role | str, email: str | None = None) -> User:
        user = make_user(email)
        with transaction() as session:
            session.add(Membership(user_id=user.id, org_id=org.id, role=Role(role)))
        return user

    return make


def subprocess_env(**overrides: str) -> dict[str, str]:
    """The environment for a `peerbench` subprocess (CLI, worker): this one plus `overrides`, with bytecode
    cached outside the tree, so each process does not compile every module again (~3 s)."""
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "peerbench-test-pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return {**env, **overrides}


def csrf_token(client, url: str) -> str:
    page = client.get(url)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1)


def sign_in(client, email: str, password: str = PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def client_as(app, make_member) -> Callable[..., object]:
    """A test client signed in as a new member of `org` with `role` (None: anonymous)."""

    def make(org: Organisation, role: Role | str | None):
        client = app.test_client()
        if role is not None:
            user = make_member(org, role)
            response = sign_in(client, user.email)
            assert response.status_code == 302, response.get_data(as_text=True)
            client.user = user
        return client

    return make


@pytest.fixture
def token_for(make_member) -> Callable[..., dict[str, str]]:
    """Authorization headers for a new member of `org` with `role` holding a token on `token_org` (or org)."""

    def make(org: Organisation, role: Role | str, token_org: Organisation | None = None) -> dict[str, str]:
        user = make_member(org, role)
        with transaction() as session:
            issued = tokens.create_token(
                session,
                session.get(User, user.id),
                session.get(Organisation, (token_org or org).id),
                "test",
                now=utcnow(),
            )
        return {"Authorization": f"Bearer {issued.secret}"}

    return make
