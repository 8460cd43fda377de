"""The audit log: who did what to which organisation, when. Never given a secret."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.db import for_org, scope_to_org
from tenants.models import AuditEvent, User

LOGIN_SUCCEEDED = "login.succeeded"
LOGIN_FAILED = "login.failed"
LOGOUT = "logout"
PASSWORD_CHANGED = "password.changed"
SIGNED_UP = "account.signed_up"
MEMBER_INVITED = "member.invited"
MEMBER_JOINED = "member.joined"
ROLE_CHANGED = "member.role_changed"
MEMBER_REMOVED = "member.removed"
TOKEN_CREATED = "token.created"
TOKEN_REVOKED = "token.revoked"
CLIENT_CREATED = "client.created"
CLIENT_UNLINKED = "client.unlinked"
ORG_UPDATED = "organisation.updated"
ACCESS_REFUSED = "access.refused"


def record(
    session: Session,
    action: str,
    *,
    org_id: int | None,
    user: User | None = None,
    actor: str | None = None,
    ip: str | None = None,
    **detail: Any,
) -> AuditEvent:
    event = AuditEvent(
        org_id=org_id,
        user_id=user.id if user else None,
        actor=actor or (user.email if user else "system"),
        action=action,
        detail=detail,
        ip=ip,
        created_at=utcnow(),
    )
    previous = session.info.get("org_id")
    # the audit trail is trusted code: it may write to an organisation other than the one in scope (a login
    # is recorded in every organisation of the user); RLS's WITH CHECK needs that organisation in scope
    switch = org_id is not None and org_id != previous
    if switch:
        scope_to_org(session, org_id)
    session.add(event)
    session.flush()
    if switch:
        scope_to_org(session, previous)
    return event


def list_events(
    session: Session, org_id: int, *, limit: int = 200, before_id: int | None = None
) -> list[AuditEvent]:
    query = for_org(AuditEvent, org_id).order_by(AuditEvent.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    return list(session.scalars(query))


def list_account_events(session: Session, user: User, *, limit: int = 50) -> list[AuditEvent]:
    """A user's own sign-in history (events with no organisation)."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.user_id == user.id, AuditEvent.org_id.is_(None))
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
