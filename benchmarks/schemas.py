"""API contract of the benchmarks feature (marshmallow; the OpenAPI document is generated from these)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from benchmarks.catalogue import METRICS_BY_CODE
from benchmarks.cohorts import CohortKey, parse_cohort_param
from benchmarks.models import SubmissionKind
from benchmarks.windows import Window
from tenants.dimensions import Industry, Region, SizeBand


class WindowField(fields.String):
    """`2026-Q3` or `T12M-2026-09`, loaded as a Window."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Window:
        try:
            return Window.parse(str(value))
        except ValueError as error:
            raise ValidationError(str(error)) from error


class CohortField(fields.String):
    """The dimensions to match, comma-separated (`industry,size`), or `all`."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        try:
            return parse_cohort_param(str(value))
        except ValueError as error:
            raise ValidationError(str(error)) from error


class MetricSchema(Schema):
    code = fields.String()
    name = fields.String()
    description = fields.String()
    unit = fields.String()
    direction = fields.String(
        metadata={"description": "+ higher is better, - lower is better, = descriptive"}
    )
    minimum = fields.Float()
    maximum = fields.Float()
    area = fields.String()
    source = fields.String(metadata={"description": "uploaded, derived or survey"})
    mix = fields.String(allow_none=True)


class CatalogueQuestionSchema(Schema):
    code = fields.String()
    text = fields.String()
    kind = fields.String()
    answers = fields.List(fields.String())
    profile = fields.Boolean()


class CatalogueSchema(Schema):
    metrics = fields.List(fields.Nested(MetricSchema))
    questions = fields.List(fields.Nested(CatalogueQuestionSchema))


class RowErrorSchema(Schema):
    row = fields.Integer(allow_none=True)
    column = fields.String(allow_none=True)
    value = fields.String(allow_none=True)
    reason = fields.String()


class SubmissionSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    status = fields.String(metadata={"description": "received, validating, accepted, rejected or failed"})
    progress = fields.Float(metadata={"description": "0..1"})
    filename = fields.String()
    source_format = fields.String()
    checksum = fields.String()
    size_bytes = fields.Integer()
    rows_total = fields.Integer()
    values_added = fields.Integer()
    values_replaced = fields.Integer()
    error_count = fields.Integer()
    errors = fields.List(fields.Nested(RowErrorSchema), metadata={"description": "at most the first 1,000"})
    first_period = fields.String(allow_none=True)
    last_period = fields.String(allow_none=True)
    received_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    created_by = fields.Function(lambda s: s.created_by.email if s.created_by else None)


class SubmissionFormSchema(Schema):
    kind = fields.String(
        load_default=SubmissionKind.METRICS.value, validate=validate.OneOf([k.value for k in SubmissionKind])
    )


class SubmissionFileSchema(Schema):
    file = fields.Raw(metadata={"type": "string", "format": "binary"})


class SubmissionRecordsSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in SubmissionKind]))
    records = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=100_000))


class PositionQuerySchema(Schema):
    window = WindowField(required=True)
    cohort = CohortField(load_default="industry")


class CohortFiguresSchema(Schema):
    n = fields.Integer()
    p10 = fields.Float(allow_none=True, metadata={"description": "published from 11 organisations"})
    p25 = fields.Float()
    median = fields.Float()
    p75 = fields.Float()
    p90 = fields.Float(allow_none=True, metadata={"description": "published from 11 organisations"})


class PositionSchema(Schema):
    metric = fields.Function(lambda p: p.metric.code)
    name = fields.Function(lambda p: p.metric.name)
    unit = fields.Function(lambda p: p.metric.unit)
    direction = fields.Function(lambda p: p.metric.direction.value)
    value = fields.Float(allow_none=True)
    percentile_rank = fields.Float(attribute="rank", allow_none=True)
    quartile = fields.Integer(allow_none=True, metadata={"description": "4 = top quartile"})
    gap_to_median = fields.Float(attribute="gap", allow_none=True)
    reading = fields.String(allow_none=True)
    suppressed = fields.Boolean()
    reason = fields.String(allow_none=True)
    cohort = fields.Nested(CohortFiguresSchema, allow_none=True)


class PositionsSchema(Schema):
    organisation = fields.Function(lambda v: v.org.slug)
    window = fields.Function(lambda v: v.window.code)
    window_label = fields.Function(lambda v: v.window.label)
    cohort = fields.Function(lambda v: v.level.param)
    cohort_label = fields.Function(lambda v: v.level.label)
    cohort_key = fields.Function(lambda v: v.cohort.code)
    computed_at = fields.DateTime(allow_none=True)
    watermelon = fields.Boolean()
    positions = fields.List(fields.Nested(PositionSchema))


class BenchmarkQuerySchema(Schema):
    metric = fields.String(required=True, validate=validate.OneOf(sorted(METRICS_BY_CODE)))
    window = WindowField(required=True)
    industry = fields.String(validate=validate.OneOf([i.value for i in Industry]))
    size = fields.String(validate=validate.OneOf([s.value for s in SizeBand]))
    region = fields.String(validate=validate.OneOf([r.value for r in Region]))

    @validates_schema
    def _nothing_else(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["metric"] not in METRICS_BY_CODE:
            raise ValidationError("unknown metric", "metric")

    @post_load
    def _cohort(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        data["cohort"] = CohortKey(data.get("industry"), data.get("size"), data.get("region"))
        return data


class BenchmarkCellSchema(Schema):
    metric = fields.String()
    window = fields.String()
    cohort_key = fields.String()
    cohort_label = fields.String()
    suppressed = fields.Boolean()
    reason = fields.String(allow_none=True)
    figures = fields.Nested(CohortFiguresSchema, allow_none=True)
