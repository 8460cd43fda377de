"""API contract of researcher polls (marshmallow; the OpenAPI document is generated from these)."""

from __future__ import annotations

from typing import Any

from flask import url_for
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from benchmarks.polls import service
from benchmarks.polls.library import LIBRARY_CODES, PROFILE_DIMENSIONS, spec_of
from benchmarks.polls.models import Poll, PollStatus, QuestionKind
from benchmarks.polls.results import SUPPRESSED
from core.fields import BoundedDateTime

_TYPES = [k.value for k in service.CUSTOM_KINDS]


class PollQuestionSchema(Schema):
    """In: `{"library": "user_view"}` or `{"text", "type", "options"}` (a scale: `"scale_max": N`)."""

    library = fields.String(validate=validate.OneOf(LIBRARY_CODES), metadata={"description": "library code"})
    text = fields.String()
    type = fields.String(validate=validate.OneOf(_TYPES), load_default=QuestionKind.SINGLE.value)
    options = fields.List(fields.String(), load_default=list)
    scale_max = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=2, max=10),
        metadata={"description": "a 1-N scale's N"},
    )
    required = fields.Boolean(load_default=True)

    @validates_schema
    def _check(self, data: dict[str, Any], **_: Any) -> None:
        if "library" in data and ("text" in data or data.get("options")):
            raise ValidationError("Give either a library code or a custom question, not both.", "library")
        problems = service.question_problems(_draft(data))
        if problems:
            raise ValidationError({name: [message] for name, message in problems.items()})

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> service.QuestionDraft:
        return _draft(data)


def _draft(data: dict[str, Any]) -> service.QuestionDraft:
    if data.get("library"):
        return service.QuestionDraft(library=data["library"], required=data.get("required", True))
    kind = data.get("type", "single")
    return service.QuestionDraft(
        text=data.get("text"),
        kind=QuestionKind(kind) if kind in _TYPES else QuestionKind.SINGLE,
        options=tuple(data.get("options") or ()),
        scale_max=data.get("scale_max") if kind != "scale" else (data.get("scale_max") or 5),
        required=data.get("required", True),
    )


class _PollFields(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    intro = fields.String(validate=validate.Length(max=5000))
    questions = fields.List(
        fields.Nested(PollQuestionSchema), validate=validate.Length(max=service.MAX_QUESTIONS)
    )
    profile = fields.List(
        fields.String(validate=validate.OneOf(list(PROFILE_DIMENSIONS))),
        metadata={"description": "respondent profile questions for cross-tabs: industry, size, region"},
    )
    closes_at = BoundedDateTime(allow_none=True)
    response_cap = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=1_000_000))
    one_per_browser = fields.Boolean()
    show_results_after = fields.Boolean(metadata={"description": "live results on the thank-you page"})
    public_results = fields.Boolean(metadata={"description": "a public results page at /p/<token>/results"})


class PollCreateSchema(_PollFields):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> service.PollDraft:
        data["questions"] = tuple(data.get("questions", ()))
        data["profile"] = tuple(data.get("profile", ()))
        data["closes_at"] = data.get("closes_at")
        return service.PollDraft(**data)


class PollUpdateSchema(_PollFields):
    status = fields.String(validate=validate.OneOf([s.value for s in PollStatus]))

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> service.PollChanges:
        if "questions" in data:
            data["questions"] = tuple(data["questions"])
        if "profile" in data:
            data["profile"] = tuple(data["profile"])
        if "status" in data:
            data["status"] = PollStatus(data["status"])
        return service.PollChanges(**data)


class PollOptionSchema(Schema):
    code = fields.String(dump_only=True)
    label = fields.String(dump_only=True)


class PollQuestionOutSchema(Schema):
    id = fields.Integer(dump_only=True)
    library = fields.String(dump_only=True, allow_none=True)
    type = fields.Function(lambda s: s.kind.value, dump_only=True)
    text = fields.String(dump_only=True)
    options = fields.List(fields.Nested(PollOptionSchema), dump_only=True)
    required = fields.Boolean(dump_only=True)


class PollSchema(Schema):
    id = fields.Integer(dump_only=True)
    title = fields.String(dump_only=True)
    intro = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    questions = fields.Function(lambda poll: _questions(poll), dump_only=True)
    profile = fields.Function(lambda poll: list(service.profile_of(poll)), dump_only=True)
    closes_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    response_cap = fields.Integer(dump_only=True, allow_none=True)
    response_count = fields.Integer(dump_only=True)
    one_per_browser = fields.Boolean(dump_only=True)
    show_results_after = fields.Boolean(dump_only=True)
    public_results = fields.Boolean(dump_only=True)
    public_url = fields.Function(lambda poll: public_url(poll), dump_only=True)
    public_results_url = fields.Function(
        lambda poll: (
            url_for("polls_public.public_results", token=poll.token, _external=True)
            if poll.public_results
            else None
        ),
        dump_only=True,
    )
    created_at = fields.AwareDateTime(dump_only=True)
    opened_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    closed_at = fields.AwareDateTime(dump_only=True, allow_none=True)


def _questions(poll: Poll) -> list[dict[str, Any]]:
    return PollQuestionOutSchema(many=True).dump([spec_of(q) for q in service.asked_questions(poll)])


def public_url(poll: Poll) -> str:
    return url_for("polls_public.public_poll", token=poll.token, _external=True)


class PollListSchema(Schema):
    polls = fields.List(fields.Nested(PollSchema), dump_only=True)


class PollResultsQuerySchema(Schema):
    by = fields.String(
        validate=validate.OneOf(list(PROFILE_DIMENSIONS)),
        metadata={"description": "cross-tab by a profile question the poll asks: industry, size or region"},
    )


class PollShareSchema(Schema):
    code = fields.String(dump_only=True)
    label = fields.String(dump_only=True)
    count = fields.Integer(dump_only=True)
    pct = fields.Float(dump_only=True, allow_none=True)
    margin = fields.Float(dump_only=True, allow_none=True, metadata={"description": "95% Wilson, +- points"})


def _summary(result: Any) -> dict[str, Any] | None:  # Any: a results.QuestionResult
    summary, library = result.summary, result.spec.library
    if summary is None:
        return None
    if library == "nps":
        return {
            "measure": "nps",
            "value": summary.score,
            "margin": summary.margin,
            "promoters_pct": summary.promoters_pct,
            "detractors_pct": summary.detractors_pct,
        }
    if library == "csat":
        return {"measure": "csat_pct", "value": summary.pct, "margin": summary.margin}
    return {"measure": "ces_avg", "value": summary.mean, "margin": summary.margin}


class PollQuestionResultSchema(Schema):
    id = fields.Function(lambda r: r.spec.id, dump_only=True)
    library = fields.Function(lambda r: r.spec.library, dump_only=True)
    type = fields.Function(lambda r: r.spec.kind.value, dump_only=True)
    text = fields.Function(lambda r: r.spec.text, dump_only=True)
    n = fields.Integer(dump_only=True)
    answers = fields.List(fields.Nested(PollShareSchema), attribute="rows", dump_only=True)
    summary = fields.Function(_summary, dump_only=True)
    texts = fields.List(fields.String(), dump_only=True)


def _crosstab(table: Any) -> dict[str, Any]:  # Any: a results.CrossTab
    return {
        "question_id": table.question.id,
        "groups": [
            {"code": g.code, "label": g.label, "n": g.n if g.n is not None else SUPPRESSED}
            for g in table.groups
        ],
        "rows": [
            {
                "answer": label,
                "cells": [SUPPRESSED if c.suppressed else {"count": c.count, "pct": c.pct} for c in cells],
            }
            for label, cells in table.rows
        ],
    }


class PollResultsSchema(Schema):
    poll_id = fields.Integer(dump_only=True)
    title = fields.String(dump_only=True)
    responses = fields.Integer(dump_only=True)
    latest_day = fields.Date(dump_only=True, allow_none=True)
    questions = fields.List(fields.Nested(PollQuestionResultSchema), dump_only=True)
    by = fields.Function(lambda r: r.by.library if r.by else None, dump_only=True)
    crosstabs = fields.Function(lambda r: [_crosstab(t) for t in r.crosstabs], dump_only=True)
