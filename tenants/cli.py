"""CLI: `peerbench orgs create`, `users create`, `tokens create|revoke` (options per DESIGN.md 11)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from core.app import settings_of
from core.clock import utcnow
from core.db import transaction
from core.errors import PeerbenchError
from tenants import accounts, tokens
from tenants.dimensions import Industry, Region, SizeBand
from tenants.models import ApiToken, Membership, Organisation, OrgKind
from tenants.plans import check_new_client
from tenants.roles import Role
from tenants.service import OrgProfile, create_organisation, find_organisation_by_slug


def _org_or_fail(session: Session, slug: str) -> Organisation:
    org = find_organisation_by_slug(session, slug)
    if org is None:
        raise click.ClickException(f"No organisation with slug '{slug}'.")
    return org


def org_id_for_slug(slug: str) -> int:
    """The id of the organisation a command names, or a ClickException (one the operator can read)."""
    with transaction() as session:
        return _org_or_fail(session, slug).id


@click.group("orgs")
def orgs() -> None:
    """Organisations."""


@orgs.command("create")
@click.option("--name", required=True)
@click.option("--slug")
@click.option("--kind", type=click.Choice([k.value for k in OrgKind]), required=True)
@click.option("--industry", type=click.Choice([i.value for i in Industry]), required=True)
@click.option("--size", type=click.Choice([s.value for s in SizeBand]), required=True)
@click.option("--region", type=click.Choice([r.value for r in Region]), required=True)
@click.option("--managed-by", help="Slug of the consultancy that manages this organisation.")
@with_appcontext
def orgs_create(
    name: str, slug: str | None, kind: str, industry: str, size: str, region: str, managed_by: str | None
) -> None:
    """Create an organisation and print its slug."""
    try:
        with transaction() as session:
            consultancy = _org_or_fail(session, managed_by) if managed_by else None
            if consultancy is not None and not consultancy.is_consultancy:
                raise click.ClickException(f"'{managed_by}' is not a consultancy.")
            if consultancy is not None:
                check_new_client(session, consultancy, settings=settings_of(current_app), now=utcnow())
            org = create_organisation(
                session,
                OrgProfile(name, OrgKind(kind), Industry(industry), SizeBand(size), Region(region), slug),
                managed_by=consultancy,
            )
            slug_out = org.slug
    except PeerbenchError as error:
        raise click.ClickException(error.message) from None
    click.echo(slug_out)


@click.group("users")
def users() -> None:
    """Users."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--org", "org_slug", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def users_create(email: str, org_slug: str, role: str, password: str) -> None:
    """Create a user (or reuse one with this email) and make them a member of the organisation."""
    try:
        with transaction() as session:
            org = _org_or_fail(session, org_slug)
            user = accounts.find_user_by_email(session, email) or accounts.create_user(
                session, email, password
            )
            session.add(Membership(user_id=user.id, org_id=org.id, role=Role(role)))
    except PeerbenchError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"{email} is {role} of {org_slug}")


@click.group("tokens")
def tokens_group() -> None:
    """API tokens."""


@tokens_group.command("create")
@click.option("--email", required=True)
@click.option("--org", "org_slug", required=True)
@click.option("--name", default="CLI token", show_default=True)
@with_appcontext
def tokens_create(email: str, org_slug: str, name: str) -> None:
    """Create an API token; the token alone is printed on the last line."""
    with transaction() as session:
        org = _org_or_fail(session, org_slug)
        user = accounts.find_user_by_email(session, email)
        if user is None:
            raise click.ClickException(f"No user with email '{email}'.")
        from tenants.service import role_for

        if role_for(session, user, org) is None:
            raise click.ClickException(f"{email} has no role on '{org_slug}'.")
        issued = tokens.create_token(session, user, org, name, now=utcnow())
        token_id = issued.token.id
    click.echo(f"Token {token_id} for {email} on {org_slug} (shown once):", err=True)
    click.echo(issued.secret)


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def tokens_revoke(token_id: int) -> None:
    """Revoke an API token by id."""
    with transaction() as session:
        token = session.get(ApiToken, token_id)
        if token is None:
            raise click.ClickException(f"No token {token_id}.")
        tokens.revoke_token(session, token, None, now=utcnow())
    click.echo(f"Token {token_id} revoked.")


COMMANDS = (orgs, users, tokens_group)
