"""Who: organisations, users, memberships, login sessions, invitations, API tokens and the audit log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.db import Base, enum_column
from tenants.dimensions import Industry, Region, SizeBand
from tenants.roles import Role


class OrgKind(StrEnum):
    ENTERPRISE = "enterprise"
    CONSULTANCY = "consultancy"
    RESEARCH = "research"


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint("managed_by_id IS NULL OR managed_by_id <> id", name="not_self_managed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[OrgKind] = mapped_column(enum_column(OrgKind, 20))
    industry: Mapped[Industry] = mapped_column(enum_column(Industry, 40))
    size_band: Mapped[SizeBand] = mapped_column(enum_column(SizeBand, 4))
    region: Mapped[Region] = mapped_column(enum_column(Region, 8))
    managed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # branding (consultancies: white-label reports for their clients)
    display_name: Mapped[str | None] = mapped_column(String(200))
    primary_colour: Mapped[str | None] = mapped_column(String(7))
    logo_path: Mapped[str | None] = mapped_column(String(300))
    # billing (DESIGN.md 9); plan is meaningful only when Stripe is configured
    plan: Mapped[str] = mapped_column(String(20), default="free")
    billing_status: Mapped[str | None] = mapped_column(String(20))
    current_period_end: Mapped[datetime | None]
    past_due_since: Mapped[datetime | None]
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(64), index=True)
    subscription_event_at: Mapped[int | None]  # `created` of the last subscription event applied

    managed_by: Mapped[Organisation | None] = relationship(remote_side=[id])

    @property
    def is_consultancy(self) -> bool:
        return self.kind == OrgKind.CONSULTANCY

    def __repr__(self) -> str:
        return f"<Organisation {self.slug}>"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime | None]

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")

    # flask-login's user protocol; the id it stores in the cookie is the server-side login session's
    login_id = None  # str once loaded for a request: not a column
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str | None:
        return self.login_id

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, 10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship()


class LoginSession(Base):
    """A server-side record of one signed-in browser: logout and password change end it for good."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # random; carried in the signed cookie
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class Invitation(Base):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(enum_column(Role, 10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 hex of the token
    prefix: Mapped[str] = mapped_column(String(12))  # shown in lists so a token can be recognised
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    organisation: Mapped[Organisation] = relationship()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditEvent(Base):
    """Who did what to which organisation, when. `org_id` is empty for account events (a failed login)."""

    __tablename__ = "audit_events"
    __tenant_owned__ = True
    __tenant_nullable__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(254), default="")  # email or "system", kept if the user goes
    action: Mapped[str] = mapped_column(String(60), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class StripeEvent(Base):
    """A verified Stripe webhook event, kept so that a redelivery of the same id changes nothing.

    Not tenant-owned: written only by the webhook, never shown to a tenant.
    """

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    created: Mapped[int] = mapped_column(BigInteger)  # Stripe's `created`, Unix seconds
    outcome: Mapped[str] = mapped_column(String(20))  # applied, stale, ignored, unmatched
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)
