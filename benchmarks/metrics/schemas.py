"""API contract of the catalogue: metrics and standard survey questions."""

from __future__ import annotations

from marshmallow import Schema, fields


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
