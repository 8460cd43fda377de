"""Pages of one organisation: home, settings, members, clients, API tokens, audit log."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from core.app import settings_of
from core.clock import utcnow
from core.db import db
from core.errors import Forbidden, NotFound, PeerbenchError
from tenants import accounts, audit, branding, service, tokens
from tenants.access import requires
from tenants.dimensions import Industry, Region, SizeBand
from tenants.forms import ClientForm, ConfirmForm, InviteForm, OrgSettingsForm, RoleForm, TokenForm
from tenants.models import Organisation, OrgKind
from tenants.plans import Feature, check_branding_change, check_new_client, has_entitlement
from tenants.roles import PERMISSIONS, Permission, Role
from tenants.views import bp


@bp.get("/o/<slug>/")
@requires(Permission.VIEW)
def org_home(org: Organisation) -> str | Response:
    if "dashboard.dashboard" in current_app.view_functions:
        return redirect(url_for("dashboard.dashboard", slug=org.slug))
    return render_template("tenants/home.html", org=org)


@bp.route("/o/<slug>/settings", methods=["GET", "POST"])
@requires(Permission.MANAGE_ORG)
def org_settings(org: Organisation) -> str | Response:
    form = OrgSettingsForm(obj=org)
    if form.validate_on_submit():
        display_name = (form.display_name.data or "").strip() or None
        primary_colour = (form.primary_colour.data or "").lower() or None
        check_branding_change(
            org,
            display_name=display_name,
            primary_colour=primary_colour,
            settings=settings_of(current_app),
            now=utcnow(),
        )
        service.update_organisation(
            db.session,
            org,
            current_user,
            name=form.name.data.strip(),
            industry=Industry(form.industry.data),
            size_band=SizeBand(form.size_band.data),
            region=Region(form.region.data),
            display_name=display_name,
            primary_colour=primary_colour,
        )
        flash("Settings saved.", "success")
        return redirect(url_for("tenants.org_settings", slug=org.slug))
    return render_template("tenants/settings.html", org=org, form=form)


@bp.post("/o/<slug>/settings/logo")
@requires(Permission.MANAGE_ORG)
def upload_logo(org: Organisation) -> Response:
    upload = request.files.get("logo")
    settings = settings_of(current_app)
    if request.form.get("remove"):
        branding.remove_logo(db.session, org, current_user, storage_root=settings.storage_path)
        flash("Logo removed.", "success")
    elif upload is None or not upload.filename:
        flash("Choose a PNG or SVG file.", "error")
    else:
        try:
            branding.set_logo(
                db.session, org, current_user, upload.read(branding.MAX_LOGO_BYTES + 1), upload.mimetype,
                storage_root=settings.storage_path, settings=settings, now=utcnow(),
            )  # fmt: skip
            flash("Logo saved: it appears on your clients' reports.", "success")
        except PeerbenchError as error:
            db.session.rollback()
            flash(error.message, "error")
    return redirect(url_for("tenants.org_settings", slug=org.slug))


@bp.get("/o/<slug>/settings/logo")
@requires(Permission.MANAGE_ORG)
def logo(org: Organisation) -> Response:
    found = branding.find_logo(org, storage_root=settings_of(current_app).storage_path)
    if found is None:
        raise NotFound("No logo uploaded.")
    response = Response(found.data, mimetype=found.media_type)
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


def _members_page(
    org: Organisation, issued: accounts.IssuedInvitation | None = None, link: str | None = None
) -> str:
    return render_template(
        "tenants/members.html",
        org=org,
        members=service.list_members(db.session, org),
        invite_form=InviteForm(),
        role_form=RoleForm(),
        confirm_form=ConfirmForm(),
        issued=issued,
        invite_link=link,
        permissions=PERMISSIONS,
        roles=list(Role),
        permission_list=list(Permission),
        can_manage=Permission.MANAGE_MEMBERS in PERMISSIONS[g.role],
    )


@bp.get("/o/<slug>/members")
@requires(Permission.VIEW)
def members(org: Organisation) -> str:
    return _members_page(org)


@bp.post("/o/<slug>/members/invite")
@requires(Permission.MANAGE_MEMBERS)
def invite(org: Organisation) -> str | Response:
    form = InviteForm()
    if not form.validate_on_submit():
        flash("Give a valid email address and role.", "error")
        return redirect(url_for("tenants.members", slug=org.slug))
    role = Role(form.role.data)
    if role is Role.OWNER and g.role is not Role.OWNER:
        raise Forbidden("Only an owner can invite another owner.")  # a refusal: 403, audited
    try:
        issued = accounts.invite_member(db.session, org, current_user, form.email.data, role, now=utcnow())
    except PeerbenchError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("tenants.members", slug=org.slug))
    link = url_for("tenants.invitation", token=issued.token, _external=True)
    # no mail server: the link is shown to the inviter and logged for the operator
    current_app.logger.info("invitation for %s to %s: %s", issued.invitation.email, org.slug, link)
    return _members_page(org, issued, link)


@bp.post("/o/<slug>/members/<int:membership_id>/role")
@requires(Permission.MANAGE_MEMBERS)
def change_role(org: Organisation, membership_id: int) -> Response:
    form = RoleForm()
    if form.validate_on_submit():
        membership = service.get_membership(db.session, org, membership_id)
        service.change_role(db.session, org, current_user, g.role, membership, Role(form.role.data))
        flash(f"{membership.user.email} is now {form.role.data}.", "success")
    return redirect(url_for("tenants.members", slug=org.slug))


@bp.post("/o/<slug>/members/<int:membership_id>/remove")
@requires(Permission.MANAGE_MEMBERS)
def remove_member(org: Organisation, membership_id: int) -> Response:
    if ConfirmForm().validate_on_submit():
        membership = service.get_membership(db.session, org, membership_id)
        service.remove_member(db.session, org, current_user, g.role, membership)
        flash("Member removed.", "success")
    return redirect(url_for("tenants.members", slug=org.slug))


@bp.route("/o/<slug>/clients", methods=["GET", "POST"])
@requires(Permission.VIEW)
def clients(org: Organisation) -> str | Response:
    if not org.is_consultancy:
        flash("Client organisations belong to consultancies.", "error")
        return redirect(url_for("tenants.org_home", slug=org.slug))
    form = ClientForm()
    can_manage = Permission.MANAGE_CLIENTS in PERMISSIONS[g.role]
    if form.validate_on_submit():
        if not can_manage:
            raise Forbidden("Your role may not add client organisations.")  # a refusal: 403, audited
        check_new_client(db.session, org, settings=settings_of(current_app), now=utcnow())
        profile = service.OrgProfile(
            name=form.name.data,
            kind=OrgKind(form.kind.data),
            industry=Industry(form.industry.data),
            size_band=SizeBand(form.size_band.data),
            region=Region(form.region.data),
        )
        client = service.create_client(db.session, org, current_user, profile)
        flash(f"{client.name} created. Switch to it from the organisation menu.", "success")
        return redirect(url_for("tenants.clients", slug=org.slug))
    clients = service.list_clients(db.session, org)
    settings = settings_of(current_app)
    return render_template(
        "tenants/clients.html",
        org=org,
        clients=clients,
        form=form,
        confirm_form=ConfirmForm(),
        can_manage=can_manage,
        plan_allows_more=has_entitlement(
            org, Feature.CLIENT_ORGS, settings=settings, now=utcnow(), usage=len(clients) + 1
        ),
        billing_link=url_for("tenants.billing_page", slug=org.slug)
        if settings.billing_enabled and Permission.BILLING in PERMISSIONS[g.role]
        else None,
    )


@bp.post("/o/<slug>/clients/<client_slug>/unlink")
@requires(Permission.MANAGE_CLIENTS)
def unlink_client(org: Organisation, client_slug: str) -> Response:
    if ConfirmForm().validate_on_submit():
        client = service.find_organisation_by_slug(db.session, client_slug)
        if client is None:
            flash("No such client.", "error")
        else:
            service.unlink_client(db.session, org, current_user, client)
            flash(f"{client.name} is no longer managed by {org.name}.", "success")
    return redirect(url_for("tenants.clients", slug=org.slug))


@bp.route("/o/<slug>/tokens", methods=["GET", "POST"])
@requires(Permission.TOKENS)
def api_tokens(org: Organisation) -> str:
    form = TokenForm()
    issued = None
    if form.validate_on_submit():
        issued = tokens.create_token(db.session, current_user, org, form.name.data, now=utcnow())
        form = TokenForm(formdata=None)
    return render_template(
        "tenants/tokens.html",
        org=org,
        form=form,
        issued=issued,
        tokens=tokens.list_tokens(db.session, current_user, org),
        confirm_form=ConfirmForm(),
    )


@bp.post("/o/<slug>/tokens/<int:token_id>/revoke")
@requires(Permission.TOKENS)
def revoke_token(org: Organisation, token_id: int) -> Response:
    if ConfirmForm().validate_on_submit():
        token = tokens.get_own_token(db.session, current_user, token_id)
        if token.org_id != org.id:
            raise NotFound("No such token.")  # this page lists this organisation's tokens only
        tokens.revoke_token(db.session, token, current_user, now=utcnow())
        flash(f"Token “{token.name}” revoked.", "success")
    return redirect(url_for("tenants.api_tokens", slug=org.slug))


@bp.get("/o/<slug>/audit")
@requires(Permission.VIEW_AUDIT)
def audit_log(org: Organisation) -> str:
    return render_template("tenants/audit.html", org=org, events=audit.list_events(db.session, org.id))
