"""Organisations, memberships, consultancy clients and who may act on what."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from tenants import audit
from tenants.dimensions import Industry, Region, SizeBand
from tenants.models import Membership, Organisation, OrgKind, User
from tenants.roles import Role, can_assign

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
RESERVED_SLUGS = frozenset(
    {"api", "admin", "static", "login", "logout", "signup", "new", "p", "billing", "o"}
)


@dataclass(frozen=True)
class OrgProfile:
    name: str
    kind: OrgKind
    industry: Industry
    size_band: SizeBand
    region: Region
    slug: str | None = None


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")
    return slug or "org"


def _free_slug(session: Session, wanted: str | None, name: str) -> str:
    if wanted:
        slug = wanted.strip().lower()
        if not _SLUG.match(slug) or slug in RESERVED_SLUGS:
            raise InvalidInput(
                f"'{wanted}' is not a usable slug: lower-case letters, digits and dashes.",
                [{"field": "slug", "message": "invalid"}],
            )
        if session.scalar(select(Organisation.id).where(Organisation.slug == slug)):
            raise Conflict(f"The slug '{slug}' is taken.", [{"field": "slug", "message": "taken"}])
        return slug
    base = slugify(name)
    if base in RESERVED_SLUGS:
        base = f"{base}-org"
    taken = set(session.scalars(select(Organisation.slug).where(Organisation.slug.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_organisation(
    session: Session,
    profile: OrgProfile,
    *,
    owner: User | None = None,
    managed_by: Organisation | None = None,
) -> Organisation:
    name = profile.name.strip()
    if not name:
        raise InvalidInput("The organisation needs a name.", [{"field": "name", "message": "required"}])
    org = Organisation(
        name=name[:200],
        slug=_free_slug(session, profile.slug, name),
        kind=profile.kind,
        industry=profile.industry,
        size_band=profile.size_band,
        region=profile.region,
        managed_by_id=managed_by.id if managed_by else None,
    )
    session.add(org)
    session.flush()
    if owner is not None:
        session.add(Membership(user_id=owner.id, org_id=org.id, role=Role.OWNER))
        session.flush()
    return org


def get_organisation(session: Session, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("No such organisation.")
    return org


def find_organisation_by_slug(session: Session, slug: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.slug == slug))


def role_for(session: Session, user: User, org: Organisation) -> Role | None:
    """The user's role on `org`: their own membership, else their role in the consultancy that manages it."""
    org_ids = [org.id] + ([org.managed_by_id] if org.managed_by_id else [])
    rows = session.execute(
        select(Membership.org_id, Membership.role).where(
            Membership.user_id == user.id, Membership.org_id.in_(org_ids)
        )
    )
    roles = {org_id: role for org_id, role in rows}
    if org.id in roles:
        return Role(roles[org.id])
    if org.managed_by_id in roles:
        managing = session.get(Organisation, org.managed_by_id)
        if managing is not None and managing.is_consultancy:
            return Role(roles[org.managed_by_id])
    return None


@dataclass(frozen=True)
class AccessibleOrg:
    org: Organisation
    role: Role
    via: Organisation | None  # the consultancy through which the user reaches a client


def list_accessible(session: Session, user: User) -> list[AccessibleOrg]:
    """Every organisation the user may act on: memberships, and the clients of their consultancies."""
    memberships = session.scalars(
        select(Membership).where(Membership.user_id == user.id).options(joinedload(Membership.organisation))
    ).all()
    result = {m.org_id: AccessibleOrg(m.organisation, Role(m.role), None) for m in memberships}
    consultancies = {m.org_id: m for m in memberships if m.organisation.is_consultancy}
    if consultancies:
        clients = session.scalars(
            select(Organisation)
            .where(Organisation.managed_by_id.in_(consultancies))
            .order_by(Organisation.name)
        )
        for client in clients:
            if client.id not in result:
                via = consultancies[client.managed_by_id]  # type: ignore[index]
                result[client.id] = AccessibleOrg(client, Role(via.role), via.organisation)
    return sorted(result.values(), key=lambda a: (a.via is not None, a.org.name.lower()))


def list_clients(session: Session, consultancy: Organisation) -> list[Organisation]:
    return list(
        session.scalars(
            select(Organisation)
            .where(Organisation.managed_by_id == consultancy.id)
            .order_by(Organisation.name)
        )
    )


def create_client(
    session: Session, consultancy: Organisation, user: User, profile: OrgProfile
) -> Organisation:
    if not consultancy.is_consultancy:
        raise Forbidden("Only consultancy organisations manage client organisations.")
    if profile.kind is OrgKind.CONSULTANCY:
        raise InvalidInput(
            "A client organisation cannot itself be a consultancy.",
            [{"field": "kind", "message": "must be enterprise or research"}],
        )
    client = create_organisation(session, profile, managed_by=consultancy)
    audit.record(session, audit.CLIENT_CREATED, org_id=consultancy.id, user=user, client=client.slug)
    audit.record(session, audit.CLIENT_CREATED, org_id=client.id, user=user, consultancy=consultancy.slug)
    return client


def unlink_client(session: Session, consultancy: Organisation, user: User, client: Organisation) -> None:
    """End the consultancy's access to the client at once; the client keeps its data and own members."""
    if client.managed_by_id != consultancy.id:
        raise NotFound("No such client organisation.")
    client.managed_by_id = None
    session.flush()
    audit.record(session, audit.CLIENT_UNLINKED, org_id=consultancy.id, user=user, client=client.slug)
    audit.record(session, audit.CLIENT_UNLINKED, org_id=client.id, user=user, consultancy=consultancy.slug)


def update_organisation(session: Session, org: Organisation, user: User, **changes: object) -> Organisation:
    allowed = {"name", "industry", "size_band", "region", "display_name", "primary_colour"}
    applied = {}
    for key, value in changes.items():
        if key not in allowed or value is None:
            continue
        if getattr(org, key) != value:
            setattr(org, key, value)
            applied[key] = str(value)
    if applied:
        session.flush()
        audit.record(session, audit.ORG_UPDATED, org_id=org.id, user=user, changes=applied)
    return org


def list_members(session: Session, org: Organisation) -> list[Membership]:
    return list(
        session.scalars(
            select(Membership)
            .where(Membership.org_id == org.id)
            .options(joinedload(Membership.user))
            .order_by(Membership.created_at)
        )
    )


def _owner_count(session: Session, org: Organisation) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.org_id == org.id, Membership.role == Role.OWNER)
        )
        or 0
    )


def get_membership(session: Session, org: Organisation, membership_id: int) -> Membership:
    membership = session.get(Membership, membership_id)
    if membership is None or membership.org_id != org.id:
        raise NotFound("No such member.")
    return membership


def change_role(
    session: Session, org: Organisation, actor: User, actor_role: Role, membership: Membership, new_role: Role
) -> None:
    old = Role(membership.role)
    if not (can_assign(actor_role, old) and can_assign(actor_role, new_role)):
        raise Forbidden("Only an owner can make or change an owner.")
    if old is Role.OWNER and new_role is not Role.OWNER and _owner_count(session, org) <= 1:
        raise Conflict("An organisation needs at least one owner.")
    membership.role = new_role
    session.flush()
    audit.record(
        session,
        audit.ROLE_CHANGED,
        org_id=org.id,
        user=actor,
        member=membership.user.email,
        old=old.value,
        new=new_role.value,
    )


def remove_member(
    session: Session, org: Organisation, actor: User, actor_role: Role, membership: Membership
) -> None:
    old = Role(membership.role)
    if not can_assign(actor_role, old):
        raise Forbidden("Only an owner can remove an owner.")
    if old is Role.OWNER and _owner_count(session, org) <= 1:
        raise Conflict("An organisation needs at least one owner.")
    email = membership.user.email
    session.delete(membership)
    session.flush()
    audit.record(session, audit.MEMBER_REMOVED, org_id=org.id, user=actor, member=email, role=old.value)
