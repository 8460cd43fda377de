"""Users, passwords, server-side login sessions and invitations."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput, NotFound
from tenants import audit
from tenants.models import Invitation, LoginSession, Membership, Organisation, User
from tenants.roles import Role

_hasher = PasswordHasher()
# a hash to verify against when the account does not exist, so timing does not reveal which emails exist
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
MIN_PASSWORD_LENGTH = 10
INVITATION_DAYS = 7
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise InvalidInput(
            f"'{email}' is not an email address", [{"field": "email", "message": "not an email"}]
        )
    return email


def check_password_strength(password: str, email: str = "") -> None:
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"at least {MIN_PASSWORD_LENGTH} characters")
    if email and password.lower() == email.lower():
        problems.append("different from the email address")
    if problems:
        raise InvalidInput(
            "The password must be " + " and ".join(problems) + ".",
            [{"field": "password", "message": p} for p in problems],
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.strip().lower()))


def create_user(session: Session, email: str, password: str, *, name: str = "") -> User:
    email = normalise_email(email)
    check_password_strength(password, email)
    if find_user_by_email(session, email) is not None:
        raise Conflict(
            "An account with this email address already exists.",
            [{"field": "email", "message": "already registered"}],
        )
    user = User(email=email, name=name.strip(), password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def authenticate(
    session: Session, email: str, password: str, *, now: datetime, ip: str | None
) -> User | None:
    """The user whose password this is, or None; either outcome is in the audit log."""
    user = find_user_by_email(session, email or "")
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password or "")
        valid = user is not None
    except (VerificationError, InvalidHashError):
        valid = False
    if not valid:
        audit.record(session, audit.LOGIN_FAILED, org_id=None, user=user, actor=(email or "")[:254], ip=ip)
        return None
    assert user is not None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    audit.record(session, audit.LOGIN_SUCCEEDED, org_id=None, user=user, ip=ip)
    for membership in user.memberships:
        audit.record(session, audit.LOGIN_SUCCEEDED, org_id=membership.org_id, user=user, ip=ip)
    return user


def start_login_session(session: Session, user: User, *, now: datetime) -> LoginSession:
    login = LoginSession(id=secrets.token_urlsafe(32), user_id=user.id, created_at=now)
    session.add(login)
    session.flush()
    return login


def find_active_login(session: Session, login_id: str) -> LoginSession | None:
    login = session.get(LoginSession, login_id)
    return login if login is not None and login.ended_at is None else None


def end_login_session(session: Session, login_id: str, *, now: datetime) -> None:
    login = session.get(LoginSession, login_id)
    if login is not None and login.ended_at is None:
        login.ended_at = now
        audit.record(session, audit.LOGOUT, org_id=None, user=login.user)


def change_password(
    session: Session, user: User, current: str, new: str, *, keep_login_id: str | None, now: datetime
) -> None:
    """Set a new password and end every other signed-in session of the user."""
    try:
        _hasher.verify(user.password_hash, current or "")
    except (VerificationError, InvalidHashError):
        raise InvalidInput(
            "The current password is not correct.", [{"field": "current_password", "message": "incorrect"}]
        ) from None
    check_password_strength(new, user.email)
    user.password_hash = hash_password(new)
    user.password_changed_at = now
    session.execute(
        update(LoginSession)
        .where(
            LoginSession.user_id == user.id,
            LoginSession.ended_at.is_(None),
            LoginSession.id != (keep_login_id or ""),
        )
        .values(ended_at=now)
    )
    audit.record(session, audit.PASSWORD_CHANGED, org_id=None, user=user)


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str  # shown once to the inviter (no mail server): the link carries it


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_member(
    session: Session, org: Organisation, inviter: User, email: str, role: Role, *, now: datetime
) -> IssuedInvitation:
    email = normalise_email(email)
    existing = find_user_by_email(session, email)
    if existing is not None and session.scalar(
        select(Membership).where(Membership.user_id == existing.id, Membership.org_id == org.id)
    ):
        raise Conflict(f"{email} is already a member of {org.name}.")
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        org_id=org.id,
        email=email,
        role=role,
        token_hash=_digest(token),
        invited_by_id=inviter.id,
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    session.add(invitation)
    session.flush()
    audit.record(session, audit.MEMBER_INVITED, org_id=org.id, user=inviter, email=email, role=role.value)
    return IssuedInvitation(invitation, token)


def get_open_invitation(session: Session, token: str, *, now: datetime) -> Invitation:
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == _digest(token or "")))
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at < now:
        raise NotFound("This invitation link is not valid: it may have been used or have expired.")
    return invitation


def accept_invitation(session: Session, invitation: Invitation, user: User, *, now: datetime) -> Membership:
    if user.email != invitation.email:
        raise InvalidInput(f"This invitation is for {invitation.email}; sign in with that address.")
    membership = session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.org_id == invitation.org_id)
    )
    if membership is None:
        membership = Membership(user_id=user.id, org_id=invitation.org_id, role=invitation.role)
        session.add(membership)
    invitation.accepted_at = now
    session.flush()
    audit.record(session, audit.MEMBER_JOINED, org_id=invitation.org_id, user=user, role=invitation.role)
    return membership
