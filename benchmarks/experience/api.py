"""HTTP API v1, experience part: survey results per period, XLA targets, profile answers and cohorts."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from benchmarks.engine.cohorts import parse_cohort_param
from benchmarks.engine.fields import CohortField
from benchmarks.engine.jobs import recompute
from benchmarks.engine.windows import recent_months
from benchmarks.experience import service
from benchmarks.metrics.catalogue import PROFILE_QUESTIONS
from core import jobs
from core.clock import utcnow
from core.db import db
from tenants.access import requires
from tenants.models import Organisation
from tenants.roles import Permission

blp = Blueprint("experience_api", __name__, url_prefix="/api/v1", description="Survey results, XLA, profile")


class IntervalSchema(Schema):
    low = fields.Float()
    high = fields.Float()


class NpsSchema(Schema):
    n = fields.Integer()
    promoters = fields.Integer()
    passives = fields.Integer()
    detractors = fields.Integer()
    score = fields.Float()
    margin = fields.Float(metadata={"description": "95% margin of error, NPS points"})


class CsatSchema(Schema):
    n = fields.Integer()
    satisfied = fields.Integer()
    pct = fields.Float()
    interval = fields.Nested(IntervalSchema, metadata={"description": "Wilson 95% interval, in percent"})


class CesSchema(Schema):
    n = fields.Integer()
    mean = fields.Float()
    margin = fields.Float(allow_none=True)


class ExperienceSliceSchema(Schema):
    label = fields.String()
    n = fields.Integer()
    indicative = fields.Boolean(metadata={"description": "fewer than 30 answers"})
    nps = fields.Nested(NpsSchema, allow_none=True)
    csat = fields.Nested(CsatSchema, allow_none=True)
    ces = fields.Nested(CesSchema, allow_none=True)


class PeriodExperienceSchema(Schema):
    period = fields.String()
    total = fields.Nested(ExperienceSliceSchema)
    by_channel = fields.List(fields.Nested(ExperienceSliceSchema))
    by_segment = fields.List(fields.Nested(ExperienceSliceSchema))


class XlaTargetSchema(Schema):
    metric = fields.String(required=True, validate=validate.OneOf(service.XLA_METRICS))
    target = fields.Float(required=True)
    comparator = fields.String(validate=validate.OneOf([">=", "<="]), load_default=None)


class XlaStatusSchema(Schema):
    metric = fields.Function(lambda s: s.target.metric)
    period = fields.String()
    value = fields.Float(allow_none=True)
    met = fields.Boolean(allow_none=True)


class ExperienceSchema(Schema):
    periods = fields.List(fields.Nested(PeriodExperienceSchema))
    xla_targets = fields.List(fields.Nested(XlaTargetSchema))
    xla_status = fields.List(fields.Nested(XlaStatusSchema))


class ExperienceQuerySchema(Schema):
    months = fields.Integer(load_default=12, validate=validate.Range(min=1, max=36))


class XlaTargetsSchema(Schema):
    targets = fields.List(fields.Nested(XlaTargetSchema), required=True)


class ProfileAnswersSchema(Schema):
    answers = fields.Dict(
        keys=fields.String(validate=validate.OneOf([q.code for q in PROFILE_QUESTIONS])),
        values=fields.String(),
        required=True,
    )


class ProfileShareSchema(Schema):
    answer = fields.String()
    organisations = fields.Integer()
    pct = fields.Float()
    mine = fields.Boolean()


class ProfileCohortSchema(Schema):
    question = fields.String()
    text = fields.String()
    respondents = fields.Integer(allow_none=True)
    suppressed = fields.Function(lambda c: c.reason is not None)
    reason = fields.String(allow_none=True)
    own_answer = fields.String(allow_none=True)
    rows = fields.List(fields.Nested(ProfileShareSchema))


class ProfileQuerySchema(Schema):
    cohort = CohortField(load_default="industry")


@blp.route("/orgs/<slug>/experience")
class ExperienceView(MethodView):
    @requires(Permission.VIEW)
    @blp.arguments(ExperienceQuerySchema, location="query")
    @blp.response(200, ExperienceSchema)
    def get(self, query: dict[str, Any], org: Organisation) -> dict[str, Any]:
        """NPS, CSAT and CES per month with margins and breakdowns, and XLA targets met or missed."""
        months = recent_months(utcnow().date(), query["months"])
        targets = service.list_xla_targets(db.session, org)
        values = service.own_period_values(db.session, org, months)
        return {
            "periods": service.experience_by_period(db.session, org, months),
            "xla_targets": targets,
            "xla_status": service.xla_status(targets, values, months),
        }


@blp.route("/orgs/<slug>/xla-targets")
class XlaTargets(MethodView):
    @requires(Permission.VIEW)
    @blp.response(200, XlaTargetsSchema)
    def get(self, org: Organisation) -> dict[str, Any]:
        """The organisation's experience targets."""
        return {"targets": service.list_xla_targets(db.session, org)}

    @requires(Permission.UPLOAD)
    @blp.arguments(XlaTargetsSchema)
    @blp.response(200, XlaTargetsSchema)
    def put(self, data: dict[str, Any], org: Organisation) -> dict[str, Any]:
        """Set targets (each replaces the metric's earlier target; others are kept)."""
        for target in data["targets"]:
            service.set_xla_target(
                db.session,
                org,
                current_user,
                target["metric"],
                target["target"],
                target.get("comparator"),
                now=utcnow(),
            )
        return {"targets": service.list_xla_targets(db.session, org)}


@blp.route("/orgs/<slug>/profile")
class Profile(MethodView):
    @requires(Permission.VIEW)
    @blp.arguments(ProfileQuerySchema, location="query")
    @blp.response(200, ProfileCohortSchema(many=True))
    def get(self, query: dict[str, Any], org: Organisation) -> list[service.ProfileCohort]:
        """Each profile question: the organisation's answer and how its cohort answered (n >= 5 only)."""
        return service.profile_cohorts(db.session, org, query["cohort"])

    @requires(Permission.UPLOAD)
    @blp.arguments(ProfileAnswersSchema)
    @blp.response(200, ProfileCohortSchema(many=True))
    def put(self, data: dict[str, Any], org: Organisation) -> list[service.ProfileCohort]:
        """Answer profile questions (`{"answers": {"user_view": "business_users"}}`)."""
        for question, answer in data["answers"].items():
            service.set_profile_answer(db.session, org, current_user, question, answer, now=utcnow())
        jobs.enqueue(db.session(), recompute, once_key="recompute")  # cohort distributions follow
        return service.profile_cohorts(db.session, org, parse_cohort_param("industry"))
