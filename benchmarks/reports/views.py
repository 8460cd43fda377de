"""Report pages (history, create, progress, download, delete, regenerate) and the feature's wiring. Thin."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import RadioField, SelectField, SelectMultipleField
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from benchmarks.dashboard.display import DEFAULT_LEVEL, default_window, level_options, window_options
from benchmarks.engine.cohorts import CohortLevel, parse_cohort_param
from benchmarks.engine.positions import list_windows
from benchmarks.engine.windows import Window
from benchmarks.reports import service
from benchmarks.reports.api import send_report_pdf
from benchmarks.reports.jobs import generate_report
from benchmarks.reports.models import Paper, Report
from core import jobs
from core.app import settings_of
from core.clock import utcnow
from core.db import db
from tenants.access import requires
from tenants.models import Organisation
from tenants.roles import Permission, can

bp = Blueprint("reports", __name__, template_folder="templates")
log = logging.getLogger(__name__)


class ReportForm(FlaskForm):
    window = SelectField("Window", validators=[InputRequired()])
    cohorts = SelectMultipleField(
        "Compare with",
        validators=[Length(min=1, max=service.MAX_COHORTS, message="Choose between 1 and 4 cohorts.")],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    paper = RadioField("Paper", choices=[(p.value, p.label) for p in Paper], default=Paper.A4.value)


class ConfirmForm(FlaskForm):
    """A CSRF-protected button (delete, regenerate)."""


def _report_form(org: Organisation) -> ReportForm:
    windows = list_windows(db.session)
    form = ReportForm()
    chosen = default_window(windows, utcnow().date())
    form.window.choices = [(o.value, o.label) for o in window_options(windows, chosen)]
    form.cohorts.choices = [(o.value, o.label) for o in level_options(org, DEFAULT_LEVEL)]
    if not form.is_submitted():
        form.window.data = chosen.code if chosen else None
        form.cohorts.data = [DEFAULT_LEVEL.param]
    return form


@bp.get("/o/<slug>/reports")
@requires(Permission.VIEW)
def history(org: Organisation) -> str:
    return _history_page(org, _report_form(org))


def _history_page(org: Organisation, form: ReportForm) -> str:
    return render_template(
        "reports/history.html",
        org=org,
        form=form,
        reports=service.list_reports(db.session, org),
        can_request=can(g.role, Permission.REPORTS),
        confirm_form=ConfirmForm(),
    )


@bp.post("/o/<slug>/reports")
@requires(Permission.REPORTS)
def create(org: Organisation) -> str | Response:
    form = _report_form(org)
    if not form.validate_on_submit():
        return _history_page(org, form)
    report = service.request_report(
        db.session(),
        org,
        current_user,
        Window.parse(form.window.data),
        [parse_cohort_param(code) for code in form.cohorts.data],
        Paper(form.paper.data),
        settings=settings_of(current_app),
        now=utcnow(),
    )
    jobs.enqueue(db.session(), generate_report, org.id, report.id)
    return redirect(url_for("reports.detail", slug=org.slug, report_id=report.id))


@bp.get("/o/<slug>/reports/<int:report_id>")
@requires(Permission.VIEW)
def detail(org: Organisation, report_id: int) -> str:
    report = service.get_report(db.session, org, report_id)
    return render_template(
        "reports/report.html",
        org=org,
        report=report,
        cohorts=[CohortLevel.parse(code).label for code in report.cohorts],
        window=Window.parse(report.window_code),
        can_request=can(g.role, Permission.REPORTS),
        confirm_form=ConfirmForm(),
    )


@bp.get("/o/<slug>/reports/<int:report_id>/status")
@requires(Permission.VIEW)
def status(org: Organisation, report_id: int) -> Response:
    report = service.get_report(db.session, org, report_id)
    return jsonify(_status(report))


def _status(report: Report) -> dict[str, object]:
    return {
        "id": report.id,
        "status": report.status.value,
        "progress": report.progress,
        "message": report.message,
        "final": report.is_final,
    }


@bp.get("/o/<slug>/reports/<int:report_id>/download")
@requires(Permission.VIEW)
def download(org: Organisation, report_id: int) -> Response:
    return send_report_pdf(org, report_id)


@bp.post("/o/<slug>/reports/<int:report_id>/regenerate")
@requires(Permission.REPORTS)
def regenerate(org: Organisation, report_id: int) -> Response:
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("reports.detail", slug=org.slug, report_id=report_id))
    previous = service.get_report(db.session, org, report_id)
    report = service.regenerate_report(
        db.session(), org, current_user, previous, settings=settings_of(current_app), now=utcnow()
    )
    jobs.enqueue(db.session(), generate_report, org.id, report.id)
    return redirect(url_for("reports.detail", slug=org.slug, report_id=report.id))


@bp.post("/o/<slug>/reports/<int:report_id>/delete")
@requires(Permission.REPORTS)
def delete(org: Organisation, report_id: int) -> Response:
    if ConfirmForm().validate_on_submit():
        report = service.get_report(db.session, org, report_id)
        service.delete_report(
            db.session(), org, current_user, report, storage_root=settings_of(current_app).storage_path
        )
        flash("Report deleted.", "success")
    return redirect(url_for("reports.history", slug=org.slug))
