"""HTTP API v1, tenants part: organisations, clients, token revocation. Thin: parse, call, render."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from core.app import settings_of
from core.clock import utcnow
from core.db import db
from core.errors import Forbidden, Unauthorised
from tenants import branding, service, tokens
from tenants.access import current_token, requires
from tenants.dimensions import Industry, Region, SizeBand
from tenants.models import Organisation, OrgKind
from tenants.plans import check_branding_change, check_new_client
from tenants.roles import Permission, can
from tenants.schemas import (
    ClientCreateSchema,
    HealthSchema,
    OrganisationListSchema,
    OrganisationSchema,
    OrganisationUpdateSchema,
)

blp = Blueprint("api", __name__, url_prefix="/api/v1", description="Peerbench API v1")

_PUBLIC_ENDPOINTS = {"api.Health"}  # MethodView endpoints are named for the class


@blp.before_request
def _authenticate() -> None:
    from flask import request

    if request.endpoint in _PUBLIC_ENDPOINTS or request.method == "OPTIONS":
        return
    if not current_user.is_authenticated or current_token() is None:
        raise Unauthorised("A valid API token is required: send `Authorization: Bearer <token>`.")


def _with_role(org: Organisation) -> Organisation:
    org.role = g.role.value if g.get("org") is org else service.role_for(db.session, current_user, org)
    return org


@blp.route("/health")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    def get(self) -> dict[str, str]:
        """Liveness probe (no authentication)."""
        return {"status": "ok"}


@blp.route("/orgs")
class Organisations(MethodView):
    @blp.response(200, OrganisationListSchema)
    def get(self) -> dict[str, Any]:
        """Organisations this token may act on: its own and, for a consultancy, its clients."""
        token = current_token()
        assert token is not None
        org = token.organisation
        role = service.role_for(db.session, current_user, org)
        if role is None:
            return {"organisations": []}
        orgs = [org, *(service.list_clients(db.session, org) if org.is_consultancy else [])]
        for o in orgs:
            o.role = role.value
        return {"organisations": orgs}

    @blp.arguments(ClientCreateSchema)
    @blp.response(201, OrganisationSchema)
    def post(self, data: dict[str, Any]) -> Organisation:
        """Create a client organisation managed by the token's consultancy."""
        token = current_token()
        assert token is not None
        consultancy = token.organisation
        role = service.role_for(db.session, current_user, consultancy)
        if not can(role, Permission.MANAGE_CLIENTS):
            raise Forbidden(
                "Creating client organisations needs the manage_clients permission on a consultancy."
            )
        profile = service.OrgProfile(
            name=data["name"],
            slug=data.get("slug"),
            kind=OrgKind(data["kind"]),
            industry=Industry(data["industry"]),
            size_band=SizeBand(data["size"]),
            region=Region(data["region"]),
        )
        check_new_client(db.session, consultancy, settings=settings_of(current_app), now=utcnow())
        client = service.create_client(db.session, consultancy, current_user, profile)
        client.role = role.value if role else None
        return client


@blp.route("/orgs/<slug>")
class OrganisationDetail(MethodView):
    @requires(Permission.VIEW)
    @blp.response(200, OrganisationSchema)
    def get(self, org: Organisation) -> Organisation:
        """The organisation's profile."""
        return _with_role(org)

    @requires(Permission.MANAGE_ORG)
    @blp.arguments(OrganisationUpdateSchema)
    @blp.response(200, OrganisationSchema)
    def patch(self, data: dict[str, Any], org: Organisation) -> Organisation:
        """Change the profile; a consultancy sets its white-label `branding`."""
        branding = data.get("branding") or {}
        if branding and not org.is_consultancy:
            raise Forbidden("Only consultancies brand reports (white-label).")
        check_branding_change(
            org,
            display_name=branding.get("display_name"),
            primary_colour=branding.get("primary_colour"),
            settings=settings_of(current_app),
            now=utcnow(),
        )
        service.update_organisation(
            db.session,
            org,
            current_user,
            name=data.get("name"),
            industry=Industry(data["industry"]) if "industry" in data else None,
            size_band=SizeBand(data["size"]) if "size" in data else None,
            region=Region(data["region"]) if "region" in data else None,
            display_name=branding.get("display_name"),
            primary_colour=branding.get("primary_colour"),
        )
        return _with_role(org)


@blp.route("/tokens/<int:token_id>")
class TokenDetail(MethodView):
    @blp.response(204)
    def delete(self, token_id: int) -> None:
        """Revoke one of your own tokens (this one included)."""
        token = tokens.get_own_token(db.session, current_user, token_id)
        tokens.revoke_token(db.session, token, current_user, now=utcnow())


@blp.route("/orgs/<slug>/branding/logo")
class BrandingLogo(MethodView):
    @requires(Permission.MANAGE_ORG)
    @blp.response(204)
    @blp.alt_response(413, description="Larger than 512 KB")
    @blp.alt_response(422, description="Not a PNG, or an SVG with script, handlers or external references")
    def put(self, org: Organisation) -> None:
        """Upload the consultancy's white-label logo: PNG or SVG, the raw body or multipart field `file`."""
        upload = request.files.get("file") or request.files.get("logo")
        data = upload.read(branding.MAX_LOGO_BYTES + 1) if upload else request.get_data(cache=False)
        media_type = (upload.mimetype if upload else request.mimetype) or None
        settings = settings_of(current_app)
        branding.set_logo(
            db.session, org, current_user, data, media_type,
            storage_root=settings.storage_path, settings=settings, now=utcnow(),
        )  # fmt: skip

    @requires(Permission.MANAGE_ORG)
    @blp.response(204)
    def delete(self, org: Organisation) -> None:
        """Remove the white-label logo (reports fall back to the display name alone)."""
        branding.remove_logo(
            db.session, org, current_user, storage_root=settings_of(current_app).storage_path
        )
