"""The tenants feature's wiring: blueprints, API, access, navigation, CLI, demo login, refusal auditing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, render_template, request
from flask_login import current_user

from core.app import api_of, register_demo_loader
from core.extensions import csrf
from core.web import refused
from tenants import audit
from tenants.models import Organisation
from tenants.roles import PERMISSIONS, Permission, Role


@dataclass(frozen=True)
class NavEntry:
    endpoint: str
    label: str
    permission: Permission
    order: int
    when: Callable[[Organisation], bool] | None = None


def register_org_nav(
    app: Flask,
    endpoint: str,
    label: str,
    permission: Permission,
    *,
    order: int,
    when: Callable[[Organisation], bool] | None = None,
) -> None:
    """Add a tab to every organisation's navigation (shown to roles holding `permission`)."""
    app.extensions.setdefault("peerbench.org_nav", []).append(
        NavEntry(endpoint, label, permission, order, when)
    )


BannerProvider = Callable[[Organisation], list[dict[str, str]]]


def register_banner(app: Flask, provider: BannerProvider) -> None:
    app.extensions.setdefault("peerbench.banners", []).append(provider)


def init_app(app: Flask) -> None:
    from tenants import api, billing_api, billing_views, cli, demo, org_views  # noqa: F401 - registers routes
    from tenants.access import init_access
    from tenants.views import bp

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
    app.context_processor(lambda: {"org_nav": _org_nav(app), "page_banners": _banners(app)})
    refused.connect(_audit_refusal, weak=False)


def _org_nav(app: Flask) -> Callable[[Organisation, Role | None], list[tuple[str, str]]]:
    def entries(org: Organisation, role: Role | None) -> list[tuple[str, str]]:
        allowed = PERMISSIONS[role] if role else frozenset()
        nav = sorted(app.extensions.get("peerbench.org_nav", []), key=lambda e: e.order)
        return [
            (e.endpoint, e.label) for e in nav if e.permission in allowed and (e.when is None or e.when(org))
        ]

    return entries


def _banners(app: Flask) -> list[dict[str, str]]:
    from flask import g

    org = g.get("org")
    if org is None:
        return []
    return [banner for provider in app.extensions.get("peerbench.banners", []) for banner in provider(org)]


def _api_docs() -> str:
    from flask import current_app

    spec = api_of(current_app).spec.to_dict()

    def openapi_paths() -> list[tuple[str, list[tuple[str, dict]]]]:
        return [(path, sorted(item.items())) for path, item in sorted(spec.get("paths", {}).items())]

    return render_template("tenants/api_docs.html", openapi_paths=openapi_paths)


def _audit_refusal(_sender: object, status: int, path: str, reason: str) -> None:
    """Every 401/403 is in the audit log, in its own transaction (the request's was rolled back)."""
    from flask import g

    from core.db import transaction

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
