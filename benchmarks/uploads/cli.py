"""CLI: `peerbench import FILE --org SLUG [--kind survey]`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from benchmarks.engine.cli import recompute_upload_with_progress
from benchmarks.uploads import ingest
from benchmarks.uploads.models import SubmissionKind, SubmissionStatus
from core.app import settings_of
from core.clock import utcnow
from core.db import transaction
from core.errors import PeerbenchError
from core.progress import progress_bar
from tenants.cli import org_id_for_slug
from tenants.service import find_organisation_by_slug


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "org_slug", required=True, help="Slug of the organisation the data belongs to.")
@click.option(
    "--kind", type=click.Choice([k.value for k in SubmissionKind]), default="metrics", show_default=True
)
@click.option("--no-recompute", is_flag=True, help="Skip the benchmark recompute after an accepted file.")
@with_appcontext
def import_file(file: Path, org_slug: str, kind: str, no_recompute: bool) -> None:
    """Upload a metrics or survey file for an organisation, as the web and API do."""
    settings = settings_of(current_app)
    try:
        org_id = org_id_for_slug(org_slug)
        with transaction(org_id) as session, file.open("rb") as stream:
            org = find_organisation_by_slug(session, org_slug)
            submission = ingest.receive_submission(
                session,
                org,
                None,
                SubmissionKind(kind),
                stream,
                file.name,
                storage_root=settings.storage_path,
                max_bytes=settings.max_upload_bytes,
                now=utcnow(),
            )
            submission_id, status = submission.id, submission.status
    except PeerbenchError as error:
        raise click.ClickException(error.message) from None
    if status in (SubmissionStatus.ACCEPTED, SubmissionStatus.REJECTED):
        click.echo(f"This file was already uploaded as submission {submission_id} ({status}).")
    else:
        with progress_bar() as bar:
            task = bar.add_task(f"Validating {file.name}", total=1.0)
            status = ingest.process_submission(
                org_id,
                submission_id,
                storage_root=settings.storage_path,
                today=utcnow().date(),
                now=utcnow,
                progress=lambda fraction: bar.update(task, completed=fraction),
            )
            bar.update(task, completed=1.0)
    with transaction(org_id) as session:
        submission = ingest.get_submission(
            session, find_organisation_by_slug(session, org_slug), submission_id
        )
        if submission.status == SubmissionStatus.REJECTED:
            click.secho(
                f"Rejected: {submission.error_count} problem(s). Nothing was stored.", fg="red", err=True
            )
            for error in submission.errors[:50]:
                where = f"row {error['row']}" if error["row"] else "file"
                column = f", column {error['column']}" if error["column"] else ""
                value = f", value {error['value']!r}" if error["value"] is not None else ""
                click.echo(f"  {where}{column}{value}: {error['reason']}", err=True)
            raise SystemExit(1)
        periods = (submission.first_period, submission.last_period)
        click.secho(
            f"Accepted submission {submission.id}: {submission.rows_total} rows, "
            f"{submission.values_added} new values, {submission.values_replaced} replaced.",
            fg="green",
        )
    if not no_recompute and periods[0] and periods[1]:
        recompute_upload_with_progress(org_id, periods[0], periods[1])


COMMANDS = (import_file,)
