"""API contract of uploads: submissions, their counts and row errors, and the upload bodies."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

from benchmarks.uploads.models import SubmissionKind


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


class SubmissionFileSchema(SubmissionFormSchema):
    """The multipart upload as documented: the view reads `file` from the request and loads only `kind`."""

    class Meta:
        unknown = INCLUDE  # other form fields are ignored, not refused

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class SubmissionRecordsSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in SubmissionKind]))
    records = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=100_000))
