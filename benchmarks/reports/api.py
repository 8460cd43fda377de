"""HTTP API v1, comparison reports: request, status and progress, the PDF, delete, regenerate. Thin."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, send_file
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from benchmarks.reports import service
from benchmarks.reports.jobs import generate_report
from benchmarks.reports.models import Report
from benchmarks.reports.schemas import ReportRequestSchema, ReportSchema
from core import jobs
from core.app import settings_of
from core.clock import utcnow
from core.db import db
from core.openapi import id_links
from tenants.access import requires
from tenants.models import Organisation
from tenants.roles import Permission

blp = Blueprint("reports_api", __name__, url_prefix="/api/v1", description="Comparison reports (PDF)")


def _queued(report: Report) -> Report:
    jobs.enqueue(db.session(), generate_report, report.org_id, report.id)
    return report


_REPORT = "/api/v1/orgs/{slug}/reports/{report_id}"
_REPORT_LINKS = {
    "GetReport": ("get", _REPORT),
    "ReportPdf": ("get", _REPORT + "/pdf"),
    "RegenerateReport": ("post", _REPORT + "/regenerate"),
    "DeleteReport": ("delete", _REPORT),
}


@blp.route("/orgs/<slug>/reports")
class Reports(MethodView):
    @requires(Permission.REPORTS)
    @blp.arguments(ReportRequestSchema)
    @blp.response(202, ReportSchema)
    @blp.doc(**id_links(202, "report_id", _REPORT_LINKS))
    @blp.alt_response(402, description="The plan does not include PDF reports")
    def post(self, data: dict[str, Any], org: Organisation) -> Report:
        """Request a comparison PDF for a window and one or more cohorts; poll its status, then fetch /pdf."""
        report = service.request_report(
            db.session(),
            org,
            current_user,
            data["window"],
            data["cohorts"],
            data["paper"],
            settings=settings_of(current_app),
            now=utcnow(),
        )
        return _queued(report)

    @requires(Permission.VIEW)
    @blp.response(200, ReportSchema(many=True))
    def get(self, org: Organisation) -> list[Report]:
        """The organisation's reports, newest first."""
        return service.list_reports(db.session(), org)


@blp.route("/orgs/<slug>/reports/<int:report_id>")
class ReportDetail(MethodView):
    @requires(Permission.VIEW)
    @blp.response(200, ReportSchema)
    def get(self, org: Organisation, report_id: int) -> Report:
        """Status and progress (0..1) of one report."""
        return service.get_report(db.session(), org, report_id)

    @requires(Permission.REPORTS)
    @blp.response(204)
    def delete(self, org: Organisation, report_id: int) -> None:
        """Delete a report and its PDF."""
        report = service.get_report(db.session(), org, report_id)
        service.delete_report(
            db.session(), org, current_user, report, storage_root=settings_of(current_app).storage_path
        )


@blp.route("/orgs/<slug>/reports/<int:report_id>/regenerate")
class ReportRegenerate(MethodView):
    @requires(Permission.REPORTS)
    @blp.response(202, ReportSchema)
    def post(self, org: Organisation, report_id: int) -> Report:
        """A new report with the same window, cohorts and paper, from the current benchmarks."""
        previous = service.get_report(db.session(), org, report_id)
        report = service.regenerate_report(
            db.session(), org, current_user, previous, settings=settings_of(current_app), now=utcnow()
        )
        return _queued(report)


@blp.route("/orgs/<slug>/reports/<int:report_id>/pdf")
class ReportPdf(MethodView):
    @requires(Permission.VIEW)
    @blp.response(200, content_type="application/pdf", description="The PDF")
    @blp.alt_response(409, description="The report is not ready yet")
    def get(self, org: Organisation, report_id: int) -> Response:
        """The PDF of a ready report (409 while it is queued or rendering)."""
        return send_report_pdf(org, report_id)


def send_report_pdf(org: Organisation, report_id: int) -> Response:
    """The stored PDF as a download, for the API and the web page alike (the download is audited)."""
    report = service.get_report(db.session(), org, report_id)
    path = service.report_file(
        db.session(), org, current_user, report, storage_root=settings_of(current_app).storage_path
    )
    return send_file(
        path,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=service.report_filename(org, report),
    )
