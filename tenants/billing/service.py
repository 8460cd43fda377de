"""Stripe billing: Checkout and Customer Portal sessions out, verified webhook events in (DESIGN.md 9).

Stripe is the system of record for subscriptions; `Organisation.plan`, `billing_status`, `current_period_end`
and `past_due_since` follow it through webhook events. Each event is applied at most once (its id is stored)
and never moves an organisation back to an older state (events carry `created`, compared with
`Organisation.subscription_event_at`). Keys come from settings only and are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

import stripe
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput, NotFound, PeerbenchError
from core.settings import Settings
from tenants import audit
from tenants.models import Organisation, StripeEvent, User
from tenants.plans import CONSULTANCY, OVERDUE_STATUSES, PAID_PLANS, PLANS, Plan, get_plan

log = logging.getLogger(__name__)
T = TypeVar("T")

CHECKOUT_STARTED = "billing.checkout_started"
PORTAL_OPENED = "billing.portal_opened"
PLAN_CHANGED = "billing.plan_changed"
STATUS_CHANGED = "billing.status_changed"

LIVE_STATUSES = frozenset({"active", "trialing", "past_due", "unpaid"})
ENDED_STATUSES = frozenset({"canceled", "incomplete_expired", "paused"})
# on a tie of `created`, a subscription's life only moves forward through these
_STATUS_STAGE = {"incomplete": 0, "trialing": 1, "active": 2, "past_due": 2, "unpaid": 2, "paused": 3}
_STATUS_STAGE |= {"canceled": 4, "incomplete_expired": 4}


class InvalidSignature(PeerbenchError):
    status, code = 400, "invalid_signature"


class PaymentProviderError(PeerbenchError):
    status, code = 502, "payment_provider_error"


class Outcome(StrEnum):
    APPLIED = "applied"  # the organisation's billing state follows the event
    STALE = "stale"  # older than what was already applied: ignored
    IGNORED = "ignored"  # a type we do not handle, or nothing to change
    UNMATCHED = "unmatched"  # no organisation found for it
    REPLAY = "replay"  # seen before: nothing done


# -- outgoing: Checkout and Customer Portal -----------------------------------------------------------------


def stripe_client(settings: Settings) -> stripe.StripeClient:
    if not settings.billing_enabled or not settings.stripe_secret_key:
        raise NotFound("Billing is not enabled on this installation.")
    base = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
    return stripe.StripeClient(settings.stripe_secret_key, base_addresses=base, max_network_retries=1)


def billing_url(org: Organisation, settings: Settings, query: str = "") -> str:
    return f"{settings.base_url}/o/{org.slug}/billing{query}"


def start_checkout(
    session: Session, org: Organisation, user: User, plan_code: str, settings: Settings
) -> str:
    """The URL of a Stripe Checkout Session subscribing `org` to a paid plan; the customer is made once."""
    plan = _paid_plan(org, plan_code)
    price = plan.price_id(settings)
    if not price:
        raise Conflict(f"The {plan.name} plan has no Stripe price configured yet; ask the operator.")
    if org.stripe_subscription_id and org.billing_status in LIVE_STATUSES:
        raise Conflict("This organisation already has a subscription: change the plan under Manage billing.")
    client = stripe_client(settings)
    customer_id = _ensure_customer(session, client, org, user)
    metadata = {"org_slug": org.slug, "plan": plan.code}
    params: dict[str, Any] = {
        "mode": "subscription",
        "customer": customer_id,
        "line_items": [{"price": price, "quantity": 1}],
        "client_reference_id": org.slug,
        "metadata": metadata,
        "subscription_data": {"metadata": metadata},
        "success_url": billing_url(org, settings, "?checkout=success"),
        "cancel_url": billing_url(org, settings, "?checkout=cancel"),
    }
    checkout = _call(lambda: client.v1.checkout.sessions.create(params))
    audit.record(session, CHECKOUT_STARTED, org_id=org.id, user=user, plan=plan.code, checkout=checkout.id)
    return str(checkout.url)


def open_portal(session: Session, org: Organisation, user: User, settings: Settings) -> str:
    """The URL of a Stripe Customer Portal session where an owner manages the subscription."""
    if not org.stripe_customer_id:
        raise Conflict("There is no billing account yet: choose a plan first.")
    client = stripe_client(settings)
    portal = _call(
        lambda: client.v1.billing_portal.sessions.create(
            {"customer": org.stripe_customer_id, "return_url": billing_url(org, settings)}
        )
    )
    audit.record(session, PORTAL_OPENED, org_id=org.id, user=user)
    return str(portal.url)


def _paid_plan(org: Organisation, plan_code: str) -> Plan:
    plan = PLANS.get(plan_code)
    if plan not in PAID_PLANS:
        choices = ", ".join(p.code for p in PAID_PLANS)
        raise InvalidInput(f"Choose a paid plan: {choices}.", [{"field": "plan", "message": "unknown"}])
    if plan is CONSULTANCY and not org.is_consultancy:
        raise InvalidInput(
            "The Consultancy plan is for consultancy organisations.",
            [{"field": "plan", "message": "consultancies only"}],
        )
    return plan  # type: ignore[return-value]


def _ensure_customer(session: Session, client: stripe.StripeClient, org: Organisation, user: User) -> str:
    if org.stripe_customer_id:
        return org.stripe_customer_id
    params: dict[str, Any] = {"name": org.name, "email": user.email, "metadata": {"org_slug": org.slug}}
    # the same key within 24 h returns the same customer: a checkout that failed after this call (and rolled
    # back the stored id) does not leave a second customer behind
    options: dict[str, Any] = {"idempotency_key": f"peerbench-customer-{org.id}-{org.slug}"}
    customer = _call(lambda: client.v1.customers.create(params, options))  # type: ignore[arg-type]
    org.stripe_customer_id = customer.id
    session.flush()
    return customer.id


def _call(request: Callable[[], T]) -> T:
    try:
        return request()
    except stripe.StripeError as exc:
        # the error's class and status only: its message may quote request details
        log.warning("Stripe request failed: %s (HTTP %s)", type(exc).__name__, exc.http_status)
        raise PaymentProviderError("Stripe did not accept the request; please try again shortly.") from None


# -- incoming: verified webhook events ----------------------------------------------------------------------


def verify_event(payload: bytes, signature: str | None, settings: Settings) -> dict[str, Any]:
    """The event in `payload` if its Stripe-Signature header is valid for our webhook secret."""
    if not settings.stripe_webhook_secret:
        log.error("a Stripe webhook arrived but STRIPE_WEBHOOK_SECRET is not set")
        raise InvalidSignature("The webhook signing secret is not configured.")
    if not signature:
        raise InvalidSignature("The Stripe-Signature header is missing.")
    try:
        event = stripe.Webhook.construct_event(payload, signature, settings.stripe_webhook_secret)
    except stripe.SignatureVerificationError:
        raise InvalidSignature("The Stripe-Signature header does not match the payload.") from None
    except ValueError:
        raise InvalidSignature("The payload is not a Stripe event.") from None
    return event.to_dict()


def handle_event(session: Session, event: Mapping[str, Any], *, settings: Settings, now: datetime) -> Outcome:
    """Apply a verified event once; a replay, an older event or an unknown type changes nothing."""
    event_id, event_type = str(event["id"]), str(event.get("type", ""))
    if session.scalar(select(StripeEvent.id).where(StripeEvent.event_id == event_id)) is not None:
        return Outcome.REPLAY
    handler = _HANDLERS.get(event_type)
    obj = (event.get("data") or {}).get("object") or {}
    context = _Context(session, settings, event_id, int(event.get("created") or 0))
    outcome = handler(context, obj) if handler else Outcome.IGNORED
    # a concurrent delivery of the same id fails on the unique event_id at commit: its whole transaction
    # rolls back, Stripe retries it later and meets the replay check above
    session.add(StripeEvent(event_id=event_id, type=event_type, created=context.created, outcome=outcome))
    session.flush()
    log.info("stripe event %s (%s): %s", event_id, event_type, outcome)
    return outcome


class _Context:
    def __init__(self, session: Session, settings: Settings, event_id: str, created: int) -> None:
        self.session, self.settings, self.event_id, self.created = session, settings, event_id, created

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.created, UTC)

    def is_stale(self, org: Organisation, status: str | None = None) -> bool:
        last = org.subscription_event_at
        if last is None or self.created > last:
            return False
        if self.created < last:
            return True
        # the same second: only a step forward in the subscription's life applies
        return status is not None and _STATUS_STAGE.get(status, 0) < _STATUS_STAGE.get(
            org.billing_status or "", 0
        )


def _on_checkout_completed(ctx: _Context, checkout: Mapping[str, Any]) -> Outcome:
    if checkout.get("mode") != "subscription":
        return Outcome.IGNORED
    metadata = checkout.get("metadata") or {}
    org = _find_org(
        ctx.session,
        slug=checkout.get("client_reference_id") or metadata.get("org_slug"),
        customer_id=_id_of(checkout.get("customer")),
    )
    if org is None:
        return Outcome.UNMATCHED
    org.stripe_customer_id = org.stripe_customer_id or _id_of(checkout.get("customer"))
    subscription_id = _id_of(checkout.get("subscription"))
    if subscription_id and (org.billing_status not in LIVE_STATUSES or not org.stripe_subscription_id):
        org.stripe_subscription_id = subscription_id
    stale = ctx.is_stale(org, "active")
    if stale or checkout.get("payment_status") not in ("paid", "no_payment_required"):
        ctx.session.flush()  # the ids are linked either way: later events find the organisation by them
        return Outcome.STALE if stale else Outcome.IGNORED
    plan = PLANS.get(str(metadata.get("plan")))
    _apply(ctx, org, plan=plan.code if plan is not None and plan in PAID_PLANS else org.plan, status="active")
    return Outcome.APPLIED


def _on_subscription(ctx: _Context, subscription: Mapping[str, Any], *, deleted: bool = False) -> Outcome:
    subscription_id = _id_of(subscription.get("id"))
    org = _find_org(
        ctx.session,
        subscription_id=subscription_id,
        slug=(subscription.get("metadata") or {}).get("org_slug"),
        customer_id=_id_of(subscription.get("customer")),
    )
    if org is None:
        return Outcome.UNMATCHED
    status = "canceled" if deleted else str(subscription.get("status") or "")
    replaced = org.stripe_subscription_id and org.stripe_subscription_id != subscription_id
    if replaced and org.billing_status in LIVE_STATUSES:
        return Outcome.IGNORED  # an older subscription's late news: the current one decides
    if ctx.is_stale(org, status):
        return Outcome.STALE
    org.stripe_subscription_id = subscription_id
    org.stripe_customer_id = org.stripe_customer_id or _id_of(subscription.get("customer"))
    if status in LIVE_STATUSES:
        plan = _plan_of_subscription(subscription, ctx.settings) or org.plan
    elif status in ENDED_STATUSES:
        plan = "free"
    else:  # incomplete: the first payment is not through yet
        plan = org.plan
    _apply(ctx, org, plan=plan, status=status, period_end=_period_end(subscription))
    return Outcome.APPLIED


def _on_invoice_paid(ctx: _Context, invoice: Mapping[str, Any]) -> Outcome:
    org = _find_invoice_org(ctx, invoice)
    if org is None:
        return Outcome.UNMATCHED
    if ctx.is_stale(org):
        return Outcome.STALE
    if org.billing_status not in OVERDUE_STATUSES:
        org.subscription_event_at = ctx.created
        ctx.session.flush()
        return Outcome.IGNORED
    _apply(ctx, org, plan=org.plan, status="active")
    return Outcome.APPLIED


def _on_invoice_failed(ctx: _Context, invoice: Mapping[str, Any]) -> Outcome:
    org = _find_invoice_org(ctx, invoice)
    if org is None:
        return Outcome.UNMATCHED
    if ctx.is_stale(org, "past_due"):
        return Outcome.STALE
    if org.billing_status not in LIVE_STATUSES:
        return Outcome.IGNORED  # a first payment failing in Checkout: nothing was granted yet
    _apply(ctx, org, plan=org.plan, status="past_due" if org.billing_status != "unpaid" else "unpaid")
    return Outcome.APPLIED


_HANDLERS: dict[str, Callable[[_Context, Mapping[str, Any]], Outcome]] = {
    "checkout.session.completed": _on_checkout_completed,
    "customer.subscription.created": _on_subscription,
    "customer.subscription.updated": _on_subscription,
    "customer.subscription.deleted": lambda ctx, obj: _on_subscription(ctx, obj, deleted=True),
    "invoice.paid": _on_invoice_paid,
    "invoice.payment_failed": _on_invoice_failed,
}


def _apply(
    ctx: _Context, org: Organisation, *, plan: str, status: str, period_end: datetime | None = None
) -> None:
    old_plan, old_status = org.plan, org.billing_status
    org.plan = get_plan(plan).code
    org.billing_status = status
    if period_end is not None:
        org.current_period_end = period_end
    if status in OVERDUE_STATUSES:
        org.past_due_since = org.past_due_since or ctx.at  # grace counts from the first failure
    else:
        org.past_due_since = None
    org.subscription_event_at = ctx.created
    ctx.session.flush()
    detail = {"status": status, "stripe_event": ctx.event_id}
    if org.plan != old_plan:
        audit.record(
            ctx.session, PLAN_CHANGED, org_id=org.id, actor="stripe", old=old_plan, new=org.plan, **detail
        )
    elif status != old_status:
        audit.record(ctx.session, STATUS_CHANGED, org_id=org.id, actor="stripe", old=old_status, **detail)


def _find_org(
    session: Session,
    *,
    subscription_id: str | None = None,
    slug: str | None = None,
    customer_id: str | None = None,
) -> Organisation | None:
    """The organisation an event is about: by subscription, then the slug in our metadata, then customer."""
    for column, value in (
        (Organisation.stripe_subscription_id, subscription_id),
        (Organisation.slug, slug),
        (Organisation.stripe_customer_id, customer_id),
    ):
        if value:
            org = session.scalar(select(Organisation).where(column == value).limit(1))
            if org is not None:
                return org
    return None


def _find_invoice_org(ctx: _Context, invoice: Mapping[str, Any]) -> Organisation | None:
    # API versions from 2025-03-31 moved the subscription under parent.subscription_details
    parent = (invoice.get("parent") or {}).get("subscription_details") or {}
    subscription_id = _id_of(invoice.get("subscription")) or _id_of(parent.get("subscription"))
    slug = (parent.get("metadata") or {}).get("org_slug")
    return _find_org(
        ctx.session, subscription_id=subscription_id, slug=slug, customer_id=_id_of(invoice.get("customer"))
    )


def _plan_of_subscription(subscription: Mapping[str, Any], settings: Settings) -> str | None:
    """The plan of the subscription's price (our price ids), else the plan in its metadata."""
    prices = {p.price_id(settings): p.code for p in PAID_PLANS if p.price_id(settings)}
    for item in (subscription.get("items") or {}).get("data") or []:
        price = _id_of((item or {}).get("price"))
        if price in prices:
            return prices[price]
    plan = PLANS.get(str((subscription.get("metadata") or {}).get("plan")))
    return plan.code if plan in PAID_PLANS else None


def _period_end(subscription: Mapping[str, Any]) -> datetime | None:
    # API versions from 2025-03-31 carry the period on each subscription item
    items = (subscription.get("items") or {}).get("data") or []
    value = subscription.get("current_period_end") or (items[0].get("current_period_end") if items else None)
    return datetime.fromtimestamp(int(value), UTC) if value else None


def _id_of(value: Any) -> str | None:  # Any: an id string, an expanded object, or nothing
    if isinstance(value, Mapping):
        value = value.get("id")
    return str(value) if value else None
