"""Billing limits on polls, the one place that asks the plan (DESIGN.md 9: free = 1 open poll, 100 responses).

Billing is off unless Stripe is configured (self-hosted: unlimited); then nothing here touches the database.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from benchmarks.polls.service import PlanCheck
from core.settings import Settings
from tenants import plans
from tenants.models import Organisation
from tenants.service import get_organisation


def open_polls_check(org: Organisation, *, settings: Settings, now: datetime) -> PlanCheck | None:
    """A check raising PaymentRequired unless the plan allows this many open polls; None with billing off."""
    if not settings.billing_enabled:
        return None

    def check(usage: int) -> None:
        plans.check_entitlement(org, plans.Feature.POLLS, settings=settings, now=now, usage=usage)

    return check


def response_limit(session: Session, org_id: int, *, settings: Settings, now: datetime) -> int | None:
    """The most responses one poll may take on the organisation's plan; None for no limit.

    A limit, not a check: service.submit_response folds it into the one conditional UPDATE that admits a
    response, so concurrent respondents cannot overshoot it.
    """
    if not settings.billing_enabled:
        return None
    org = get_organisation(session, org_id)
    return plans.feature_limit(org, plans.Feature.POLL_RESPONSES, settings=settings, now=now)
