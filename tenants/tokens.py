"""API tokens: long random strings shown once, stored as SHA-256 digests, revocable, with last-used time."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from core.errors import NotFound
from tenants import audit
from tenants.models import ApiToken, Organisation, User

TOKEN_PREFIX = "pb_"
_LAST_USED_GRANULARITY = timedelta(minutes=1)  # don't write on every request


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # the only time the plain token exists outside the client


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(session: Session, user: User, org: Organisation, name: str, *, now: datetime) -> IssuedToken:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)  # 32 random bytes
    token = ApiToken(
        user_id=user.id,
        org_id=org.id,
        name=(name or "API token").strip()[:100],
        token_hash=_digest(secret),
        prefix=secret[:10],
        created_at=now,
    )
    session.add(token)
    session.flush()
    audit.record(session, audit.TOKEN_CREATED, org_id=org.id, user=user, token_id=token.id, name=token.name)
    return IssuedToken(token, secret)


def authenticate_token(session: Session, secret: str, *, now: datetime) -> ApiToken | None:
    """The active token for this secret (its last-used time refreshed), or None."""
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == _digest(secret), ApiToken.revoked_at.is_(None))
        .options(joinedload(ApiToken.user), joinedload(ApiToken.organisation))
    )
    if token is not None and (
        token.last_used_at is None or now - token.last_used_at > _LAST_USED_GRANULARITY
    ):
        token.last_used_at = now
    return token


def list_tokens(session: Session, user: User, org: Organisation) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.org_id == org.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
        )
    )


def get_own_token(session: Session, user: User, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("No such token.")
    return token


def revoke_token(session: Session, token: ApiToken, user: User | None, *, now: datetime) -> None:
    if token.revoked_at is None:
        token.revoked_at = now
        session.flush()
        audit.record(
            session,
            audit.TOKEN_REVOKED,
            org_id=token.org_id,
            user=user,
            token_id=token.id,
            actor=None if user else "cli",
        )
