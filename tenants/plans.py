"""Plans as data and the one entitlement check: may this organisation do X now? (DESIGN.md 9, docs/billing.md)

Billing is off unless Stripe is configured: then every feature is allowed (self-hosted mode). With billing on:

- an organisation's plan comes from its Stripe subscription (tenants.billing keeps `Organisation.plan`
  in step);
- a failed payment (`past_due`, `unpaid`) keeps the plan for BILLING_GRACE_DAYS from `past_due_since`,
  then the organisation is read-only for gated features: actions fall back to the free plan's allowances,
  while reads (`reading=True`: API GETs, downloads of what exists) keep the paid plan. Nothing is ever
  deleted or hidden;
- a client organisation managed by a consultancy may do what its own plan or its consultancy's plan allows
  (the consultancy pays for its clients; a client with its own subscription keeps that too);
- counted features (`polls`, `poll_responses`, `client_orgs`) take `usage`: the count the organisation would
  reach with the action (current + 1 when adding one). A downgrade deletes nothing: a consultancy over its
  client limit still reads every client, it only cannot add one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import PaymentRequired
from core.settings import Settings
from tenants.models import Organisation


class Feature(StrEnum):
    DASHBOARDS = "dashboards"  # positions, benchmarks, trends on screen
    PDF_REPORTS = "pdf_reports"  # request comparison PDFs
    API_ACCESS = "api_access"  # the HTTP API with bearer tokens (billing endpoints excepted)
    POLLS = "polls"  # open researcher polls at the same time (counted)
    POLL_RESPONSES = "poll_responses"  # responses one poll may take (counted)
    CLIENT_ORGS = "client_orgs"  # client organisations of a consultancy (counted)
    WHITE_LABEL = "white_label"  # a consultancy's own branding on its clients' reports


FEATURE_LABELS: Mapping[Feature, str] = MappingProxyType(
    {
        Feature.DASHBOARDS: "Dashboards and peer positions",
        Feature.PDF_REPORTS: "PDF comparison reports",
        Feature.API_ACCESS: "API access",
        Feature.POLLS: "Open polls",
        Feature.POLL_RESPONSES: "Responses per poll",
        Feature.CLIENT_ORGS: "Client organisations",
        Feature.WHITE_LABEL: "White-label branding",
    }
)

COUNTED = frozenset({Feature.POLLS, Feature.POLL_RESPONSES, Feature.CLIENT_ORGS})
OVERDUE_STATUSES = frozenset({"past_due", "unpaid"})


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    price_setting: str | None  # the Settings field holding the Stripe price id; None: free
    summary: str
    features: frozenset[Feature]  # on/off features included
    limits: Mapping[Feature, int | None] = field(default_factory=dict)  # counted features; None: unlimited

    def price_id(self, settings: Settings) -> str | None:
        return getattr(settings, self.price_setting) if self.price_setting else None

    def limit(self, feature: Feature) -> int | None:
        return self.limits.get(feature, 0)

    def allows(self, feature: Feature, usage: int | None = None) -> bool:
        if feature not in COUNTED:
            return feature in self.features
        limit = self.limit(feature)
        return limit is None or (usage if usage is not None else 1) <= limit


FREE = Plan(
    "free",
    "Free",
    None,
    "Dashboards, one open poll of up to 100 responses.",
    frozenset({Feature.DASHBOARDS}),
    MappingProxyType({Feature.POLLS: 1, Feature.POLL_RESPONSES: 100, Feature.CLIENT_ORGS: 0}),
)
PRO = Plan(
    "pro",
    "Pro",
    "stripe_price_pro",
    "PDF reports, the API, unlimited polls.",
    frozenset({Feature.DASHBOARDS, Feature.PDF_REPORTS, Feature.API_ACCESS}),
    MappingProxyType({Feature.POLLS: None, Feature.POLL_RESPONSES: None, Feature.CLIENT_ORGS: 0}),
)
CONSULTANCY = Plan(
    "consultancy",
    "Consultancy",
    "stripe_price_consultancy",
    "Everything in Pro, client organisations and white-label reports.",
    frozenset({Feature.DASHBOARDS, Feature.PDF_REPORTS, Feature.API_ACCESS, Feature.WHITE_LABEL}),
    MappingProxyType({Feature.POLLS: None, Feature.POLL_RESPONSES: None, Feature.CLIENT_ORGS: None}),
)

PLANS: Mapping[str, Plan] = MappingProxyType({p.code: p for p in (FREE, PRO, CONSULTANCY)})  # cheapest first
PAID_PLANS = (PRO, CONSULTANCY)


def get_plan(code: str | None) -> Plan:
    """The plan of that code; an unknown or empty code is the free plan (never more than was paid for)."""
    return PLANS.get(code or "", FREE)


class Standing(StrEnum):
    GOOD = "good"
    GRACE = "grace"  # payment overdue, everything still works until grace_ends
    READ_ONLY = "read_only"  # payment overdue past the grace period


@dataclass(frozen=True)
class BillingState:
    plan: Plan
    status: str | None
    standing: Standing
    grace_ends: datetime | None

    def days_left(self, now: datetime) -> int:
        if self.grace_ends is None:
            return 0
        return max(0, -(-(self.grace_ends - now) // timedelta(days=1)))  # whole days, rounded up


def billing_state(org: Organisation, *, settings: Settings, now: datetime) -> BillingState:
    """The organisation's own plan and whether a failed payment has put it in grace or read-only."""
    plan = get_plan(org.plan)
    if org.billing_status not in OVERDUE_STATUSES or org.past_due_since is None:
        return BillingState(plan, org.billing_status, Standing.GOOD, None)
    grace_ends = org.past_due_since + timedelta(days=settings.billing_grace_days)
    standing = Standing.GRACE if now < grace_ends else Standing.READ_ONLY
    return BillingState(plan, org.billing_status, standing, grace_ends)


def _payers(org: Organisation) -> list[Organisation]:
    manager = org.managed_by
    return [org, manager] if manager is not None and manager.is_consultancy else [org]


def _usable_plan(payer: Organisation, *, settings: Settings, now: datetime, reading: bool) -> Plan:
    state = billing_state(payer, settings=settings, now=now)
    return FREE if state.standing is Standing.READ_ONLY and not reading else state.plan


def check_entitlement(
    org: Organisation,
    feature: Feature | str,
    *,
    settings: Settings,
    now: datetime,
    usage: int | None = None,
    reading: bool = False,
) -> None:
    """Raise PaymentRequired (402) naming the plan that allows it unless `org` may use `feature` now.

    `usage`: for counted features, the count the action would reach. `reading`: the action only reads or
    exports what exists, which an overdue organisation may always do on its paid plan.
    """
    feature = Feature(feature)
    if not settings.billing_enabled:
        return
    payers = _payers(org)
    for payer in payers:
        if _usable_plan(payer, settings=settings, now=now, reading=reading).allows(feature, usage):
            return
    raise _refusal(org, payers, feature, usage, settings=settings, now=now)


def has_entitlement(
    org: Organisation,
    feature: Feature | str,
    *,
    settings: Settings,
    now: datetime,
    usage: int | None = None,
    reading: bool = False,
) -> bool:
    """check_entitlement as a yes/no, for deciding what a page offers."""
    try:
        check_entitlement(org, feature, settings=settings, now=now, usage=usage, reading=reading)
    except PaymentRequired:
        return False
    return True


def feature_limit(
    org: Organisation, feature: Feature | str, *, settings: Settings, now: datetime
) -> int | None:
    """The most a counted feature allows this organisation now (None: unlimited; always so, billing off)."""
    feature = Feature(feature)
    if not settings.billing_enabled:
        return None
    limits = [_usable_plan(p, settings=settings, now=now, reading=False).limit(feature) for p in _payers(org)]
    return None if None in limits else max(limit for limit in limits if limit is not None)


def check_new_client(
    session: Session, consultancy: Organisation, *, settings: Settings, now: datetime
) -> None:
    """May the consultancy add one more client organisation? (Existing clients stay readable regardless.)"""
    if not settings.billing_enabled:
        return
    count = session.scalar(
        select(func.count()).select_from(Organisation).where(Organisation.managed_by_id == consultancy.id)
    )
    check_entitlement(consultancy, Feature.CLIENT_ORGS, settings=settings, now=now, usage=int(count or 0) + 1)


def check_branding_change(
    org: Organisation,
    *,
    display_name: str | None,
    primary_colour: str | None,
    settings: Settings,
    now: datetime,
) -> None:
    """Setting new white-label branding needs `white_label`; saving other settings beside it never does."""
    changed = (display_name and display_name != org.display_name) or (
        primary_colour and primary_colour != org.primary_colour
    )
    if changed:
        check_entitlement(org, Feature.WHITE_LABEL, settings=settings, now=now)


def required_plan(feature: Feature | str, usage: int | None = None) -> Plan:
    """The cheapest plan that allows the feature at that usage."""
    feature = Feature(feature)
    return next((p for p in PLANS.values() if p.allows(feature, usage)), CONSULTANCY)


def _refusal(
    org: Organisation,
    payers: list[Organisation],
    feature: Feature,
    usage: int | None,
    *,
    settings: Settings,
    now: datetime,
) -> PaymentRequired:
    label = FEATURE_LABELS[feature]
    for payer in payers:
        state = billing_state(payer, settings=settings, now=now)
        if state.standing is Standing.READ_ONLY and state.plan.allows(feature, usage):
            return PaymentRequired(
                f"{label}: payment for the {state.plan.name} plan of {payer.name} is overdue, so this is "
                "read-only until an owner updates the payment method under Billing. Nothing is deleted.",
                [{"feature": feature.value, "required_plan": state.plan.code, "reason": "payment_overdue"}],
            )
    needed = required_plan(feature, usage)
    current = get_plan(org.plan)
    detail: dict[str, object] = {"feature": feature.value, "required_plan": needed.code}
    if feature in COUNTED:
        limit = current.limit(feature)
        detail |= {"limit": limit, "usage": usage}
        message = (
            f"{label}: the {current.name} plan allows {limit or 'none'}; the {needed.name} plan allows "
            "more. Everything that exists stays available."
        )
    else:
        message = f"{label} needs the {needed.name} plan (this organisation is on {current.name})."
    return PaymentRequired(message, [detail])


def plan_table() -> list[dict[str, object]]:
    """One row per feature with each plan's allowance as display text, for the billing page and docs."""
    rows: list[dict[str, object]] = []
    for feature in Feature:
        cells = []
        for plan in PLANS.values():
            if feature in COUNTED:
                limit = plan.limit(feature)
                cells.append("unlimited" if limit is None else ("—" if limit == 0 else str(limit)))
            else:
                cells.append("yes" if feature in plan.features else "—")
        rows.append({"feature": feature.value, "label": FEATURE_LABELS[feature], "cells": cells})
    return rows
