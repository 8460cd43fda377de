"""The public, anonymous poll page `/p/<token>`, its thank-you page and the optional public results page.

No login. The form is CSRF-protected (the token lives in the anonymous session cookie), POSTs are rate
limited per IP, a honeypot field drops bots silently, and one response per browser is kept by a signed
cookie that names only the poll: it is never stored with, nor derivable from, the answers.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from benchmarks.polls import entitlements, service
from benchmarks.polls.models import Poll
from benchmarks.polls.results import poll_results, result_charts
from core.app import settings_of
from core.clock import utcnow
from core.db import db
from core.errors import InvalidInput, NotFound
from core.extensions import limiter

bp = Blueprint("polls_public", __name__, template_folder="templates")

HONEYPOT = "website"  # a field people never see; bots that fill every input do
ANSWERED_MAX_AGE = 400 * 24 * 3600  # browsers cap cookie lifetimes at 400 days anyway
POST_LIMIT = "10 per minute"


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="poll-answered")


def _cookie_name(poll: Poll) -> str:
    return f"pb_answered_{poll.id}"


def _has_answered(poll: Poll) -> bool:
    marker = request.cookies.get(_cookie_name(poll))
    if not marker:
        return False
    try:
        return _signer().loads(marker) == poll.id
    except BadSignature:
        return False


def _mark_answered(response: Response, poll: Poll) -> None:
    response.set_cookie(
        _cookie_name(poll),
        _signer().dumps(poll.id),
        max_age=ANSWERED_MAX_AGE,
        path=f"/p/{poll.token}",
        secure=settings_of(current_app).cookie_secure,
        httponly=True,
        samesite="Lax",
    )


def _page(template: str, poll: Poll, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, poll=poll, **context), status


@bp.route("/p/<token>", methods=["GET", "POST"])
@limiter.limit(POST_LIMIT, methods=["POST"])
def public_poll(token: str) -> Response | tuple[str, int]:
    now = utcnow()
    poll = service.get_public_poll(db.session, token, now=now)
    if not service.is_accepting(poll, now=now):
        return _page("polls/public_closed.html", poll, 200 if request.method == "GET" else 409)
    if poll.one_per_browser and _has_answered(poll):
        return _page("polls/public_answered.html", poll, 200 if request.method == "GET" else 409)
    specs = service.specs_of(poll)
    if request.method == "GET":
        return _page("polls/public_form.html", poll, specs=specs, errors={}, values={})
    if request.form.get(HONEYPOT):
        # a bot: look like success, store nothing, set nothing
        return redirect(url_for("polls_public.thanks", token=token))
    form = request.form.to_dict(flat=False)
    try:
        service.submit_response(
            db.session,
            poll,
            form,
            now=now,
            response_limit=entitlements.response_limit(
                db.session, poll.org_id, settings=settings_of(current_app), now=now
            ),
        )
    except InvalidInput as error:
        db.session.rollback()
        errors = {d["field"]: d["message"] for d in error.details}
        return _page("polls/public_form.html", poll, 422, specs=specs, errors=errors, values=form)
    except service.PollNotAccepting:
        db.session.rollback()
        return _page("polls/public_closed.html", poll, 409)
    response = redirect(url_for("polls_public.thanks", token=token))
    _mark_answered(response, poll)
    return response


@bp.get("/p/<token>/thanks")
def thanks(token: str) -> tuple[str, int]:
    poll = service.get_public_poll(db.session, token, now=utcnow())
    results = None
    # live results for people who answered (the marker), when the owner allows
    if poll.show_results_after and _has_answered(poll):
        results = poll_results(db.session, poll)
    return _page(
        "polls/public_thanks.html", poll, results=results, charts=result_charts(results) if results else {}
    )


@bp.get("/p/<token>/results")
def public_results(token: str) -> tuple[str, int]:
    poll = service.get_public_poll(db.session, token, now=utcnow())
    if not poll.public_results:
        raise NotFound("This poll's results are not public.")
    results = poll_results(db.session, poll)
    return _page("polls/public_results.html", poll, results=results, charts=result_charts(results))
