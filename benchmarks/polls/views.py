"""Poll builder, results and exports for members. Thin."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from marshmallow import ValidationError

from benchmarks.polls import entitlements, exports, service
from benchmarks.polls.forms import (
    ConfirmForm,
    CustomQuestionForm,
    LibraryQuestionForm,
    NewPollForm,
    PollSettingsForm,
    StatusForm,
)
from benchmarks.polls.library import spec_of
from benchmarks.polls.models import Poll, PollStatus
from benchmarks.polls.results import PollResults, poll_results, result_charts
from benchmarks.polls.schemas import PollQuestionSchema, public_url
from core.app import settings_of
from core.clock import utcnow
from core.db import db
from core.errors import PeerbenchError
from tenants.access import requires
from tenants.models import Organisation
from tenants.roles import Permission, can

bp = Blueprint("polls", __name__, template_folder="templates")


def _can_edit() -> bool:
    return can(g.role, Permission.POLLS)


@bp.get("/o/<slug>/polls")
@requires(Permission.VIEW)
def poll_list(org: Organisation) -> str:
    polls = service.list_polls(db.session, org, now=utcnow())
    return render_template("polls/list.html", org=org, polls=polls, form=NewPollForm(), can_edit=_can_edit())


@bp.post("/o/<slug>/polls")
@requires(Permission.POLLS)
def create(org: Organisation) -> Response:
    form = NewPollForm()
    if not form.validate_on_submit():
        flash("Give the poll a title (at most 200 characters).", "error")
        return redirect(url_for("polls.poll_list", slug=org.slug))
    draft = service.PollDraft(title=form.title.data)
    poll = service.create_poll(db.session, org, current_user, draft, now=utcnow())
    return redirect(url_for("polls.detail", slug=org.slug, poll_id=poll.id))


def _detail_page(org: Organisation, poll: Poll, **forms: Any) -> str:
    settings = forms.get("settings_form") or PollSettingsForm(
        obj=poll, profile=list(service.profile_of(poll))
    )
    return render_template(
        "polls/detail.html",
        org=org,
        poll=poll,
        questions=[(q, spec_of(q)) for q in service.asked_questions(poll)],
        profile=[spec_of(q) for q in poll.questions if q not in service.asked_questions(poll)],
        public_link=public_url(poll),
        accepting=service.is_accepting(poll, now=utcnow()),
        can_edit=_can_edit(),
        settings_form=settings,
        library_form=forms.get("library_form") or LibraryQuestionForm(),
        custom_form=forms.get("custom_form") or CustomQuestionForm(),
        status_form=StatusForm(),
        confirm_form=ConfirmForm(),
    )


@bp.get("/o/<slug>/polls/<int:poll_id>")
@requires(Permission.VIEW)
def detail(org: Organisation, poll_id: int) -> str:
    return _detail_page(org, service.get_poll(db.session, org, poll_id, now=utcnow()))


@bp.post("/o/<slug>/polls/<int:poll_id>/settings")
@requires(Permission.POLLS)
def save_settings(org: Organisation, poll_id: int) -> str | Response:
    poll = service.get_poll(db.session, org, poll_id, now=utcnow())
    form = PollSettingsForm()
    if not form.validate_on_submit():
        return _detail_page(org, poll, settings_form=form)
    closes_at = form.closes_at.data.replace(tzinfo=UTC) if form.closes_at.data else None  # the form says UTC
    changes = service.PollChanges(
        title=form.title.data,
        intro=form.intro.data or "",
        closes_at=closes_at,
        response_cap=form.response_cap.data,
        one_per_browser=form.one_per_browser.data,
        show_results_after=form.show_results_after.data,
        public_results=form.public_results.data,
        profile=tuple(form.profile.data or ()),
    )
    service.update_poll(db.session, org, poll, changes, now=utcnow(), user=current_user)
    flash("Poll settings saved.", "success")
    return redirect(url_for("polls.detail", slug=org.slug, poll_id=poll.id))


@bp.post("/o/<slug>/polls/<int:poll_id>/questions/library")
@requires(Permission.POLLS)
def add_library_question(org: Organisation, poll_id: int) -> str | Response:
    poll = service.get_poll(db.session, org, poll_id, now=utcnow())
    form = LibraryQuestionForm()
    if not form.validate_on_submit():
        return _detail_page(org, poll, library_form=form)
    service.add_question(db.session, poll, service.QuestionDraft(library=form.library.data))
    return redirect(url_for("polls.detail", slug=org.slug, poll_id=poll.id, _anchor="questions"))


@bp.post("/o/<slug>/polls/<int:poll_id>/questions")
@requires(Permission.POLLS)
def add_custom_question(org: Organisation, poll_id: int) -> str | Response:
    poll = service.get_poll(db.session, org, poll_id, now=utcnow())
    form = CustomQuestionForm()
    if not form.validate_on_submit():
        return _detail_page(org, poll, custom_form=form)
    options = [line.strip() for line in (form.options.data or "").splitlines() if line.strip()]
    try:
        draft = PollQuestionSchema().load(
            {
                "text": form.text.data,
                "type": form.type.data,
                "options": options if form.type.data in ("single", "multiple") else [],
                "scale_max": form.scale_max.data,
                "required": form.required.data,
            }
        )
    except ValidationError as error:
        for name, messages in error.normalized_messages().items():
            getattr(form, name, form.text).errors = [*messages]
        return _detail_page(org, poll, custom_form=form)
    service.add_question(db.session, poll, draft)
    return redirect(url_for("polls.detail", slug=org.slug, poll_id=poll.id, _anchor="questions"))


@bp.post("/o/<slug>/polls/<int:poll_id>/questions/<int:question_id>/move")
@requires(Permission.POLLS)
def move_question(org: Organisation, poll_id: int, question_id: int) -> Response:
    poll = service.get_poll(db.session, org, poll_id, now=utcnow())
    if ConfirmForm().validate_on_submit():
        offset = -1 if request.form.get("direction") == "up" else 1
        service.move_question(db.session, poll, question_id, offset)
    return redirect(
        url_for("polls.detail", slug=org.slug, poll_id=poll.id, _anchor=f"question-{question_id}")
    )


@bp.post("/o/<slug>/polls/<int:poll_id>/questions/<int:question_id>/remove")
@requires(Permission.POLLS)
def remove_question(org: Organisation, poll_id: int, question_id: int) -> Response:
    poll = service.get_poll(db.session, org, poll_id, now=utcnow())
    if ConfirmForm().validate_on_submit():
        service.remove_question(db.session, poll, question_id)
        flash("Question removed.", "success")
    return redirect(url_for("polls.detail", slug=org.slug, poll_id=poll.id, _anchor="questions"))


@bp.post("/o/<slug>/polls/<int:poll_id>/status")
@requires(Permission.POLLS)
def change_status(org: Organisation, poll_id: int) -> Response:
    poll = service.get_poll(db.session, org, poll_id, now=utcnow())
    form = StatusForm()
    if form.validate_on_submit():
        now, status = utcnow(), PollStatus(form.status.data)
        check = entitlements.open_polls_check(org, settings=settings_of(current_app), now=now)
        try:
            service.update_poll(
                db.session,
                org,
                poll,
                service.PollChanges(status=status),
                now=now,
                user=current_user,
                plan_check=check,
            )
        except PeerbenchError as error:
            if error.status >= 500 or error.status in (401, 403):
                raise
            db.session.rollback()
            flash(error.message, "error")
        else:
            flash(
                "The poll is open: share its link." if status == PollStatus.OPEN else "The poll is closed.",
                "success",
            )
    return redirect(url_for("polls.detail", slug=org.slug, poll_id=poll_id))


def _results(org: Organisation, poll_id: int) -> tuple[Poll, PollResults]:
    poll = service.get_poll(db.session, org, poll_id, now=utcnow())
    return poll, poll_results(db.session, poll, by=request.args.get("by") or None)


@bp.get("/o/<slug>/polls/<int:poll_id>/results")
@requires(Permission.VIEW)
def results(org: Organisation, poll_id: int) -> str:
    poll, outcome = _results(org, poll_id)
    return render_template(
        "polls/results.html",
        org=org,
        poll=poll,
        results=outcome,
        charts=result_charts(outcome),
        public_link=public_url(poll),
    )


@bp.get("/o/<slug>/polls/<int:poll_id>/results.csv")
@requires(Permission.VIEW)
def export_csv(org: Organisation, poll_id: int) -> Response:
    poll, outcome = _results(org, poll_id)
    return _download(exports.results_csv(outcome).encode("utf-8-sig"), "text/csv; charset=utf-8", poll, "csv")


@bp.get("/o/<slug>/polls/<int:poll_id>/results.xlsx")
@requires(Permission.VIEW)
def export_xlsx(org: Organisation, poll_id: int) -> Response:
    poll, outcome = _results(org, poll_id)
    mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(exports.results_xlsx(outcome), mimetype, poll, "xlsx")


def _download(body: bytes, mimetype: str, poll: Poll, extension: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="poll-{poll.id}-results.{extension}"'
    return response
