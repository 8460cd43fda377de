"""PostgreSQL row-level security: the second wall between tenants, for the query that forgot `for_org()`."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.db import RECOMPUTE_ROLE, TENANT_SETTING, db, make_engine, scope_to_org, tenant_tables, transaction
from tenants import audit
from tenants.models import AuditEvent

pytestmark = pytest.mark.skipif(
    "config.getoption('--db') != 'postgresql'",
    reason="row-level security is PostgreSQL's; this module runs with --db postgresql",
)


@pytest.fixture
def two_orgs(app, make_org):
    """Organisations A and B with two audit rows each, plus one account row without an organisation."""
    a, b = make_org("Org A"), make_org("Org B")
    for org in (a, b):
        with transaction(org.id) as session:
            for n in range(2):
                audit.record(session, "test.event", org_id=org.id, n=n)
    with transaction() as session:
        audit.record(session, "login.failed", org_id=None, actor="someone@example.com")
    return a, b


def _org_ids(session: Session) -> list[int | None]:
    return sorted(e.org_id or 0 for e in session.scalars(select(AuditEvent)))  # no for_org(): RLS filters


def test_an_unscoped_query_sees_only_the_scoped_organisation(two_orgs):
    a, b = two_orgs
    with transaction(a.id) as session:
        assert _org_ids(session) == [0, a.id, a.id]
    with transaction(b.id) as session:
        assert _org_ids(session) == [0, b.id, b.id]


def test_the_request_session_scoped_with_scope_to_org_sees_one_organisation(two_orgs):
    a, _b = two_orgs
    session = db.factory()
    try:
        scope_to_org(session, a.id)
        assert _org_ids(session) == [0, a.id, a.id]
        session.commit()
        assert _org_ids(session) == [0, a.id, a.id]  # every later transaction of the session too
    finally:
        session.close()


def test_without_an_organisation_no_tenant_rows_are_visible(two_orgs):
    with transaction() as session:
        assert _org_ids(session) == [0]  # only the account event that belongs to no organisation
        assert session.scalars(select(AuditEvent).where(AuditEvent.org_id.is_not(None))).all() == []


def _insert_event(*, scope: int, org_id: int) -> None:
    with transaction(scope) as session:
        session.add(AuditEvent(org_id=org_id, actor="x", action="forged", detail={}, created_at=utcnow()))
        session.flush()


def _move_events(*, scope: int, from_org: int, to_org: int) -> None:
    with transaction(scope) as session:
        session.execute(update(AuditEvent).where(AuditEvent.org_id == from_org).values(org_id=to_org))


def test_writing_a_row_for_another_organisation_is_refused(two_orgs):
    a, b = two_orgs
    with pytest.raises(DBAPIError, match="row-level security"):
        _insert_event(scope=a.id, org_id=b.id)
    with pytest.raises(DBAPIError, match="row-level security"):
        _move_events(scope=a.id, from_org=a.id, to_org=b.id)
    with transaction(a.id) as session:
        changed = session.execute(update(AuditEvent).where(AuditEvent.org_id == b.id).values(actor="forged"))
        assert changed.rowcount == 0
    with transaction(b.id) as session:
        assert {e.actor for e in session.scalars(select(AuditEvent).where(AuditEvent.org_id == b.id))} == {
            "system"
        }


def test_the_application_role_is_bound_by_rls(app):
    with transaction() as session:
        user, superuser, bypass = session.execute(
            text("select rolname, rolsuper, rolbypassrls from pg_roles where rolname = current_user")
        ).one()
        assert user == "peerbench_app"
        assert (superuser, bypass) == (False, False)
        # nor can it become a role that is
        escalations = session.scalars(
            text(
                "select r.rolname from pg_roles r where (r.rolsuper or r.rolbypassrls)"
                " and pg_has_role(current_user, r.oid, 'member')"
            )
        ).all()
        assert escalations == []
        recompute = session.execute(
            text("select rolsuper, rolbypassrls from pg_roles where rolname = :r"), {"r": RECOMPUTE_ROLE}
        ).one()
        assert tuple(recompute) == (False, False)


def test_every_tenant_table_forces_rls(app):
    tables = tenant_tables()
    assert "audit_events" in tables
    with transaction() as session:
        rows = session.execute(
            text(
                "select c.relname, c.relrowsecurity, c.relforcerowsecurity,"
                " exists (select from pg_policies p where p.tablename = c.relname) as has_policy"
                " from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                " where n.nspname = 'public' and c.relkind = 'r' and c.relname = any(:tables)"
            ),
            {"tables": tables},
        ).all()
    assert sorted(r.relname for r in rows) == tables
    for row in rows:
        assert (row.relrowsecurity, row.relforcerowsecurity, row.has_policy) == (True, True, True), (
            row.relname
        )


def test_the_organisation_setting_is_transaction_local(app, app_config, two_orgs):
    a, _b = two_orgs
    engine = make_engine(str(app_config["database_url"]), pool_size=1, max_overflow=0)
    try:
        with Session(engine) as session:
            scope_to_org(session, a.id)
            pid, setting = session.execute(
                text("select pg_backend_pid(), current_setting(:name, true)"), {"name": TENANT_SETTING}
            ).one()
            assert setting == str(a.id)
            session.commit()
        # the same pooled connection, outside any Session: nothing of the last transaction's tenant is left
        with engine.connect() as connection:
            same_pid, left_over = connection.execute(
                text("select pg_backend_pid(), current_setting(:name, true)"), {"name": TENANT_SETTING}
            ).one()
            assert same_pid == pid
            assert left_over in (None, "")
            visible = connection.scalar(text("select count(*) from audit_events where org_id is not null"))
            assert visible == 0
    finally:
        engine.dispose()
