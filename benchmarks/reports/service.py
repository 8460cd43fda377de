"""Comparison report operations: request, list, get, delete, regenerate, and generate the PDF (the job).

No Flask here: the web page, the API, the CLI and the RQ job call these with explicit arguments.
Generation writes its progress in short transactions of its own, so a page polling the report sees it move.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, selectinload

from benchmarks.engine.cohorts import CohortLevel
from benchmarks.engine.positions import list_windows
from benchmarks.engine.windows import Window
from benchmarks.reports.document import build_document
from benchmarks.reports.models import Paper, Report, ReportStatus
from benchmarks.reports.render import RendererMissing, check_renderer, render_html, render_pdf
from core.db import for_org, transaction
from core.errors import Conflict, InvalidInput, NotFound, PeerbenchError
from core.settings import Settings
from core.storage import resolve, store_bytes
from tenants import audit
from tenants.branding import report_branding
from tenants.models import Organisation, User
from tenants.plans import Feature, check_entitlement

MAX_COHORTS = 4
REPORT_REQUESTED = "report.requested"
REPORT_DOWNLOADED = "report.downloaded"
REPORT_DELETED = "report.deleted"
Progress = Callable[[float, str], None]


class ReportsUnavailable(PeerbenchError):
    status, code = 503, "unavailable"


def request_report(
    session: Session,
    org: Organisation,
    user: User | None,
    window: Window,
    levels: list[CohortLevel],
    paper: Paper = Paper.A4,
    *,
    settings: Settings,
    now: datetime,
) -> Report:
    """Record a queued report; the caller commits and enqueues `jobs.generate_report`."""
    check_entitlement(org, Feature.PDF_REPORTS, settings=settings, now=now)
    try:
        check_renderer()  # refuse now, with the packages to install, rather than fail later in a job
    except RendererMissing as error:
        raise ReportsUnavailable(str(error)) from None
    levels = list(dict.fromkeys(levels))  # the order asked for, each cohort once
    if not 1 <= len(levels) <= MAX_COHORTS:
        raise InvalidInput(
            f"Choose between 1 and {MAX_COHORTS} cohorts.", [{"field": "cohorts", "message": "1 to 4"}]
        )
    if window not in list_windows(session):
        raise InvalidInput(
            f"There are no benchmarks for {window.label} yet.",
            [{"field": "window", "message": "no published benchmarks"}],
        )
    report = Report(
        org_id=org.id,
        window_code=window.code,
        cohorts=[level.code for level in levels],
        paper=paper,
        status=ReportStatus.QUEUED,
        progress=0.0,
        message="Waiting for a worker",
        created_by_id=user.id if user else None,
        created_at=now,
    )
    session.add(report)
    session.flush()
    audit.record(
        session, REPORT_REQUESTED, org_id=org.id, user=user, report_id=report.id, window=window.code,
        cohorts=report.cohorts, paper=paper.value,
    )  # fmt: skip
    return report


def regenerate_report(
    session: Session,
    org: Organisation,
    user: User | None,
    report: Report,
    *,
    settings: Settings,
    now: datetime,
) -> Report:
    """A new report with the same window, cohorts and paper, from today's benchmarks."""
    return request_report(
        session,
        org,
        user,
        Window.parse(report.window_code),
        [CohortLevel.parse(code) for code in report.cohorts],
        report.paper,
        settings=settings,
        now=now,
    )


def list_reports(session: Session, org: Organisation) -> list[Report]:
    query = for_org(Report, org.id).options(selectinload(Report.created_by)).order_by(Report.id.desc())
    return list(session.scalars(query))


def get_report(session: Session, org: Organisation, report_id: int) -> Report:
    report = session.scalar(
        for_org(Report, org.id).where(Report.id == report_id).options(selectinload(Report.created_by))
    )
    if report is None:
        raise NotFound("No such report.")
    return report


def report_file(
    session: Session, org: Organisation, user: User | None, report: Report, *, storage_root: Path
) -> Path:
    """The stored PDF of a ready report (the download is audited); Conflict while it is not ready."""
    if not report.is_ready or not report.storage_path:
        progress = f" ({round(report.progress * 100)}%)" if report.status is ReportStatus.RENDERING else ""
        raise Conflict(
            f"The report is not ready: it is {report.status.value}{progress}.",
            [{"status": report.status.value, "progress": report.progress}],
        )
    path = resolve(storage_root, report.storage_path)
    if not path.is_file():
        raise Conflict(
            "The PDF file is missing from storage: regenerate the report.", [{"status": "missing"}]
        )
    audit.record(session, REPORT_DOWNLOADED, org_id=org.id, user=user, report_id=report.id)
    return path


def delete_report(
    session: Session, org: Organisation, user: User | None, report: Report, *, storage_root: Path
) -> None:
    stored = report.storage_path
    session.delete(report)
    session.flush()
    audit.record(session, REPORT_DELETED, org_id=org.id, user=user, report_id=report.id)
    if stored:
        with contextlib.suppress(OSError, ValueError):  # an orphaned file costs disk space only
            resolve(storage_root, stored).unlink(missing_ok=True)


def report_filename(org: Organisation, report: Report) -> str:
    return f"peerbench-{org.slug}-{report.window_code}-{report.id}.pdf"


# -- generation -------------------------------------------------------------------------------------------


def generate_report(
    org_id: int,
    report_id: int,
    *,
    storage_root: Path,
    settings: Settings,
    now: Callable[[], datetime],
    progress: Progress | None = None,
) -> ReportStatus:
    """Render a queued report to PDF and store it; a ready report is left as it is (idempotent)."""
    with transaction(org_id) as session:
        report = _load(session, org_id, report_id)
        if report.is_ready:
            return report.status
        report.status, report.progress, report.message = ReportStatus.RENDERING, 0.02, "Starting"
        report.started_at = now()
    step = _progress_writer(org_id, report_id, progress)
    with transaction(org_id) as session:
        report = _load(session, org_id, report_id)
        org = session.get(Organisation, org_id)
        assert org is not None
        check_entitlement(org, Feature.PDF_REPORTS, settings=settings, now=now())
        branding = report_branding(org, storage_root=storage_root, settings=settings, now=now())
        document = build_document(
            session,
            org,
            Window.parse(report.window_code),
            [CohortLevel.parse(code) for code in report.cohorts],
            branding=branding,
            paper_size=Paper(report.paper).css_size,
            now=now(),
            progress=step,
        )
    step(0.5, "Laying out the pages")
    pdf = render_pdf(render_html(document))
    step(0.95, "Storing the PDF")
    stored = store_bytes(storage_root, "reports", pdf.data, suffix=".pdf")
    with transaction(org_id) as session:
        report = _load(session, org_id, report_id)
        report.status, report.progress, report.message = ReportStatus.READY, 1.0, ""
        report.storage_path, report.size_bytes = stored.relative, stored.size
        report.checksum = hashlib.sha256(pdf.data).hexdigest()
        report.pages, report.brand_name = pdf.pages, branding.name
        report.finished_at = now()
    if progress is not None:
        progress(1.0, "Ready")
    return ReportStatus.READY


def mark_failed(org_id: int, report_id: int, message: str) -> None:
    """Record why rendering stopped; requesting the report again (regenerate) starts afresh."""
    with transaction(org_id) as session:
        report = session.scalar(for_org(Report, org_id).where(Report.id == report_id))
        if report is not None and not report.is_ready:
            report.status, report.message = ReportStatus.FAILED, message[:300]


def _load(session: Session, org_id: int, report_id: int) -> Report:
    report = session.scalar(for_org(Report, org_id).where(Report.id == report_id))
    if report is None:
        raise NotFound(f"report {report_id} of organisation {org_id} does not exist")
    return report


def _progress_writer(org_id: int, report_id: int, also: Progress | None) -> Progress:
    def step(fraction: float, message: str) -> None:
        fraction = round(max(0.0, min(0.99, fraction)), 3)
        with transaction(org_id) as session:
            report = session.scalar(for_org(Report, org_id).where(Report.id == report_id))
            if report is not None:
                report.progress, report.message = fraction, message[:300]
        if also is not None:
            also(fraction, message)

    return step
