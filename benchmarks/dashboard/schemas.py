"""API contract of positions and cohort cells (marshmallow; the OpenAPI document is generated from these)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from benchmarks.engine.cohorts import CohortKey
from benchmarks.engine.fields import CohortField, WindowField
from benchmarks.metrics.catalogue import METRICS_BY_CODE
from tenants.dimensions import Industry, Region, SizeBand


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
