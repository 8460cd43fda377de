"""The plan x feature table, walked whole: every feature on every plan with billing on, everything allowed
with billing off, counted limits at their edges, grace then read-only after a failed payment, clients
inheriting their consultancy's plan, and the refusal's shape (402, the plan that allows it)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.errors import PaymentRequired
from core.settings import Settings
from tenants.models import Organisation, OrgKind
from tenants.plans import (
    PLANS,
    Feature,
    billing_state,
    check_entitlement,
    feature_limit,
    has_entitlement,
    plan_table,
    required_plan,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
OFF = Settings(
    instance_path=Path("/nonexistent"),
    database_url="sqlite://",
    migrations_database_url="sqlite://",
    redis_url=None,
    secret_key="test",
    secret_key_generated=False,
)
ON = replace(
    OFF, stripe_secret_key="sk_test_x", stripe_price_pro="price_pro", stripe_price_consultancy="price_c"
)

# what each plan allows: on/off features as booleans, counted ones as their limit (None: unlimited)
PLAN_TABLE: dict[str, dict[Feature, bool | int | None]] = {
    "free": {
        Feature.DASHBOARDS: True,
        Feature.PDF_REPORTS: False,
        Feature.API_ACCESS: False,
        Feature.POLLS: 1,
        Feature.POLL_RESPONSES: 100,
        Feature.CLIENT_ORGS: 0,
        Feature.WHITE_LABEL: False,
    },
    "pro": {
        Feature.DASHBOARDS: True,
        Feature.PDF_REPORTS: True,
        Feature.API_ACCESS: True,
        Feature.POLLS: None,
        Feature.POLL_RESPONSES: None,
        Feature.CLIENT_ORGS: 0,
        Feature.WHITE_LABEL: False,
    },
    "consultancy": {
        Feature.DASHBOARDS: True,
        Feature.PDF_REPORTS: True,
        Feature.API_ACCESS: True,
        Feature.POLLS: None,
        Feature.POLL_RESPONSES: None,
        Feature.CLIENT_ORGS: None,
        Feature.WHITE_LABEL: True,
    },
}
CASES = [(plan, feature, allowance) for plan, row in PLAN_TABLE.items() for feature, allowance in row.items()]


def org(plan: str = "free", *, kind: OrgKind = OrgKind.ENTERPRISE, **billing: object) -> Organisation:
    return Organisation(name=f"{plan} org", slug=f"{plan}-org", kind=kind, plan=plan, **billing)


def allowed(organisation: Organisation, feature: Feature, usage: int | None = None, **kw: object) -> bool:
    return has_entitlement(organisation, feature, settings=ON, now=NOW, usage=usage, **kw)


def test_the_table_covers_every_plan_and_feature():
    assert set(PLAN_TABLE) == set(PLANS)
    assert all(set(row) == set(Feature) for row in PLAN_TABLE.values())


@pytest.mark.parametrize(("plan", "feature", "allowance"), CASES, ids=[f"{p}-{f}" for p, f, _ in CASES])
def test_plan_x_feature_with_billing_on(plan, feature, allowance):
    organisation = org(plan)
    if isinstance(allowance, bool):
        assert allowed(organisation, feature) is allowance
    elif allowance is None:  # unlimited
        assert allowed(organisation, feature, usage=1_000_000)
        assert feature_limit(organisation, feature, settings=ON, now=NOW) is None
    else:  # up to the limit, not one more
        assert allowed(organisation, feature, usage=allowance)  # 0 of 0 is fine: nothing is taken away
        assert not allowed(organisation, feature, usage=allowance + 1)
        assert allowed(organisation, feature) is (allowance > 0)  # no usage given: one use
        assert feature_limit(organisation, feature, settings=ON, now=NOW) == allowance


@pytest.mark.parametrize(("plan", "feature", "allowance"), CASES, ids=[f"{p}-{f}" for p, f, _ in CASES])
def test_plan_x_feature_with_billing_off_allows_everything(plan, feature, allowance):
    organisation = org(plan, billing_status="past_due", past_due_since=NOW - timedelta(days=400))
    check_entitlement(organisation, feature, settings=OFF, now=NOW, usage=1_000_000)  # no exception
    assert feature_limit(organisation, feature, settings=OFF, now=NOW) is None


@pytest.mark.parametrize(
    ("feature", "usage", "plan"),
    [
        ("pdf_reports", None, "pro"),
        ("api_access", None, "pro"),
        ("polls", 2, "pro"),
        ("poll_responses", 101, "pro"),
        ("client_orgs", 1, "consultancy"),
        ("white_label", None, "consultancy"),
    ],
)
def test_a_refusal_is_a_402_naming_the_plan_that_allows_it(feature, usage, plan):
    with pytest.raises(PaymentRequired) as refused:
        check_entitlement(org("free"), feature, settings=ON, now=NOW, usage=usage)
    error = refused.value
    assert (error.status, error.code) == (402, "plan_required")
    assert error.details[0]["feature"] == feature
    assert error.details[0]["required_plan"] == plan
    assert PLANS[plan].name in error.message
    assert required_plan(feature, usage).code == plan


def test_an_unknown_feature_is_a_programming_error():
    with pytest.raises(ValueError, match="reports"):
        check_entitlement(org("pro"), "reports", settings=ON, now=NOW)


def test_an_unknown_plan_code_counts_as_free():
    assert not allowed(org("platinum"), Feature.API_ACCESS)


@pytest.mark.parametrize(
    ("days_overdue", "standing", "api_write", "api_read"),
    [
        (0, "grace", True, True),
        (13.9, "grace", True, True),
        (14, "read_only", False, True),
        (90, "read_only", False, True),
    ],
)
def test_grace_then_read_only_after_a_failed_payment(days_overdue, standing, api_write, api_read):
    organisation = org("pro", billing_status="past_due", past_due_since=NOW - timedelta(days=days_overdue))
    assert billing_state(organisation, settings=ON, now=NOW).standing.value == standing
    assert allowed(organisation, Feature.API_ACCESS) is api_write
    assert allowed(organisation, Feature.PDF_REPORTS) is api_write
    assert (
        allowed(organisation, Feature.API_ACCESS, reading=True) is api_read
    )  # reads and exports keep working
    assert allowed(organisation, Feature.POLLS, usage=1)  # the free allowance is never taken away


def test_read_only_refusal_says_payment_is_overdue():
    organisation = org("pro", billing_status="unpaid", past_due_since=NOW - timedelta(days=30))
    with pytest.raises(PaymentRequired) as refused:
        check_entitlement(organisation, Feature.PDF_REPORTS, settings=ON, now=NOW)
    assert "overdue" in refused.value.message
    assert refused.value.details == [
        {"feature": "pdf_reports", "required_plan": "pro", "reason": "payment_overdue"}
    ]


def test_the_grace_period_is_configurable():
    organisation = org("pro", billing_status="past_due", past_due_since=NOW - timedelta(days=3))
    short = replace(ON, billing_grace_days=2)
    assert not has_entitlement(organisation, Feature.API_ACCESS, settings=short, now=NOW)
    assert billing_state(organisation, settings=ON, now=NOW).days_left(NOW) == 11


@pytest.mark.parametrize("consultancy_plan", ["free", "pro", "consultancy"])
def test_a_client_may_do_what_its_consultancy_plan_allows(consultancy_plan):
    consultancy = org(consultancy_plan, kind=OrgKind.CONSULTANCY)
    client = org("free")
    client.managed_by = consultancy
    for feature in (Feature.PDF_REPORTS, Feature.API_ACCESS):
        assert allowed(client, feature) is (consultancy_plan != "free")
    assert allowed(client, Feature.POLLS, usage=5) is (consultancy_plan != "free")


def test_a_client_keeps_its_own_plan_under_a_free_consultancy():
    client = org("pro")
    client.managed_by = org("free", kind=OrgKind.CONSULTANCY)
    assert allowed(client, Feature.API_ACCESS)


def test_a_client_is_not_covered_by_an_overdue_consultancy_past_grace():
    consultancy = org(
        "consultancy",
        kind=OrgKind.CONSULTANCY,
        billing_status="past_due",
        past_due_since=NOW - timedelta(days=20),
    )
    client = org("free")
    client.managed_by = consultancy
    assert not allowed(client, Feature.PDF_REPORTS)
    assert allowed(client, Feature.PDF_REPORTS, reading=True)


def test_the_display_table_matches_the_plans():
    rows = {row["feature"]: row["cells"] for row in plan_table()}
    assert rows["polls"] == ["1", "unlimited", "unlimited"]
    assert rows["client_orgs"] == ["—", "—", "unlimited"]
    assert rows["white_label"] == ["—", "—", "yes"]
    assert [p.price_id(ON) for p in PLANS.values()] == [None, "price_pro", "price_c"]
