"""Upload pages: the upload form, the submissions history, one submission's progress and errors. Thin."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from benchmarks.metrics.downloads import TEMPLATE_LABELS
from benchmarks.uploads import ingest
from benchmarks.uploads.jobs import validate_submission
from benchmarks.uploads.models import FINAL_STATUSES, SubmissionKind
from benchmarks.uploads.schemas import SubmissionSchema
from core import jobs
from core.app import settings_of
from core.clock import utcnow
from core.db import db
from core.errors import InvalidInput
from core.web import render_error
from tenants.access import requires
from tenants.models import Organisation
from tenants.roles import Permission, can

bp = Blueprint("uploads", __name__, template_folder="templates")


_STATUS_FIELDS = (
    "id",
    "kind",
    "status",
    "progress",
    "filename",
    "rows_total",
    "values_added",
    "values_replaced",
    "error_count",
    "first_period",
    "last_period",
)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.route("/o/<slug>/upload", methods=["GET", "POST"])
@requires(Permission.UPLOAD)
def upload(org: Organisation) -> str | Response | tuple[Response, int]:
    if request.method == "GET":
        return _upload_page(org)
    file = request.files.get("file")
    kind = request.form.get("kind", SubmissionKind.METRICS.value)
    if file is None or not file.filename:
        return _upload_refused(org, "Choose a file to upload.")
    if kind not in {k.value for k in SubmissionKind}:
        return _upload_refused(org, "Choose what the file holds: metrics or survey results.")
    try:
        submission = ingest.receive_submission(
            db.session,
            org,
            current_user,
            SubmissionKind(kind),
            file.stream,
            file.filename,
            storage_root=settings_of(current_app).storage_path,
            max_bytes=settings_of(current_app).max_upload_bytes,
            now=utcnow(),
        )
    except InvalidInput as error:
        return _upload_refused(org, error.message)
    if not submission.is_final:
        jobs.enqueue(db.session(), validate_submission, org.id, submission.id)
    target = url_for("uploads.submission", slug=org.slug, submission_id=submission.id)
    if _wants_json():
        return jsonify({"id": submission.id, "status": submission.status, "url": target}), 202
    return redirect(target, 303)


def _upload_page(org: Organisation) -> str:
    templates = [
        {"filename": name, "label": label, "hint": hint} for name, (label, hint) in TEMPLATE_LABELS.items()
    ]
    return render_template(
        "uploads/upload.html",
        org=org,
        templates=templates,
        max_bytes=settings_of(current_app).max_upload_bytes,
        max_mb=settings_of(current_app).max_upload_bytes // (1024 * 1024),
    )


def _upload_refused(org: Organisation, message: str) -> Response:
    if _wants_json():
        raise InvalidInput(message)
    db.session.rollback()
    flash(message, "error")
    return redirect(url_for("uploads.upload", slug=org.slug), 303)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> Response:
    limit = settings_of(current_app).max_upload_bytes // (1024 * 1024)
    return render_error(
        413,
        "too_large",
        f"The file is larger than the upload limit of {limit} MB. Split it by period and upload the parts.",
    )


@bp.get("/o/<slug>/submissions")
@requires(Permission.VIEW)
def submissions(org: Organisation) -> str:
    return render_template(
        "uploads/submissions.html",
        org=org,
        submissions=ingest.list_submissions(db.session, org),
        can_upload=can(g.role, Permission.UPLOAD),
    )


@bp.get("/o/<slug>/submissions/<int:submission_id>")
@requires(Permission.VIEW)
def submission(org: Organisation, submission_id: int) -> str:
    found = ingest.get_submission(db.session, org, submission_id)
    return render_template(
        "uploads/submission.html",
        org=org,
        submission=found,
        final=found.status in FINAL_STATUSES,
        more_errors=max(found.error_count - len(found.errors), 0),
        can_upload=can(g.role, Permission.UPLOAD),
    )


@bp.get("/o/<slug>/submissions/<int:submission_id>.json")
@requires(Permission.VIEW)
def submission_status(org: Organisation, submission_id: int) -> Response:
    found = ingest.get_submission(db.session, org, submission_id)
    body = SubmissionSchema(only=_STATUS_FIELDS).dump(found)
    return jsonify({**body, "final": found.status in FINAL_STATUSES})
