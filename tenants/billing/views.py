"""Billing on the web: the owners' Billing page, Upgrade and Manage billing, the Stripe webhook, the overdue
banner, the upgrade prompt for refused actions and the API access gate. Nothing here exists with billing off.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Flask,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from core.app import settings_of
from core.clock import utcnow
from core.db import db
from core.errors import PaymentRequired, PeerbenchError, error_body
from core.extensions import csrf
from core.settings import Settings
from core.web import CONTENT_SECURITY_POLICY, is_api_request, render_error
from tenants.access import current_token, requires
from tenants.billing import service as billing
from tenants.billing.mode import billing_on, billing_settings
from tenants.forms import CheckoutForm, ConfirmForm
from tenants.models import Organisation
from tenants.nav import register_banner, register_org_nav
from tenants.plans import (
    CONSULTANCY,
    PAID_PLANS,
    PLANS,
    Feature,
    Standing,
    billing_state,
    check_entitlement,
    get_plan,
    plan_table,
)
from tenants.roles import Permission, can
from tenants.views import bp

# Stripe's hosted pages: the Billing page's forms are answered with a redirect there, which the browser
# checks against the page's CSP form-action
STRIPE_HOSTED_ORIGINS = ("https://checkout.stripe.com", "https://billing.stripe.com")
# API endpoints every token reaches whatever the plan: a free organisation must be able to upgrade, and a
# leaked token must always be revocable
UNGATED_API_RULES = frozenset(
    {
        "/api/v1/health",
        "/api/v1/openapi.json",
        "/api/v1/tokens/<int:token_id>",
        "/api/v1/orgs/<slug>/billing/checkout",
        "/api/v1/orgs/<slug>/billing/portal",
    }
)
_CHECKOUT_NOTES = {
    "success": ("success", "Thank you: the plan changes as soon as Stripe confirms the payment (seconds)."),
    "cancel": ("warning", "Checkout was cancelled; nothing was charged."),
}


def init_billing(app: Flask) -> None:
    csrf.exempt(stripe_webhook)  # the Stripe signature is the authentication
    app.before_request(_gate_api)
    app.register_error_handler(PaymentRequired, _render_plan_required)
    if settings_of(app).billing_enabled:
        register_org_nav(app, "tenants.billing_page", "Billing", Permission.BILLING, order=92)
        register_banner(app, _overdue_banner)


@bp.get("/o/<slug>/billing")
@billing_on
@requires(Permission.BILLING)
def billing_page(org: Organisation) -> Response:
    settings = billing_settings()
    now = utcnow()
    state = billing_state(org, settings=settings, now=now)
    live = bool(org.stripe_subscription_id) and state.status in billing.LIVE_STATUSES
    offers = [
        {"code": p.code, "name": p.name, "summary": p.summary}
        for p in PAID_PLANS
        if p is not state.plan and p.price_id(settings) and (p is not CONSULTANCY or org.is_consultancy)
    ]
    manager = org.managed_by if org.managed_by is not None and org.managed_by.is_consultancy else None
    note = _CHECKOUT_NOTES.get(request.args.get("checkout", ""))
    html = render_template(
        "tenants/billing.html",
        org=org,
        plan=state.plan,
        status=(state.status or "none").replace("_", " "),
        period_end=org.current_period_end.strftime("%d %b %Y") if org.current_period_end else None,
        standing=state.standing.value,
        days_left=state.days_left(now),
        grace_ends=state.grace_ends.strftime("%d %b %Y") if state.grace_ends else None,
        offers=[] if live else offers,
        live=live,
        can_manage=bool(org.stripe_customer_id),
        covered_by=(manager.name, get_plan(manager.plan).name) if manager else None,
        plans=list(PLANS.values()),
        rows=plan_table(),
        checkout_note=note,
        checkout_form=CheckoutForm(),
        confirm_form=ConfirmForm(),
    )
    response = make_response(html)
    response.headers["Content-Security-Policy"] = _csp_for_stripe_forms(settings)
    return response


@bp.post("/o/<slug>/billing/checkout")
@billing_on
@requires(Permission.BILLING)
def billing_checkout(org: Organisation) -> Response:
    form = CheckoutForm()
    if not form.validate_on_submit():
        flash("Choose a plan to upgrade to.", "error")
        return redirect(url_for("tenants.billing_page", slug=org.slug))
    try:
        url = billing.start_checkout(db.session, org, current_user, form.plan.data, billing_settings())
    except PeerbenchError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("tenants.billing_page", slug=org.slug))
    return redirect(url, code=303)


@bp.post("/o/<slug>/billing/portal")
@billing_on
@requires(Permission.BILLING)
def billing_portal(org: Organisation) -> Response:
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("tenants.billing_page", slug=org.slug))
    try:
        url = billing.open_portal(db.session, org, current_user, billing_settings())
    except PeerbenchError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("tenants.billing_page", slug=org.slug))
    return redirect(url, code=303)


@bp.post("/billing/webhook")
@billing_on
def stripe_webhook() -> tuple[Response, int]:
    """Stripe's events: verified against the signing secret, applied once each; always JSON."""
    settings = billing_settings()
    try:
        event = billing.verify_event(request.get_data(), request.headers.get("Stripe-Signature"), settings)
    except billing.InvalidSignature as error:
        return jsonify(error_body(error.code, error.message)), error.status
    outcome = billing.handle_event(db.session, event, settings=settings, now=utcnow())
    return jsonify({"received": True, "outcome": outcome.value}), 200


def _csp_for_stripe_forms(settings: Settings) -> str:
    origins = list(STRIPE_HOSTED_ORIGINS)
    if settings.stripe_api_base:  # a local stub or stripe-mock answers with URLs of its own
        parts = urlsplit(settings.stripe_api_base)
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", "form-action 'self' " + " ".join(origins))


def _gate_api() -> None:
    """Every token-authenticated /api/v1 request needs the `api_access` entitlement (billing on)."""
    if not request.path.startswith("/api/v1/") or request.method == "OPTIONS":
        return
    settings = settings_of(current_app)
    rule = request.url_rule.rule if request.url_rule is not None else None
    if not settings.billing_enabled or rule is None or rule in UNGATED_API_RULES:
        return
    if not current_user.is_authenticated or current_token() is None:
        return  # the endpoint itself answers 401
    token = current_token()
    assert token is not None
    check_entitlement(
        token.organisation,
        Feature.API_ACCESS,
        settings=settings,
        now=utcnow(),
        reading=request.method in ("GET", "HEAD"),
    )


def _render_plan_required(error: PaymentRequired) -> Response:
    """API: the JSON error (402). Pages: an upgrade prompt pointing owners at Billing."""
    if is_api_request() or request.accept_mimetypes.best == "application/json":
        return render_error(error.status, error.code, error.message, error.details)
    db.session.rollback()
    org, role = g.get("org"), g.get("role")
    needed = error.details[0].get("required_plan") if error.details else None
    html = render_template(
        "tenants/upgrade.html",
        message=error.message,
        plan_name=get_plan(needed).name if needed else None,
        billing_link=url_for("tenants.billing_page", slug=org.slug)
        if org is not None and can(role, Permission.BILLING)
        else None,
        org=org,
    )
    return make_response(html, error.status)


def _overdue_banner(org: Organisation) -> list[dict[str, str]]:
    settings = settings_of(current_app)
    now = utcnow()
    state = billing_state(org, settings=settings, now=now)
    if state.standing is Standing.GRACE:
        days = state.days_left(now)
        text = (
            f"Payment for the {state.plan.name} plan is overdue. Everything keeps working for {days} more "
            f"day{'s' if days != 1 else ''}; an owner can update the payment method under Billing."
        )
        return [{"kind": "warning", "text": text}]
    if state.standing is Standing.READ_ONLY:
        text = (
            f"Payment for the {state.plan.name} plan is overdue: paid features are read-only until an owner "
            "updates the payment method under Billing. Nothing has been deleted."
        )
        return [{"kind": "error", "text": text}]
    return []
