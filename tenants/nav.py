"""The organisation navigation and page banners: features add tabs and banners, the base layout shows them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, g

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


def org_nav(app: Flask) -> Callable[[Organisation, Role | None], list[tuple[str, str]]]:
    def entries(org: Organisation, role: Role | None) -> list[tuple[str, str]]:
        allowed = PERMISSIONS[role] if role else frozenset()
        nav = sorted(app.extensions.get("peerbench.org_nav", []), key=lambda e: e.order)
        return [
            (e.endpoint, e.label) for e in nav if e.permission in allowed and (e.when is None or e.when(org))
        ]

    return entries


def banners(app: Flask) -> list[dict[str, str]]:
    org = g.get("org")
    if org is None:
        return []
    return [banner for provider in app.extensions.get("peerbench.banners", []) for banner in provider(org)]
