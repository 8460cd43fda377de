"""Database engine, sessions, the model base and the one tenant-scoping mechanism.

Two walls keep tenants apart: every tenant-owned query is built with `for_org()`, and on PostgreSQL
row-level security filters tenant-owned tables by `app.org_id`, a transaction-local setting written at the
start of every transaction of a session scoped with `scope_to_org()`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import (
    DateTime,
    Engine,
    ForeignKey,
    MetaData,
    Select,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy import (
    Enum as SAEnum,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    declared_attr,
    mapped_column,
    scoped_session,
    sessionmaker,
)
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TENANT_SETTING = "app.org_id"
RECOMPUTE_ROLE = "peerbench_recompute"
TENANT_ROLE = "peerbench_tenant"


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use core.clock.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def enum_column(enum: type[StrEnum], length: int) -> SAEnum:
    """A StrEnum stored as its value in a VARCHAR (no native enum type): reads come back as the enum."""
    return SAEnum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012 - SQLAlchemy reads this class attribute


class TenantOwned:
    """Rows that belong to one organisation; row-level security applies to their tables on PostgreSQL."""

    __tenant_owned__ = True

    @declared_attr
    def org_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)


M = TypeVar("M")


def for_org(model: type[M], org_id: int) -> Select[tuple[M]]:
    """A select of one organisation's rows of a tenant-owned model: how every such read starts."""
    if not getattr(model, "__tenant_owned__", False):
        raise TypeError(f"{model.__name__} is not tenant-owned")
    return select(model).where(model.org_id == org_id)  # type: ignore[attr-defined]


def tenant_tables() -> list[str]:
    return sorted(
        mapper.class_.__tablename__
        for mapper in Base.registry.mappers
        if getattr(mapper.class_, "__tenant_owned__", False)
    )


class Database:
    """The process's engine and session factory; configured once by create_app (or a worker, or a test)."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.factory = sessionmaker(expire_on_commit=False)
        self.session = scoped_session(self.factory)  # thread-local: one per request thread or job

    def configure(self, url: str, **engine_kwargs: Any) -> None:
        if self.engine is not None:
            self.session.remove()
            self.engine.dispose()
        self.engine = make_engine(url, **engine_kwargs)
        self.factory.configure(bind=self.engine)

    @property
    def is_postgres(self) -> bool:
        return self.engine is not None and self.engine.dialect.name == "postgresql"


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL: a crash of the app loses nothing; a power cut may lose the last commits (embedded default)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


db = Database()


def _dispose_after_fork() -> None:
    # a forked RQ work-horse must not reuse its parent's pooled sockets
    if db.engine is not None:
        db.engine.dispose(close=False)


os.register_at_fork(after_in_child=_dispose_after_fork)


def scope_to_org(session: Session | scoped_session[Session], org_id: int | None) -> None:
    """Scope every transaction of this session to one organisation (PostgreSQL RLS); applies at once too."""
    if isinstance(session, scoped_session):
        session = session()
    session.info["org_id"] = org_id
    if session.in_transaction() and _is_postgres(session):
        _apply_tenant_setting(session, org_id)


def _is_postgres(session: Session) -> bool:
    bind = session.get_bind()
    return bind.dialect.name == "postgresql"


def _apply_tenant_setting(session: Session, org_id: int | None) -> None:
    session.execute(
        text("select set_config(:name, :value, true)"),
        {"name": TENANT_SETTING, "value": "" if org_id is None else str(org_id)},
    )


@event.listens_for(Session, "after_begin")
def _set_tenant_on_begin(session: Session, _transaction: Any, connection: Any) -> None:
    if connection.dialect.name != "postgresql":
        return
    org_id = session.info.get("org_id")
    connection.execute(
        text("select set_config(:name, :value, true)"),
        {"name": TENANT_SETTING, "value": "" if org_id is None else str(org_id)},
    )
    if session.info.get("recompute"):
        connection.execute(text(f"set local role {RECOMPUTE_ROLE}"))


@contextmanager
def transaction(org_id: int | None = None, *, recompute: bool = False) -> Iterator[Session]:
    """A session in one transaction scoped to `org_id`: committed on success, rolled back on error.

    `recompute=True` runs the transaction under the fenced recompute role on PostgreSQL: it may read every
    tenant's values but write only benchmark aggregates.
    """
    session = db.factory()
    session.info["org_id"] = org_id
    session.info["recompute"] = recompute
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
