"""Sign-up, login, logout, sessions, CSRF, redirects, rate limits, invitations and password storage."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.app import create_app
from core.clock import utcnow
from core.db import transaction
from tenants.models import AuditEvent, Invitation, LoginSession, Membership, User
from tenants.roles import Role
from tests.conftest import PASSWORD, csrf_token, sign_in

COOKIE = "peerbench_session"
NEW_PASSWORD = "another long passphrase"


@pytest.fixture
def org(make_org):
    return make_org("Acme IT")


@pytest.fixture
def owner(org, make_member):
    return make_member(org, Role.OWNER, "owner@acme.example")


def _home(org) -> str:
    """A page of the organisation every member may read (the home page may redirect to a feature's page)."""
    return f"/o/{org.slug}/members"


def _post_form(client, url: str, data: dict[str, str], token_page: str = "/account"):
    return client.post(url, data={"csrf_token": csrf_token(client, token_page), **data})


def test_signup_creates_an_owner_and_signs_in(client, stored):
    response = _post_form(
        client,
        "/signup",
        {
            "name": "Ada",
            "email": "Ada@Example.com",
            "password": "a long password",
            "org_name": "Acme IT",
            "kind": "enterprise",
            "industry": "retail",
            "size_band": "m",
            "region": "emea",
        },
        "/signup",
    )
    assert response.status_code == 302
    assert client.get("/o/acme-it/members").status_code == 200
    (user,) = stored(select(User))
    assert user.email == "ada@example.com"
    (membership,) = stored(select(Membership))
    assert (membership.user_id, membership.role) == (user.id, Role.OWNER)


def test_signup_with_a_short_password_creates_nothing(client, stored):
    response = _post_form(
        client,
        "/signup",
        {"email": "a@example.com", "password": "short", "org_name": "X", "kind": "enterprise"}
        | {"industry": "retail", "size_band": "m", "region": "emea"},
        "/signup",
    )
    assert response.status_code == 200
    assert stored(select(User)) == []


def test_login_signs_in_and_is_audited(client, org, owner, stored):
    response = sign_in(client, owner.email)
    assert response.status_code == 302
    assert client.get(_home(org)).status_code == 200
    events = stored(select(AuditEvent).where(AuditEvent.action == "login.succeeded"))
    assert sorted((e.org_id or 0, e.user_id) for e in events) == [(0, owner.id), (org.id, owner.id)]


def test_wrong_password_gives_no_session_and_is_audited(client, org, owner, stored):
    response = sign_in(client, owner.email, "not the password")
    assert response.status_code == 200
    assert "not correct" in response.get_data(as_text=True)
    assert client.get(_home(org)).status_code == 302
    (event,) = stored(select(AuditEvent).where(AuditEvent.action == "login.failed"))
    assert (event.actor, event.user_id, event.org_id) == (owner.email, owner.id, None)
    assert stored(select(LoginSession)) == []


def test_unknown_email_fails_like_a_wrong_password(client, stored):
    response = sign_in(client, "nobody@example.com")
    assert response.status_code == 200
    (event,) = stored(select(AuditEvent).where(AuditEvent.action == "login.failed"))
    assert event.actor == "nobody@example.com"


def _cookie(client) -> str:
    return client.get_cookie(COOKIE).value


def test_logout_ends_the_session_on_the_server(app, client, org, owner, stored):
    sign_in(client, owner.email)
    thief = app.test_client()
    thief.set_cookie(COOKIE, _cookie(client))
    assert thief.get(_home(org)).status_code == 200
    response = _post_form(client, "/logout", {})
    assert response.status_code == 302
    assert client.get(_home(org)).status_code == 302
    assert thief.get(_home(org)).status_code == 302  # the copied cookie stopped working
    (login,) = stored(select(LoginSession))
    assert login.ended_at is not None


def test_password_change_ends_other_sessions_but_keeps_this_one(app, org, owner):
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here, owner.email)
    sign_in(elsewhere, owner.email)
    response = _post_form(here, "/account", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert response.status_code == 302
    assert here.get(_home(org)).status_code == 200
    assert elsewhere.get(_home(org)).status_code == 302
    assert sign_in(app.test_client(), owner.email, PASSWORD).status_code == 200  # the old one is refused
    assert sign_in(app.test_client(), owner.email, NEW_PASSWORD).status_code == 302


def test_password_change_needs_the_current_password(app, client, org, owner):
    sign_in(client, owner.email)
    response = _post_form(
        client, "/account", {"current_password": "wrong one!", "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 200
    assert sign_in(app.test_client(), owner.email, PASSWORD).status_code == 302


@pytest.mark.parametrize("secure", [True, False])
def test_session_cookie_flags(app_config, owner, secure):
    app = create_app({**app_config, "cookie_secure": secure})
    client = app.test_client()
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login",
        data={"email": owner.email, "password": PASSWORD, "csrf_token": token},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},  # Flask-WTF checks it on https
    )
    assert response.status_code == 302
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE + "=")]
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert "httponly" in flags
    assert "samesite=lax" in cookie.lower()
    assert ("secure" in flags) is secure


def test_login_rotates_the_session(client, org, owner):
    token = csrf_token(client, "/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone before login"
    before = _cookie(client)
    client.post("/login", data={"email": owner.email, "password": PASSWORD, "csrf_token": token})
    assert _cookie(client) != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") is None  # the anonymous CSRF secret does not carry over
    assert client.get(_home(org)).status_code == 200


def test_each_login_gets_its_own_server_session(app, owner, stored):
    sign_in(app.test_client(), owner.email)
    sign_in(app.test_client(), owner.email)
    assert len({login.id for login in stored(select(LoginSession))}) == 2


def test_a_post_without_csrf_token_is_refused_and_changes_nothing(client, org, owner, stored):
    sign_in(client, owner.email)
    response = client.post(
        f"/o/{org.slug}/settings", data={"name": "Hijacked", "industry": "retail", "size_band": "m"}
    )
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert client.post("/logout").status_code == 400
    assert client.get(_home(org)).status_code == 200  # still signed in
    assert [o.name for o in stored(select(org.__class__))] == ["Acme IT"]


def test_a_post_with_another_sessions_csrf_token_is_refused(app, client, org, owner):
    sign_in(client, owner.email)
    other = app.test_client()
    foreign_token = csrf_token(other, "/login")
    response = client.post("/logout", data={"csrf_token": foreign_token})
    assert response.status_code == 400
    assert client.get(_home(org)).status_code == 200


OFF_SITE_TARGETS = [
    "//evil.com",
    "https://evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    " //evil.com",
    "/\t/evil.com",
    "javascript:alert(1)",
    "http:/evil.com",
]


def test_login_never_redirects_off_site(app, owner):
    for target in OFF_SITE_TARGETS:
        client = app.test_client()
        token = csrf_token(client, "/login")
        response = client.post(
            "/login", data={"email": owner.email, "password": PASSWORD, "csrf_token": token, "next": target}
        )
        assert response.status_code == 302
        assert response.headers["Location"] == "/", target


def test_login_returns_to_the_page_asked_for(client, org, owner):
    page = client.get(f"/o/{org.slug}/members")
    assert page.status_code == 302
    login_page = page.headers["Location"]
    assert login_page.startswith("/login?next=")
    form = client.get(login_page).get_data(as_text=True)
    next_value = re.search(r'name="next" type="hidden" value="([^"]*)"', form).group(1)
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": owner.email, "password": PASSWORD, "csrf_token": token, "next": next_value}
    )
    assert response.headers["Location"] == f"/o/{org.slug}/members"


# --- rate limits --------------------------------------------------------------------------------------------


@pytest.fixture
def limited_app(app, app_config):
    return create_app({**app_config, "ratelimit_enabled": True})


def _login_from(client, ip: str, email: str, password: str = "wrong password", **kwargs):
    environ = {"REMOTE_ADDR": ip}
    token = csrf_token_from(client, ip)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base=environ,
        **kwargs,
    )


def csrf_token_from(client, ip: str) -> str:
    page = client.get("/login", environ_base={"REMOTE_ADDR": ip})
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def test_login_is_rate_limited_per_account(limited_app, owner):
    client = limited_app.test_client()
    for n in range(5):
        assert _login_from(client, f"10.0.1.{n}", owner.email).status_code == 200
    response = _login_from(client, "10.0.1.99", owner.email, PASSWORD)  # even the right password, elsewhere
    assert response.status_code == 429
    assert "Too many requests" in response.get_data(as_text=True)
    assert "text/html" in response.content_type
    assert _login_from(client, "10.0.1.98", "someone-else@example.com").status_code == 200


def test_login_is_rate_limited_per_ip(limited_app, owner):
    client = limited_app.test_client()
    for n in range(10):
        assert _login_from(client, "10.0.2.1", f"guess{n}@example.com").status_code == 200
    response = _login_from(client, "10.0.2.1", owner.email, PASSWORD, headers={"Accept": "application/json"})
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"
    assert set(response.get_json()["error"]) == {"code", "message", "details"}
    assert _login_from(client, "10.0.2.2", owner.email, PASSWORD).status_code == 302


# --- invitations --------------------------------------------------------------------------------------------


def _invite(client, org, email: str, role: str) -> str:
    response = _post_form(client, f"/o/{org.slug}/members/invite", {"email": email, "role": role})
    assert response.status_code == 200
    link = re.search(r"https?://[^/]+(/invitations/[\w-]+)", response.get_data(as_text=True))
    assert link, "the invitation link is shown to the inviter"
    return link.group(1)


def test_an_invitation_link_creates_the_account_and_membership(app, client_as, org, stored):
    path = _invite(client_as(org, Role.ADMIN), org, "new.analyst@example.com", "analyst")
    invitee = app.test_client()
    page = invitee.get(path)
    assert page.status_code == 200
    assert "Acme IT" in page.get_data(as_text=True)
    response = _post_form(invitee, path, {"name": "Nia", "password": "her own long password"}, path)
    assert response.status_code == 302
    assert invitee.get(_home(org)).status_code == 200
    (user,) = stored(select(User).where(User.email == "new.analyst@example.com"))
    (membership,) = stored(select(Membership).where(Membership.user_id == user.id))
    assert (membership.org_id, membership.role) == (org.id, Role.ANALYST)
    assert invitee.get(path).status_code == 404  # used
    assert app.test_client().get(path).status_code == 404


def test_an_existing_user_accepts_while_signed_in(app, client_as, make_org, make_member, org, stored):
    existing = make_member(make_org("Elsewhere"), Role.OWNER, "existing@example.com")
    path = _invite(client_as(org, Role.OWNER), org, existing.email, "viewer")
    invitee = app.test_client()
    sign_in(invitee, existing.email)
    assert invitee.get(_home(org)).status_code == 404
    response = _post_form(invitee, path, {}, path)
    assert response.status_code == 302
    assert invitee.get(_home(org)).status_code == 200
    (membership,) = stored(
        select(Membership).where(Membership.user_id == existing.id, Membership.org_id == org.id)
    )
    assert membership.role == Role.VIEWER


def test_an_expired_invitation_link_is_not_found(app, client_as, org, stored):
    path = _invite(client_as(org, Role.OWNER), org, "late@example.com", "viewer")
    with transaction() as session:
        for invitation in session.scalars(select(Invitation)):
            invitation.expires_at = utcnow() - timedelta(minutes=1)
    invitee = app.test_client()
    assert invitee.get(path).status_code == 404
    assert stored(select(User).where(User.email == "late@example.com")) == []


def test_a_made_up_invitation_link_is_not_found(client):
    assert client.get("/invitations/not-a-real-token").status_code == 404


def test_the_invitation_token_is_stored_hashed(client_as, org, stored):
    path = _invite(client_as(org, Role.OWNER), org, "x@example.com", "viewer")
    token = path.rsplit("/", 1)[1]
    (invitation,) = stored(select(Invitation))
    assert token not in invitation.token_hash
    assert len(invitation.token_hash) == 64


# --- password storage ---------------------------------------------------------------------------------------


def test_passwords_are_stored_as_argon2id_hashes(client, owner, stored):
    (user,) = stored(select(User))
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    sign_in(client, owner.email)
    _post_form(client, "/account", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    (user,) = stored(select(User))
    assert user.password_hash.startswith("$argon2id$")
    assert NEW_PASSWORD not in user.password_hash
    assert user.password_changed_at is not None


def test_home_goes_to_an_organisation_with_data_then_to_the_last_one_used(client, make_org, make_member):
    from tenants.models import OrgKind

    advisory = make_org("Alpha Advisory", kind=OrgKind.CONSULTANCY)
    desk = make_org("Zeta Service Desk")
    user = make_member(advisory, Role.OWNER)
    with transaction() as session:
        session.add(Membership(user_id=user.id, org_id=desk.id, role=Role.ANALYST))
    sign_in(client, user.email)
    assert client.get("/").headers["Location"] == f"/o/{desk.slug}/"
    client.get(f"/o/{advisory.slug}/members")
    assert client.get("/").headers["Location"] == f"/o/{advisory.slug}/"
