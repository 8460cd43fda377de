"""Pages of the benchmarks feature: dashboard, uploads, submissions, portfolio, definitions. Thin."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
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
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from benchmarks import ingest, positions
from benchmarks.catalogue import METRICS, QUESTIONS
from benchmarks.cohorts import CohortLevel, parse_cohort_param
from benchmarks.dashboard import AREAS, build_dashboard
from benchmarks.display import DEFAULT_LEVEL, direction_text
from benchmarks.jobs import validate_submission
from benchmarks.models import FINAL_STATUSES, SubmissionKind
from benchmarks.portfolio import build_portfolio
from benchmarks.schemas import SubmissionSchema
from benchmarks.statistics import MIN_COHORT, SUPPRESSED_REASON
from benchmarks.templates_files import TEMPLATES
from benchmarks.windows import Window
from core import jobs
from core.clock import utcnow
from core.db import db
from core.errors import InvalidInput, NotFound
from core.web import render_error
from tenants.access import requires
from tenants.models import Organisation
from tenants.roles import Permission, can
from tenants.web import register_org_nav

bp = Blueprint("benchmarks", __name__, template_folder="templates")

_CONTENT_TYPES = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".json": "application/json",
}
_TEMPLATE_LABELS = {
    "peerbench-metrics-long.csv": ("Long CSV", "period, metric, value: one row per value"),
    "peerbench-metrics-wide.csv": ("Wide CSV", "period, then one column per metric code"),
    "peerbench-metrics-wide.xlsx": ("Wide Excel", "the wide form as an .xlsx workbook"),
    "peerbench-metrics.json": ("JSON", 'the API\'s {"kind", "records"} envelope'),
}
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


def init_views(app: Flask) -> None:
    app.register_blueprint(bp)
    for endpoint, label, permission, order, when in (
        ("benchmarks.dashboard", "Dashboard", Permission.VIEW, 10, None),
        ("benchmarks.upload", "Upload", Permission.UPLOAD, 20, None),
        ("benchmarks.submissions", "Submissions", Permission.VIEW, 25, None),
        ("benchmarks.portfolio", "Portfolio", Permission.VIEW, 30, lambda org: org.is_consultancy),
        ("benchmarks.org_definitions", "Definitions", Permission.VIEW, 60, None),
    ):
        register_org_nav(app, endpoint, label, permission, order=order, when=when)


def _settings() -> Any:  # Any: core.settings.Settings, read from the app
    return current_app.extensions["peerbench.settings"]


def _choice(args: MultiDict[str, str]) -> tuple[Window | None, CohortLevel]:
    """The `?window=&cohort=` of a page; absent: the default window and the same-industry cohort."""
    window_text, cohort_text = args.get("window", "").strip(), args.get("cohort", "").strip()
    try:
        window = Window.parse(window_text) if window_text else None
        level = DEFAULT_LEVEL
        if cohort_text:
            level = (CohortLevel.parse if "+" in cohort_text else parse_cohort_param)(cohort_text)
    except ValueError as error:
        raise InvalidInput(str(error)) from error
    return window, level


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


# -- dashboard and portfolio -------------------------------------------------------------------------------


@bp.get("/o/<slug>/dashboard")
@requires(Permission.VIEW)
def dashboard(org: Organisation) -> str:
    window, level = _choice(request.args)
    page = build_dashboard(db.session, org, window, level, today=utcnow().date())
    return render_template(
        "benchmarks/dashboard.html", org=org, page=page, can_upload=can(g.role, Permission.UPLOAD)
    )


@bp.get("/o/<slug>/dashboard.csv")
@requires(Permission.VIEW)
def dashboard_csv(org: Organisation) -> Response:
    window, level = _choice(request.args)
    if window is None:
        raise InvalidInput("Give the window to export, e.g. ?window=2026-Q3&cohort=industry.")
    view = positions.list_positions(db.session, org, window, level)
    filename = f"peerbench-{org.slug}-{window.code}-{level.code}.csv".replace("+", "-")
    return Response(
        positions.positions_csv(view),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/o/<slug>/portfolio")
@requires(Permission.VIEW)
def portfolio(org: Organisation) -> str | Response:
    if not org.is_consultancy:
        flash("The portfolio belongs to consultancies: it shows their client organisations.", "error")
        return redirect(url_for("benchmarks.dashboard", slug=org.slug))
    window, level = _choice(request.args)
    page = build_portfolio(db.session, org, window, level, today=utcnow().date())
    return render_template("benchmarks/portfolio.html", org=org, page=page, min_cohort=MIN_COHORT)


# -- uploads and submissions -------------------------------------------------------------------------------


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
            storage_root=_settings().storage_path,
            max_bytes=_settings().max_upload_bytes,
            now=utcnow(),
        )
    except InvalidInput as error:
        return _upload_refused(org, error.message)
    if not submission.is_final:
        jobs.enqueue(db.session(), validate_submission, org.id, submission.id)
    target = url_for("benchmarks.submission", slug=org.slug, submission_id=submission.id)
    if _wants_json():
        return jsonify({"id": submission.id, "status": submission.status, "url": target}), 202
    return redirect(target, 303)


def _upload_page(org: Organisation) -> str:
    templates = [
        {"filename": name, "label": label, "hint": hint} for name, (label, hint) in _TEMPLATE_LABELS.items()
    ]
    return render_template(
        "benchmarks/upload.html",
        org=org,
        templates=templates,
        max_bytes=_settings().max_upload_bytes,
        max_mb=_settings().max_upload_bytes // (1024 * 1024),
    )


def _upload_refused(org: Organisation, message: str) -> Response:
    if _wants_json():
        raise InvalidInput(message)
    db.session.rollback()
    flash(message, "error")
    return redirect(url_for("benchmarks.upload", slug=org.slug), 303)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> Response:
    limit = _settings().max_upload_bytes // (1024 * 1024)
    return render_error(
        413,
        "too_large",
        f"The file is larger than the upload limit of {limit} MB. Split it by period and upload the parts.",
    )


@bp.get("/o/<slug>/submissions")
@requires(Permission.VIEW)
def submissions(org: Organisation) -> str:
    return render_template(
        "benchmarks/submissions.html",
        org=org,
        submissions=ingest.list_submissions(db.session, org),
        can_upload=can(g.role, Permission.UPLOAD),
    )


@bp.get("/o/<slug>/submissions/<int:submission_id>")
@requires(Permission.VIEW)
def submission(org: Organisation, submission_id: int) -> str:
    found = ingest.get_submission(db.session, org, submission_id)
    return render_template(
        "benchmarks/submission.html",
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


# -- public: definitions and templates ---------------------------------------------------------------------


def _definitions_page(org: Organisation | None) -> str:
    return render_template(
        "benchmarks/definitions.html",
        org=org,
        areas=[(title, [m for m in METRICS if m.area == key]) for key, title, _intro in AREAS],
        questions=QUESTIONS,
        direction_text=direction_text,
        templates=_TEMPLATE_LABELS,
        min_cohort=MIN_COHORT,
        suppressed_reason=SUPPRESSED_REASON,
    )


@bp.get("/definitions")
def definitions() -> str:
    return _definitions_page(None)


@bp.get("/o/<slug>/definitions")
@requires(Permission.VIEW)
def org_definitions(org: Organisation) -> str:
    return _definitions_page(org)


@bp.get("/templates/<filename>")
def template_file(filename: str) -> Response:
    make = TEMPLATES.get(filename)
    if make is None:
        raise NotFound("No such template.")
    suffix = filename[filename.rfind(".") :]
    response = Response(make(), mimetype=_CONTENT_TYPES[suffix])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
