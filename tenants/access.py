"""Who is asking, and may they? Cookie sessions for pages, bearer tokens for the API, and `requires()`.

`requires(permission)` resolves the `<slug>` of the URL to an organisation the caller may act on (strangers
get 404 before anything else is parsed), checks the role's permission (403), scopes the database session to
that organisation (PostgreSQL RLS) and passes `org` to the view.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, g, redirect, request, session, url_for
from flask_login import current_user

from core.clock import utcnow
from core.db import db, scope_to_org
from core.errors import Forbidden, NotFound, Unauthorised
from core.extensions import login_manager
from core.web import is_api_request
from tenants.accounts import find_active_login
from tenants.models import ApiToken, Organisation, User
from tenants.roles import Permission, Role, can
from tenants.service import find_organisation_by_slug, role_for
from tenants.tokens import authenticate_token

F = TypeVar("F", bound=Callable[..., Any])


def init_access(app: Flask) -> None:
    login_manager.user_loader(_load_from_cookie)
    login_manager.request_loader(_load_from_bearer)
    login_manager.unauthorized_handler(_unauthorised)
    login_manager.session_protection = "basic"


def _load_from_cookie(login_id: str) -> User | None:
    if is_api_request():
        return None  # the API ignores cookies: no CSRF exposure, no ambient authority
    login = find_active_login(db.session, login_id)
    if login is None:
        return None
    user = login.user
    user.login_id = login.id
    return user


def _load_from_bearer(req: Any) -> User | None:
    if not is_api_request():
        return None
    header = req.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    token = authenticate_token(db.session, secret.strip(), now=utcnow())
    if token is None:
        return None
    g.api_token = token
    return token.user


def _unauthorised() -> Any:
    if is_api_request():
        raise Unauthorised("A valid API token is required: send `Authorization: Bearer <token>`.")
    from core.web import refused

    refused.send(None, status=401, path=request.path, reason="not signed in")
    return redirect(url_for("tenants.login", next=request.full_path.rstrip("?")))


def current_token() -> ApiToken | None:
    return g.get("api_token")


def resolve_org(slug: str, user: User) -> tuple[Organisation, Role]:
    """The organisation named by `slug` and the caller's role on it; NotFound for anyone without access."""
    org = find_organisation_by_slug(db.session, slug)
    if org is None:
        raise NotFound("No such organisation.")
    token = current_token()
    if token is not None and org.id != token.org_id and org.managed_by_id != token.org_id:
        raise NotFound(
            "No such organisation."
        )  # a token reaches its organisation and that one's clients only
    role = role_for(db.session, user, org)
    if role is None:
        raise NotFound("No such organisation.")
    return org, role


def requires(permission: Permission) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            org, role = resolve_org(kwargs.pop("slug"), current_user._get_current_object())
            g.org, g.role = org, role
            if not can(role, permission):
                raise Forbidden(
                    f"Your role ({role.value}) may not do this: it needs the '{permission}' permission."
                )
            scope_to_org(db.session(), org.id)
            if not is_api_request() and session.get("last_org") != org.slug:
                session["last_org"] = org.slug  # where "/" takes the user next time
            return view(*args, org=org, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def signed_in(view: F) -> F:
    """Pages that need a signed-in user but no organisation."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def client_ip() -> str | None:
    return request.remote_addr
