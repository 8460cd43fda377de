"""CLI: `peerbench recompute [--all | --org SLUG]`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from benchmarks.engine.incremental import recompute_organisation
from benchmarks.engine.jobs import months_between
from benchmarks.engine.recompute import RecomputeSummary, recompute_benchmarks
from core.clock import utcnow
from core.db import transaction
from core.progress import progress_bar
from tenants.service import find_organisation_by_slug


def recompute_with_progress() -> None:
    """Recompute every benchmark now, showing a bar and then what was written."""
    with progress_bar() as bar:
        task = bar.add_task("Recomputing benchmarks", total=None)
        summary = recompute_benchmarks(now=utcnow())
        bar.update(task, total=1, completed=1)
    _echo(summary)


def recompute_upload_with_progress(org_id: int, first_period: str, last_period: str) -> None:
    """Recompute what one organisation's upload of these months changed (the incremental path)."""
    with progress_bar() as bar:
        task = bar.add_task("Recomputing the benchmarks it changed", total=None)
        summary = recompute_organisation(org_id, months_between(first_period, last_period), now=utcnow())
        bar.update(task, total=1, completed=1)
    click.echo(f"Benchmarks: {summary.cells} cohort cells updated over {len(summary.windows)} windows.")


def _echo(summary: RecomputeSummary) -> None:
    click.echo(
        f"Benchmarks: {summary.cells} cohort cells and {summary.positions} positions over "
        f"{len(summary.windows)} windows and {summary.organisations} organisations."
    )


@click.command("recompute")
@click.option("--all", "everything", is_flag=True, help="Recompute every window from every value (default).")
@click.option(
    "--org",
    "org_slug",
    help="Only what this organisation's values change, in every window it has data in (incremental).",
)
@with_appcontext
def recompute(everything: bool, org_slug: str | None) -> None:
    """Recompute benchmark snapshots: all of them (--all, the default), or one organisation's part."""
    if everything and org_slug:
        raise click.UsageError("Give --all or --org, not both.")
    if org_slug is None:
        recompute_with_progress()
        return
    with transaction() as session:
        org = find_organisation_by_slug(session, org_slug)
        if org is None:
            raise click.ClickException(f"No organisation with the slug {org_slug!r}.")
        org_id = org.id
    with progress_bar() as bar:
        task = bar.add_task(f"Recomputing {org_slug}'s part of the benchmarks", total=None)
        summary = recompute_organisation(org_id, None, now=utcnow())
        bar.update(task, total=1, completed=1)
    click.echo(f"Benchmarks: {summary.cells} cohort cells updated over {len(summary.windows)} windows.")


COMMANDS = (recompute,)
