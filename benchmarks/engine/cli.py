"""CLI: `peerbench recompute`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from benchmarks.engine.recompute import recompute_benchmarks
from core.clock import utcnow
from core.progress import progress_bar


def recompute_with_progress() -> None:
    """Recompute every benchmark now, showing a bar and then what was written."""
    with progress_bar() as bar:
        task = bar.add_task("Recomputing benchmarks", total=None)
        summary = recompute_benchmarks(now=utcnow())
        bar.update(task, total=1, completed=1)
    click.echo(
        f"Benchmarks: {summary.cells} cohort cells and {summary.positions} positions over "
        f"{len(summary.windows)} windows and {summary.organisations} organisations."
    )


@click.command("recompute")
@with_appcontext
def recompute() -> None:
    """Recompute every benchmark snapshot and position now."""
    recompute_with_progress()


COMMANDS = (recompute,)
