"""The tenants feature's wiring: blueprints, API, access, navigation, CLI, demo login, refusal auditing."""

from __future__ import annotations

from flask import Flask, current_app, g, render_template, request
from flask_login import current_user

from core.app import api_of, register_demo_loader
from core.db import transaction
from core.extensions import csrf
from core.web import refused
from tenants import api, audit, cli, demo, org_views  # noqa: F401 - org_views adds its routes to bp
from tenants.access import init_access
from tenants.billing import api as billing_api
from tenants.billing import views as billing_views
from tenants.nav import banners, org_nav, register_org_nav
from tenants.roles import Permission
from tenants.views import bp


def init_app(app: Flask) -> None:
    init_access(app)
    app.register_blueprint(bp)
    for blueprint in (api.blp, billing_api.blp):
        csrf.exempt(blueprint)
        api_of(app).register_blueprint(blueprint)
    billing_views.init_billing(app)
    app.add_url_rule("/api/docs", "tenants.api_docs", _api_docs)
    for command in cli.COMMANDS:
        app.cli.add_command(command)
    register_demo_loader(app, demo.load_demo_login)
    for endpoint, label, permission, order, when in (
        ("tenants.members", "Members", Permission.VIEW, 80, None),
        ("tenants.clients", "Clients", Permission.VIEW, 70, lambda org: org.is_consultancy),
        ("tenants.api_tokens", "API tokens", Permission.TOKENS, 85, None),
        ("tenants.org_settings", "Settings", Permission.MANAGE_ORG, 90, None),
        ("tenants.audit_log", "Audit log", Permission.VIEW_AUDIT, 95, None),
    ):
        register_org_nav(app, endpoint, label, permission, order=order, when=when)
    app.context_processor(lambda: {"org_nav": org_nav(app), "page_banners": banners(app)})
    refused.connect(_audit_refusal, weak=False)


def _api_docs() -> str:
    spec = api_of(current_app).spec.to_dict()

    def openapi_paths() -> list[tuple[str, list[tuple[str, dict]]]]:
        return [(path, sorted(item.items())) for path, item in sorted(spec.get("paths", {}).items())]

    return render_template("tenants/api_docs.html", openapi_paths=openapi_paths)


def _audit_refusal(_sender: object, status: int, path: str, reason: str) -> None:
    """Every 401/403 is in the audit log, in its own transaction (the request's was rolled back)."""
    org = g.get("org")
    user = current_user if current_user and current_user.is_authenticated else None
    with transaction(org.id if org else None) as session:
        audit.record(
            session,
            audit.ACCESS_REFUSED,
            org_id=org.id if org else None,
            user=user,
            ip=request.remote_addr,
            status=status,
            path=path[:200],
            reason=reason[:200],
        )
