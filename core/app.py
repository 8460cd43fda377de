"""create_app(): the application shell. It reads as a table of contents."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from core import jobs
from core.db import db
from core.extensions import csrf, limiter, login_manager
from core.openapi import PeerbenchApi
from core.schema import check_migrated
from core.settings import Settings, load_settings
from core.web import register_web

# Feature packages are named, not imported, here: core must not depend on them (one-way layers). Each
# module has `init_app(app)` registering its blueprints, API, CLI commands and demo loaders.
FEATURES = ("tenants.web", "benchmarks.web")

DemoLoader = Callable[[Flask], list[str]]


def create_app(config: Mapping[str, Any] | None = None, *, check_schema: bool = True) -> Flask:
    """Build the app from the environment, then `config` overrides (Settings field names, lower case)."""
    settings = load_settings()
    if config:
        settings = settings.with_overrides(config)
    app = Flask("core", instance_path=str(settings.instance_path), instance_relative_config=False)
    _configure(app, settings)
    _register_database(app, settings, check_schema=check_schema)
    _register_jobs(settings)
    _register_extensions(app, settings)
    register_web(app)
    _register_features(app)
    return app


def settings_of(app: Flask) -> Settings:
    return app.extensions["peerbench.settings"]


def register_demo_loader(app: Flask, loader: DemoLoader) -> None:
    app.extensions.setdefault("peerbench.demo_loaders", []).append(loader)


def _configure(app: Flask, settings: Settings) -> None:
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    settings.storage_path.mkdir(parents=True, exist_ok=True)
    app.extensions["peerbench.settings"] = settings
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes + 64 * 1024,  # the file plus its multipart envelope
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="peerbench_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        REMEMBER_COOKIE_SECURE=settings.cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        RATELIMIT_ENABLED=settings.ratelimit_enabled,
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        RATELIMIT_KEY_PREFIX="peerbench",
        API_TITLE="Peerbench API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_REDOC_PATH="docs",
        OPENAPI_REDOC_URL=None,  # no CDN: the readable docs page is our own (see tenants.web)
        API_SPEC_OPTIONS={
            "components": {
                "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            },
            "security": [{"bearerAuth": []}],
            "info": {"description": "Peer benchmarks for IT service desks. See docs/api.md."},
        },
    )
    if settings.proxy_hops:
        # behind N reverse proxies: trust their X-Forwarded-* so per-IP limits and the audit see clients
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    if not app.debug:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        for noisy in ("alembic", "weasyprint", "fontTools"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def _register_database(app: Flask, settings: Settings, *, check_schema: bool) -> None:
    db.configure(settings.database_url)
    assert db.engine is not None
    if check_schema:
        check_migrated(db.engine)


def _register_jobs(settings: Settings) -> None:
    jobs.configure(
        settings.redis_url, timeout_seconds=settings.job_timeout_seconds, retries=settings.job_retries
    )


def _register_extensions(app: Flask, settings: Settings) -> None:
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    app.extensions["peerbench.api"] = PeerbenchApi(app)  # one per app: its OpenAPI document is this app's


def api_of(app: Flask) -> PeerbenchApi:
    return app.extensions["peerbench.api"]


def _register_features(app: Flask) -> None:
    for name in FEATURES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # a feature package not built yet
        module.init_app(app)
