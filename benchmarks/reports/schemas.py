"""API contract of comparison reports."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_load, validate

from benchmarks.dashboard.display import DEFAULT_LEVEL
from benchmarks.engine.fields import CohortField, WindowField
from benchmarks.reports.models import Paper


class ReportRequestSchema(Schema):
    window = WindowField(required=True, metadata={"description": "2026-Q3 or T12M-2026-09"})
    cohorts = fields.List(
        CohortField(),
        validate=validate.Length(min=1, max=4),
        metadata={
            "description": 'cohorts as the positions API names them, e.g. ["industry", "industry,size"]'
        },
    )
    paper = fields.String(load_default=Paper.A4.value, validate=validate.OneOf([p.value for p in Paper]))

    @post_load
    def _typed(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        data.setdefault("cohorts", [DEFAULT_LEVEL])
        data["paper"] = Paper(data["paper"])
        return data


class ReportSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "queued, rendering, ready or failed"})
    progress = fields.Float(metadata={"description": "0..1"})
    message = fields.String(metadata={"description": "the current step, or why rendering failed"})
    window = fields.String(attribute="window_code")
    cohorts = fields.Function(lambda r: [c.replace("+", ",") for c in r.cohorts])
    paper = fields.String()
    pages = fields.Integer(allow_none=True)
    size_bytes = fields.Integer(allow_none=True)
    brand_name = fields.String(allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    created_by = fields.Function(lambda r: r.created_by.email if r.created_by else None)
