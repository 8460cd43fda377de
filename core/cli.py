"""The `peerbench` console script: a Flask CLI group over create_app, plus commands that run before an app
can exist (`db upgrade`, `demo`). Feature packages add their commands (orgs, users, tokens, import, ...)."""

from __future__ import annotations

import functools
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo
from werkzeug.serving import run_simple

from core.app import create_app, settings_of
from core.db import db
from core.errors import NotMigrated
from core.schema import check_migrated, current_revision, head_revision, upgrade
from core.settings import load_settings


def _cli_app() -> Flask:
    # the schema is checked when a command runs, not when commands are listed: `peerbench --help` and every
    # `--help` work on a fresh checkout, before `peerbench db upgrade`
    app = create_app(check_schema=False)
    app.cli.add_command(worker)
    _check_schema_first(app.cli)
    return app


def _check_schema_first(command: click.Command) -> None:
    """Make every command of the app's group refuse (exit 2, naming the fix) an un-migrated database."""
    if isinstance(command, click.Group):
        for subcommand in command.commands.values():
            _check_schema_first(subcommand)
        return
    callback = command.callback
    if callback is None or getattr(callback, "checks_schema", False):
        return

    @functools.wraps(callback)
    def checked(*args: Any, **kwargs: Any) -> Any:
        click.get_current_context().ensure_object(ScriptInfo).load_app()  # `run` loads it in its callback
        assert db.engine is not None
        try:
            check_migrated(db.engine)
        except NotMigrated as error:
            click.secho(str(error), fg="red", err=True)
            raise SystemExit(2) from None
        return callback(*args, **kwargs)

    checked.checks_schema = True  # type: ignore[attr-defined]
    command.callback = checked


main = FlaskGroup(
    create_app=_cli_app,
    add_default_commands=True,
    add_version_option=False,
    help="Peerbench: peer benchmarks for IT service desks.",
)


@click.group("db")
def db_group() -> None:
    """Database schema commands."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema to the latest revision."""
    settings = load_settings()
    upgrade(settings.migrations_database_url, settings.database_url)
    click.echo(f"Database is at revision {head_revision()}.")


@db_group.command("current")
def db_current() -> None:
    """Print the database's schema revision and the code's."""
    from core.db import make_engine

    settings = load_settings()
    engine = make_engine(settings.database_url)
    click.echo(f"database: {current_revision(engine)}  code: {head_revision()}")
    engine.dispose()


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Load the demo data and exit (used by tests and CI).")
def demo(host: str, port: int, no_serve: bool) -> None:
    """Create the database, load a realistic demo population and serve Peerbench locally."""
    settings = load_settings()
    upgrade(settings.migrations_database_url, settings.database_url)
    # the demo is served over plain http on loopback, where a Secure cookie would never come back
    app = create_app({"cookie_secure": False})
    lines: list[str] = []
    with app.app_context():
        for loader in app.extensions.get("peerbench.demo_loaders", []):
            lines.extend(loader(app))
    click.echo("")
    for line in lines:
        click.secho(line, fg="green", bold=line.startswith("  "))
    if no_serve:
        return
    click.secho(f"\nPeerbench is running on http://{host}:{port}/  (Ctrl+C to stop)\n", bold=True)
    # app.run() is ignored inside Flask's own CLI, so serve with werkzeug directly
    run_simple(host, port, app, threaded=True, use_reloader=False)


main.add_command(db_group)
main.add_command(demo)
_check_schema_first(main.commands["run"])  # serving an un-migrated database would answer 500 to every page


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker for background jobs (needs REDIS_URL)."""
    from rq import Worker

    from core import jobs

    settings = settings_of(current_app)
    if not settings.redis_url:
        raise click.ClickException("REDIS_URL is not set: without it jobs run in-process and need no worker.")
    worker = Worker([jobs.QUEUE_NAME], connection=jobs.runner.redis())
    worker.work(burst=burst, with_scheduler=True)
