"""The API object and its documented error shape: the one JSON body every /api error has (core.errors)."""

from __future__ import annotations

from flask_smorest import Api
from marshmallow import Schema, fields


class ErrorBodySchema(Schema):
    code = fields.String(required=True, metadata={"description": "machine-readable, e.g. `not_found`"})
    message = fields.String(required=True)
    # each detail names a field and its message, or an upload's row, column, value and reason
    details = fields.List(fields.Dict(), required=True)


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


class PeerbenchApi(Api):
    """flask-smorest's Api documenting Peerbench's error body instead of its own `{code, status, ...}`."""

    ERROR_SCHEMA = ErrorSchema


def id_links(status: int, id_parameter: str, targets: dict[str, tuple[str, str]]) -> dict:
    """`@blp.doc(**id_links(...))`: OpenAPI links from a created resource's `id` to the operations on it.

    `targets` maps a link name to (method, path) as the document spells the path, e.g.
    `("get", "/api/v1/orgs/{slug}/polls/{poll_id}")`; the organisation's slug carries over from the request.
    """
    links = {
        name: {
            "operationRef": "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method,
            "parameters": {"slug": "$request.path.slug", id_parameter: "$response.body#/id"},
        }
        for name, (method, path) in targets.items()
    }
    return {"responses": {str(status): {"links": links}}}
