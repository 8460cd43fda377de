"""The benchmarks feature's wiring: API, pages, CLI commands, navigation and the demo population."""

from __future__ import annotations

import importlib
import importlib.util

from flask import Flask

from core.app import api_of, register_demo_loader
from core.extensions import csrf
from tenants.roles import Permission
from tenants.web import register_org_nav


def init_app(app: Flask) -> None:
    from benchmarks import api, cli, experience_api, experience_views

    for blueprint in (api.blp, experience_api.blp):
        csrf.exempt(blueprint)
        api_of(app).register_blueprint(blueprint)
    app.register_blueprint(experience_views.bp)
    register_org_nav(app, "experience.experience", "Experience", Permission.VIEW, order=15)
    for command in cli.COMMANDS:
        app.cli.add_command(command)
    if importlib.util.find_spec("benchmarks.views"):
        importlib.import_module("benchmarks.views").init_views(app)
    if importlib.util.find_spec("benchmarks.polls.views"):
        importlib.import_module("benchmarks.polls.views").init_polls(app)
    if importlib.util.find_spec("benchmarks.reports.views"):
        importlib.import_module("benchmarks.reports.views").init_reports(app)
    if importlib.util.find_spec("benchmarks.demo"):
        register_demo_loader(app, importlib.import_module("benchmarks.demo").load_demo_population)
