"""HTTP API v1, billing part: owners start a Stripe Checkout or open the Customer Portal (`{"url": ...}`).

These endpoints are reachable on every plan (an organisation without `api_access` must be able to upgrade
through the API) and do not exist with billing off (404).
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from core.db import db
from tenants.access import requires
from tenants.billing import service as billing
from tenants.billing.mode import billing_on, billing_settings
from tenants.models import Organisation
from tenants.roles import Permission
from tenants.schemas import BillingUrlSchema, CheckoutRequestSchema

blp = Blueprint("billing_api", __name__, url_prefix="/api/v1", description="Plans and billing (Stripe)")


@blp.route("/orgs/<slug>/billing/checkout")
class Checkout(MethodView):
    @billing_on
    @requires(Permission.BILLING)
    @blp.arguments(CheckoutRequestSchema)
    @blp.response(200, BillingUrlSchema)
    def post(self, data: dict[str, Any], org: Organisation) -> dict[str, str]:
        """Owners: a Stripe Checkout Session subscribing the organisation to `plan` (`pro`, `consultancy`)."""
        url = billing.start_checkout(db.session, org, current_user, data["plan"], billing_settings())
        return {"url": url}


@blp.route("/orgs/<slug>/billing/portal")
class Portal(MethodView):
    @billing_on
    @requires(Permission.BILLING)
    @blp.response(200, BillingUrlSchema)
    def post(self, org: Organisation) -> dict[str, str]:
        """Owners: a Stripe Customer Portal session to change plan, payment method or cancel."""
        return {"url": billing.open_portal(db.session, org, current_user, billing_settings())}
