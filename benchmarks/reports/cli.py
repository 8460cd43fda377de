"""CLI: `peerbench report --org SLUG --window W [--cohort industry --cohort industry,size] -o file.pdf`."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from benchmarks.engine.cohorts import CohortLevel, parse_cohort_param
from benchmarks.engine.windows import Window
from benchmarks.reports import service
from benchmarks.reports.models import Paper, ReportStatus
from core.app import settings_of
from core.clock import utcnow
from core.db import transaction
from core.errors import PeerbenchError
from core.progress import progress_bar
from tenants.cli import org_id_for_slug
from tenants.service import find_organisation_by_slug


def _window(_ctx: click.Context, _param: click.Parameter, value: str) -> Window:
    try:
        return Window.parse(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _cohorts(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> list[CohortLevel]:
    try:
        return [parse_cohort_param(v) for v in values] or [parse_cohort_param("industry")]
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.command("report")
@click.option("--org", "org_slug", required=True, help="Slug of the organisation the report is about.")
@click.option("--window", required=True, callback=_window, help="2026-Q3 or T12M-2026-09.")
@click.option(
    "--cohort",
    "cohorts",
    multiple=True,
    callback=_cohorts,
    help="Cohort to compare with, as the API names it (industry; industry,size; all). Repeatable; "
    "default industry.",
)
@click.option("--paper", type=click.Choice([p.value for p in Paper]), default="a4", show_default=True)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="PDF file to write.",
)
@with_appcontext
def report_command(
    org_slug: str, window: Window, cohorts: list[CohortLevel], paper: str, output: Path
) -> None:
    """Render a comparison PDF now (kept in the organisation's report history too)."""
    settings = settings_of(current_app)
    try:
        org_id = org_id_for_slug(org_slug)
        with transaction(org_id) as session:
            org = find_organisation_by_slug(session, org_slug)
            report = service.request_report(
                session, org, None, window, cohorts, Paper(paper), settings=settings, now=utcnow()
            )
            report_id = report.id
        with progress_bar(28) as bar:
            task = bar.add_task(f"Report {report_id}", total=1.0)
            try:
                status = service.generate_report(
                    org_id,
                    report_id,
                    storage_root=settings.storage_path,
                    settings=settings,
                    now=utcnow,
                    progress=lambda fraction, message: bar.update(
                        task, completed=fraction, description=message or f"Report {report_id}"
                    ),
                )
            except Exception as error:
                service.mark_failed(org_id, report_id, getattr(error, "message", type(error).__name__))
                raise
    except PeerbenchError as error:
        raise click.ClickException(error.message) from None
    if status is not ReportStatus.READY:
        raise click.ClickException(f"Report {report_id} is {status.value}.")
    with transaction(org_id) as session:
        org = find_organisation_by_slug(session, org_slug)
        report = service.get_report(session, org, report_id)
        path = service.report_file(session, org, None, report, storage_root=settings.storage_path)
        pages = report.pages
    shutil.copyfile(path, output)
    click.secho(f"Wrote {output} ({pages} pages; report {report_id} is in the history).", fg="green")
