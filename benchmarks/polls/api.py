"""HTTP API v1, researcher polls: create, read, edit a draft, open and close, read results."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from benchmarks.polls import entitlements, service
from benchmarks.polls.models import Poll
from benchmarks.polls.results import PollResults, poll_results
from benchmarks.polls.schemas import (
    PollCreateSchema,
    PollListSchema,
    PollResultsQuerySchema,
    PollResultsSchema,
    PollSchema,
    PollUpdateSchema,
)
from core.app import settings_of
from core.clock import utcnow
from core.db import db
from core.openapi import id_links
from tenants.access import requires
from tenants.models import Organisation
from tenants.roles import Permission

blp = Blueprint("polls_api", __name__, url_prefix="/api/v1", description="Researcher polls")


_POLL = "/api/v1/orgs/{slug}/polls/{poll_id}"
_POLL_LINKS = {
    "GetPoll": ("get", _POLL),
    "EditPoll": ("patch", _POLL),
    "PollResults": ("get", _POLL + "/results"),
}


@blp.route("/orgs/<slug>/polls")
class Polls(MethodView):
    @requires(Permission.POLLS)
    @blp.arguments(PollCreateSchema)
    @blp.response(201, PollSchema)
    @blp.doc(**id_links(201, "poll_id", _POLL_LINKS))
    def post(self, draft: service.PollDraft, org: Organisation) -> Poll:
        """Create a draft poll from library and custom questions; the answer carries its public URL."""
        return service.create_poll(db.session, org, current_user, draft, now=utcnow())

    @requires(Permission.VIEW)
    @blp.response(200, PollListSchema)
    def get(self, org: Organisation) -> dict[str, list[Poll]]:
        """The organisation's polls, newest first."""
        return {"polls": service.list_polls(db.session, org, now=utcnow())}


@blp.route("/orgs/<slug>/polls/<int:poll_id>")
class PollDetail(MethodView):
    @requires(Permission.VIEW)
    @blp.response(200, PollSchema)
    def get(self, org: Organisation, poll_id: int) -> Poll:
        """One poll: questions (library ones with the catalogue's text and options), settings, status."""
        return service.get_poll(db.session, org, poll_id, now=utcnow())

    @requires(Permission.POLLS)
    @blp.arguments(PollUpdateSchema)
    @blp.response(200, PollSchema)
    @blp.alt_response(409, description="Only a draft can be edited; a poll cannot go back to draft")
    def patch(self, changes: service.PollChanges, org: Organisation, poll_id: int) -> Poll:
        """Edit a draft (`questions` replaces them all) and/or set `status`: `open` or `closed`."""
        now = utcnow()
        poll = service.get_poll(db.session, org, poll_id, now=now)
        check = entitlements.open_polls_check(org, settings=settings_of(current_app), now=now)
        return service.update_poll(
            db.session, org, poll, changes, now=now, user=current_user, plan_check=check
        )


@blp.route("/orgs/<slug>/polls/<int:poll_id>/results")
class Results(MethodView):
    @requires(Permission.VIEW)
    @blp.arguments(PollResultsQuerySchema, location="query")
    @blp.response(200, PollResultsSchema)
    def get(self, query: dict[str, Any], org: Organisation, poll_id: int) -> PollResults:
        """n, count, % and 95% margin per answer; NPS/CSAT/CES; free text; `?by=` a cross-tab (<5 hidden)."""
        poll = service.get_poll(db.session, org, poll_id, now=utcnow())
        return poll_results(db.session, poll, by=query.get("by"))
