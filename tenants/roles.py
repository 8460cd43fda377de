"""Who may do what: the one table of roles and permissions (mirrored in docs/roles.md)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    ANALYST = "analyst"
    VIEWER = "viewer"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Role.VIEWER: 0, Role.ANALYST: 1, Role.ADMIN: 2, Role.OWNER: 3}


class Permission(StrEnum):
    VIEW = "view"  # dashboards, positions, definitions, submission history, report downloads
    UPLOAD = "upload"  # metrics and survey uploads, profile answers, XLA targets
    REPORTS = "reports"  # request comparison PDFs
    POLLS = "polls"  # build, open and close researcher polls
    TOKENS = "tokens"  # create and revoke one's own API tokens
    MANAGE_MEMBERS = "manage_members"  # invite, change roles, remove members
    MANAGE_ORG = "manage_org"  # organisation settings and branding
    MANAGE_CLIENTS = "manage_clients"  # consultancies: create and unlink client organisations
    VIEW_AUDIT = "view_audit"  # read the audit log
    BILLING = "billing"  # plans, Stripe Checkout and Customer Portal


_ANALYST = frozenset(
    {Permission.VIEW, Permission.UPLOAD, Permission.REPORTS, Permission.POLLS, Permission.TOKENS}
)

PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.VIEW}),
    Role.ANALYST: _ANALYST,
    Role.ADMIN: _ANALYST
    | {Permission.MANAGE_MEMBERS, Permission.MANAGE_ORG, Permission.MANAGE_CLIENTS, Permission.VIEW_AUDIT},
    Role.OWNER: frozenset(Permission),
}


def can(role: Role | None, permission: Permission) -> bool:
    return role is not None and permission in PERMISSIONS[role]


def can_assign(actor: Role, target_role: Role) -> bool:
    """Admins manage analysts and viewers and other admins; only owners make or unmake owners."""
    return actor is Role.OWNER or (actor is Role.ADMIN and target_role is not Role.OWNER)
