"""Schema management: Alembic upgrades, the "is this database migrated?" check, and PostgreSQL RLS DDL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, make_url, text

from core.db import RECOMPUTE_ROLE, TENANT_ROLE, TENANT_SETTING
from core.errors import NotMigrated

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def check_migrated(engine: Engine) -> None:
    """Raise NotMigrated, naming the command to run, unless the database is at the code's head revision."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        state = "empty" if current is None else f"at revision {current}"
        raise NotMigrated(
            f"The database ({engine.url.render_as_string(hide_password=True)}) is {state}, but this code "
            f"needs revision {head}. Run `peerbench db upgrade` first."
        )


def upgrade(migrations_url: str, app_url: str | None = None) -> None:
    """Bring the schema to head; on PostgreSQL, let the application's login role use it (RLS applies)."""
    command.upgrade(alembic_config(migrations_url), "head")
    if app_url and migrations_url.startswith("postgresql"):
        grant_app_role(migrations_url, app_url)


def grant_app_role(migrations_url: str, app_url: str) -> None:
    from sqlalchemy import create_engine

    owner, app_user = make_url(migrations_url).username, make_url(app_url).username
    if not app_user or app_user == owner:
        return
    engine = create_engine(migrations_url)
    with engine.begin() as connection:
        for role in (TENANT_ROLE, RECOMPUTE_ROLE):
            connection.execute(text(f'grant {role} to "{app_user}"'))
    engine.dispose()


# --- row-level security DDL, used by migrations -------------------------------------------------------------

_CURRENT_ORG = f"nullif(current_setting('{TENANT_SETTING}', true), '')::int"


def create_roles_sql() -> list[str]:
    return [
        f"""do $$ begin
              if not exists (select from pg_roles where rolname = '{role}') then
                create role {role} nologin;
              end if;
            end $$"""
        for role in (TENANT_ROLE, RECOMPUTE_ROLE)
    ] + [
        f"grant usage on schema public to {TENANT_ROLE}, {RECOMPUTE_ROLE}",
        "alter default privileges in schema public"
        f" grant select, insert, update, delete on tables to {TENANT_ROLE}",
        f"alter default privileges in schema public grant usage, select on sequences to {TENANT_ROLE}",
        f"grant select, insert, update, delete on all tables in schema public to {TENANT_ROLE}",
        f"grant usage, select on all sequences in schema public to {TENANT_ROLE}",
    ]


def enable_rls_sql(table: str, *, nullable_org: bool = False) -> list[str]:
    """RLS on a tenant-owned table, enforced for its owner too; rows without an org are write-only."""
    # rows without an organisation (account events such as a failed login) are not any tenant's data; they
    # stay readable so that INSERT ... RETURNING works, and are only ever read filtered by their user
    rule = f"org_id is null or org_id = {_CURRENT_ORG}" if nullable_org else f"org_id = {_CURRENT_ORG}"
    return [
        f"alter table {table} enable row level security",
        f"alter table {table} force row level security",
        f"create policy tenant_isolation on {table} using ({rule}) with check ({rule})",
    ]


def recompute_read_sql(table: str) -> list[str]:
    """Let the fenced recompute role read every tenant's rows of this table (and nothing more)."""
    return [
        f"grant select on {table} to {RECOMPUTE_ROLE}",
        f"create policy recompute_read on {table} for select to {RECOMPUTE_ROLE} using (true)",
    ]
