"""The benchmarks feature's wiring, one table of contents: every capability's pages, API, CLI and tabs.

Each capability package (metrics, uploads, engine, experience, dashboard, polls, reports, demo) owns its
blueprints; this module alone registers them, so no package imports another's views to be reachable."""

from __future__ import annotations

import logging

from flask import Flask
from flask.blueprints import Blueprint
from flask_smorest import Blueprint as ApiBlueprint

from benchmarks.dashboard import api as dashboard_api
from benchmarks.dashboard import views as dashboard_views
from benchmarks.demo.load import load_demo_population
from benchmarks.engine import cli as engine_cli
from benchmarks.experience import api as experience_api
from benchmarks.experience import views as experience_views
from benchmarks.metrics import api as metrics_api
from benchmarks.polls import api as polls_api
from benchmarks.polls import public as polls_public
from benchmarks.polls import views as polls_views
from benchmarks.reports import api as reports_api
from benchmarks.reports import views as reports_views
from benchmarks.reports.cli import report_command
from benchmarks.reports.render import RendererMissing, check_renderer
from benchmarks.uploads import api as uploads_api
from benchmarks.uploads import cli as uploads_cli
from benchmarks.uploads import views as uploads_views
from core.app import api_of, register_demo_loader
from core.extensions import csrf
from tenants.models import Organisation
from tenants.nav import register_org_nav
from tenants.roles import Permission

log = logging.getLogger(__name__)

PAGES: tuple[Blueprint, ...] = (
    uploads_views.bp,
    dashboard_views.bp,
    experience_views.bp,
    polls_views.bp,
    polls_public.bp,
    reports_views.bp,
)
APIS: tuple[ApiBlueprint, ...] = (
    metrics_api.blp,
    uploads_api.blp,
    dashboard_api.blp,
    experience_api.blp,
    polls_api.blp,
    reports_api.blp,
)
COMMANDS = (*uploads_cli.COMMANDS, *engine_cli.COMMANDS, report_command)


def _is_consultancy(org: Organisation) -> bool:
    return org.is_consultancy


# the organisation tabs: endpoint, label, the permission that shows it, order, and when it applies
TABS = (
    ("dashboard.dashboard", "Dashboard", Permission.VIEW, 10, None),
    ("experience.experience", "Experience", Permission.VIEW, 15, None),
    ("uploads.upload", "Upload", Permission.UPLOAD, 20, None),
    ("uploads.submissions", "Submissions", Permission.VIEW, 25, None),
    ("dashboard.portfolio", "Portfolio", Permission.VIEW, 30, _is_consultancy),
    ("polls.poll_list", "Polls", Permission.VIEW, 40, None),
    ("reports.history", "Reports", Permission.VIEW, 40, None),
    ("dashboard.org_definitions", "Definitions", Permission.VIEW, 60, None),
)


def init_app(app: Flask) -> None:
    for blueprint in PAGES:
        app.register_blueprint(blueprint)
    for api_blueprint in APIS:
        csrf.exempt(api_blueprint)  # the API ignores cookies: bearer tokens only
        api_of(app).register_blueprint(api_blueprint)
    for command in COMMANDS:
        app.cli.add_command(command)
    for endpoint, label, permission, order, when in TABS:
        register_org_nav(app, endpoint, label, permission, order=order, when=when)
    register_demo_loader(app, load_demo_population)
    try:
        check_renderer()
    except RendererMissing as error:
        log.error("%s Reports will be refused until then.", error)
