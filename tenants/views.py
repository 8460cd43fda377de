"""Pages for accounts: sign-up, login, logout, password change, invitations. Thin: parse, call, render."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from core.app import settings_of
from core.clock import utcnow
from core.db import db
from core.errors import PeerbenchError
from core.extensions import limiter
from tenants import accounts, audit
from tenants.access import client_ip, signed_in
from tenants.dimensions import Industry, Region, SizeBand
from tenants.forms import AcceptInvitationForm, LoginForm, PasswordForm, SignupForm
from tenants.models import OrgKind, User
from tenants.service import OrgProfile, create_organisation, list_accessible

bp = Blueprint("tenants", __name__, template_folder="templates")


def safe_next(target: str | None) -> str | None:
    """A same-site path to go back to after login, or None (no open redirects)."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return None
    return target


def _login_key() -> str:
    return "account:" + (request.form.get("email") or "").strip().lower()[:254]


def _sign_in(user: User) -> None:
    session.clear()  # a fresh session at login: nothing from before carries over (no fixation)
    login = accounts.start_login_session(db.session, user, now=utcnow())
    user.login_id = login.id
    login_user(user, fresh=True)


@bp.get("/")
def index() -> str | Response:
    if current_user.is_authenticated:
        accessible = list_accessible(db.session, current_user)
        if accessible:
            # the organisation last worked on, else the first one with data of its own (not a consultancy)
            last = session.get("last_org")
            chosen = next((a for a in accessible if a.org.slug == last), None) or min(
                accessible, key=lambda a: (a.via is not None, a.org.is_consultancy)
            )
            return redirect(url_for("tenants.org_home", slug=chosen.org.slug))
    return render_template("tenants/index.html")


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def signup() -> str | Response:
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                db.session, form.email.data, form.password.data, name=form.name.data or ""
            )
            profile = OrgProfile(
                name=form.org_name.data,
                kind=OrgKind(form.kind.data),
                industry=Industry(form.industry.data),
                size_band=SizeBand(form.size_band.data),
                region=Region(form.region.data),
            )
            org = create_organisation(db.session, profile, owner=user)
            audit.record(db.session, audit.SIGNED_UP, org_id=org.id, user=user, ip=client_ip())
        except PeerbenchError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            _sign_in(user)
            flash(f"Welcome to Peerbench. {org.name} is ready.", "success")
            return redirect(url_for("tenants.org_home", slug=org.slug))
    return render_template("tenants/signup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@limiter.limit("5 per minute", methods=["POST"], key_func=_login_key)
def login() -> str | Response:
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = accounts.authenticate(
            db.session, form.email.data, form.password.data, now=utcnow(), ip=client_ip()
        )
        if user is None:
            flash("The email address or password is not correct.", "error")
        else:
            _sign_in(user)
            return redirect(safe_next(form.next.data) or url_for("tenants.index"))
    return render_template("tenants/login.html", form=form)


@bp.post("/logout")
@signed_in
def logout() -> Response:
    accounts.end_login_session(db.session, current_user.login_id, now=utcnow())
    logout_user()
    session.clear()
    flash("You are signed out.", "success")
    return redirect(url_for("tenants.login"))


@bp.route("/account", methods=["GET", "POST"])
@signed_in
def account() -> str | Response:
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                db.session,
                current_user,
                form.current_password.data,
                form.new_password.data,
                keep_login_id=current_user.login_id,
                now=utcnow(),
            )
        except PeerbenchError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            flash("Password changed. Every other signed-in browser has been signed out.", "success")
            return redirect(url_for("tenants.account"))
    events = audit.list_account_events(db.session, current_user)
    return render_template("tenants/account.html", form=form, events=events)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def invitation(token: str) -> str | Response:
    invitation = accounts.get_open_invitation(db.session, token, now=utcnow())
    existing = accounts.find_user_by_email(db.session, invitation.email)
    form = AcceptInvitationForm()
    if current_user.is_authenticated and current_user.email == invitation.email and request.method == "POST":
        accounts.accept_invitation(db.session, invitation, current_user, now=utcnow())
        return redirect(url_for("tenants.org_home", slug=invitation.organisation.slug))
    if existing is None and form.validate_on_submit():
        try:
            user = accounts.create_user(
                db.session, invitation.email, form.password.data, name=form.name.data or ""
            )
            accounts.accept_invitation(db.session, invitation, user, now=utcnow())
        except PeerbenchError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            _sign_in(user)
            return redirect(url_for("tenants.org_home", slug=invitation.organisation.slug))
    return render_template("tenants/invitation.html", invitation=invitation, existing=existing, form=form)


@bp.app_context_processor
def _navigation() -> dict[str, object]:
    if request.path.startswith(("/api/", "/static/", "/p/")) or not current_user.is_authenticated:
        return {"accessible_orgs": [], "billing_enabled": False}
    settings = settings_of(current_app)
    return {
        "accessible_orgs": list_accessible(db.session, current_user),
        "billing_enabled": settings.billing_enabled,
    }
