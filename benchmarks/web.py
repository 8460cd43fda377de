"""The benchmarks feature's wiring: API, pages, CLI commands, navigation and the demo population."""

from __future__ import annotations

import importlib
import importlib.util

from flask import Flask

from core.app import api_of, register_demo_loader
from core.extensions import csrf


def init_app(app: Flask) -> None:
    from benchmarks import api, cli

    csrf.exempt(api.blp)
    api_of(app).register_blueprint(api.blp)
    for command in cli.COMMANDS:
        app.cli.add_command(command)
    if importlib.util.find_spec("benchmarks.views"):
        importlib.import_module("benchmarks.views").init_views(app)
    if importlib.util.find_spec("benchmarks.demo"):
        register_demo_loader(app, importlib.import_module("benchmarks.demo").load_demo_population)
