"""Who reaches what: every organisation route as strangers, the role matrix inside an organisation, and
consultancies acting on their clients."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.clock import utcnow
from core.db import transaction
from tenants import tokens
from tenants.models import ApiToken, AuditEvent, Invitation, Membership, Organisation, OrgKind, User
from tenants.roles import Role
from tests.conftest import csrf_token

ROLES = ("owner", "admin", "analyst", "viewer")
TARGET_NAME = "Targetco Confidential Advisory"
TARGET_CLIENT_NAME = "Hiddenclient Secret Holdings"
_ARGUMENT = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
_SKIPPED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def target(make_org, make_member):
    """A consultancy with a client, an owner holding a token, and audit rows: something worth stealing."""
    org = make_org(TARGET_NAME, kind=OrgKind.CONSULTANCY, slug="targetco")
    client = make_org(TARGET_CLIENT_NAME, managed_by=org, slug="hiddenclient")
    owner = make_member(org, Role.OWNER, "target-owner@targetco.example")
    with transaction() as session:
        issued = tokens.create_token(session, session.get(User, owner.id), org, "target token", now=utcnow())
        membership_id = session.scalar(
            select(Membership.id).where(Membership.user_id == owner.id, Membership.org_id == org.id)
        )
    return {
        "org": org,
        "client": client,
        "owner": owner,
        "values": {
            "slug": org.slug,
            "membership_id": membership_id,
            "token_id": issued.token.id,
            "client_slug": client.slug,
        },
    }


def _org_rules(app):
    """Every (method, rule) acting on one organisation, including routes other features add later."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/o/<slug>", "/api/v1/orgs/<slug>")):
            for method in sorted(rule.methods - _SKIPPED_METHODS):
                yield method, rule


def _path(rule, values: dict[str, object]) -> str:
    def value(match: re.Match[str]) -> str:
        name, converter = match.group("name"), match.group("converter")
        if name in values:
            return str(values[name])
        return "1" if converter == "int" else "x"  # ids of a new feature's rows: the target's came first

    return _ARGUMENT.sub(value, rule.rule)


def _assert_nothing_leaks(response, target) -> None:
    body = response.get_data(as_text=True)
    assert TARGET_NAME not in body
    assert TARGET_CLIENT_NAME not in body
    assert target["owner"].email not in body


def _assert_api_error(response, *statuses: int) -> None:
    assert response.status_code in statuses, (response.request.method, response.request.path)
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "details"}


@pytest.mark.parametrize("stranger_role", [*ROLES, "consultancy_owner", None])
def test_strangers_reach_no_route_of_another_organisation(
    app, target, make_org, client_as, token_for, stranger_role
):
    if stranger_role == "consultancy_owner":
        stranger_org = make_org("Other Advisory", kind=OrgKind.CONSULTANCY)
        make_org("Other Client", managed_by=stranger_org)
        role = Role.OWNER
    else:
        stranger_org = make_org("Stranger Org")
        role = stranger_role
    web = client_as(stranger_org, role)
    form_token = csrf_token(web, "/account" if role else "/login")
    api_headers = token_for(stranger_org, role) if role else {}
    checked = set()
    routes = [
        (method, rule, slug) for method, rule in _org_rules(app) for slug in ("targetco", "hiddenclient")
    ]
    for method, rule, slug in routes:
        path = _path(rule, {**target["values"], "slug": slug})
        checked.add(rule.endpoint)
        if rule.rule.startswith("/api/"):
            api = app.test_client()  # the token alone, no cookie
            response = api.open(path, method=method, json={}, headers=api_headers)
            if role:
                _assert_api_error(response, 404)
                # a signed-in browser session is no API credential (404: a feature that is switched off)
                _assert_api_error(web.open(path, method=method, json={}), 401, 404)
            else:
                _assert_api_error(response, 401, 404)
        else:
            data = None if method == "GET" else {"csrf_token": form_token}
            response = web.open(path, method=method, data=data)
            if role:
                assert response.status_code == 404, (method, path)
            elif response.status_code != 404:
                assert response.status_code == 302, (method, path)
                assert response.headers["Location"].startswith("/login")
        _assert_nothing_leaks(response, target)
    assert {"tenants.org_home", "tenants.audit_log", "api.OrganisationDetail"} <= checked


def test_a_stranger_cannot_revoke_the_targets_token(app, target, client_as, make_org, token_for):
    stranger_org = make_org("Stranger Org")
    stranger = client_as(stranger_org, Role.OWNER)
    token_id = target["values"]["token_id"]
    response = stranger.post(
        f"/o/{stranger_org.slug}/tokens/{token_id}/revoke",
        data={"csrf_token": csrf_token(stranger, "/account")},
    )
    assert response.status_code == 404
    api = app.test_client()
    assert (
        api.delete(f"/api/v1/tokens/{token_id}", headers=token_for(stranger_org, Role.OWNER)).status_code
        == 404
    )
    with transaction() as session:
        assert session.get(ApiToken, token_id).revoked_at is None


# --- the role matrix inside one organisation ------------------------------------------------------------

PAGE_ACCESS = [
    ("/o/{slug}/members", {"owner": 200, "admin": 200, "analyst": 200, "viewer": 200}),
    ("/o/{slug}/clients", {"owner": 200, "admin": 200, "analyst": 200, "viewer": 200}),
    ("/o/{slug}/tokens", {"owner": 200, "admin": 200, "analyst": 200, "viewer": 403}),
    ("/o/{slug}/settings", {"owner": 200, "admin": 200, "analyst": 403, "viewer": 403}),
    ("/o/{slug}/audit", {"owner": 200, "admin": 200, "analyst": 403, "viewer": 403}),
]


@pytest.fixture
def acme(make_org):
    return make_org("Acme Advisory", kind=OrgKind.CONSULTANCY)


@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role(client_as, acme, role):
    client = client_as(acme, role)
    for page, expected in PAGE_ACCESS:
        assert client.get(page.format(slug=acme.slug)).status_code == expected[role], page


INVITE_ACCESS = [("owner", 200), ("admin", 200), ("analyst", 403), ("viewer", 403)]


@pytest.mark.parametrize(("role", "expected"), INVITE_ACCESS)
def test_invite_by_role(client_as, acme, stored, role, expected):
    client = client_as(acme, role)
    response = client.post(
        f"/o/{acme.slug}/members/invite",
        data={"csrf_token": csrf_token(client, "/account"), "email": "new@example.com", "role": "viewer"},
    )
    assert response.status_code == expected
    invitations = stored(select(Invitation).where(Invitation.org_id == acme.id))
    assert len(invitations) == (1 if expected == 200 else 0)
    if expected == 200:
        assert "/invitations/" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "expected"), [("owner", 200), ("admin", 403), ("analyst", 403), ("viewer", 403)]
)
def test_inviting_an_owner_needs_an_owner(client_as, acme, stored, role, expected):
    client = client_as(acme, role)
    response = client.post(
        f"/o/{acme.slug}/members/invite",
        data={"csrf_token": csrf_token(client, "/account"), "email": "boss@example.com", "role": "owner"},
    )
    assert response.status_code == expected
    assert len(stored(select(Invitation).where(Invitation.org_id == acme.id))) == (
        1 if expected == 200 else 0
    )


TOKEN_ACCESS = [("owner", 200), ("admin", 200), ("analyst", 200), ("viewer", 403)]


@pytest.mark.parametrize(("role", "expected"), TOKEN_ACCESS)
def test_token_creation_by_role(app, client_as, acme, stored, role, expected):
    client = client_as(acme, role)
    response = client.post(
        f"/o/{acme.slug}/tokens", data={"csrf_token": csrf_token(client, "/account"), "name": "script"}
    )
    assert response.status_code == expected
    created = stored(select(ApiToken).where(ApiToken.org_id == acme.id, ApiToken.user_id == client.user.id))
    assert len(created) == (1 if expected == 200 else 0)
    if expected == 200:
        secret = re.search(r'id="token-secret">([^<]+)<', response.get_data(as_text=True)).group(1)
        api = app.test_client().get("/api/v1/orgs", headers={"Authorization": f"Bearer {secret}"})
        assert api.status_code == 200


SETTINGS_ACCESS = [("owner", 302), ("admin", 302), ("analyst", 403), ("viewer", 403)]


@pytest.mark.parametrize(("role", "expected"), SETTINGS_ACCESS)
def test_settings_change_by_role(client_as, acme, stored, role, expected):
    client = client_as(acme, role)
    response = client.post(
        f"/o/{acme.slug}/settings",
        data={
            "csrf_token": csrf_token(client, "/account"),
            "name": "Renamed Advisory",
            "industry": "retail",
            "size_band": "m",
            "region": "emea",
        },
    )
    assert response.status_code == expected
    (org,) = stored(select(Organisation).where(Organisation.id == acme.id))
    assert org.name == ("Renamed Advisory" if expected == 302 else "Acme Advisory")


CLIENT_ACCESS = [("owner", 302), ("admin", 302), ("analyst", 403), ("viewer", 403)]


@pytest.mark.parametrize(("role", "expected"), CLIENT_ACCESS)
def test_client_creation_by_role(client_as, acme, stored, role, expected):
    client = client_as(acme, role)
    response = client.post(
        f"/o/{acme.slug}/clients",
        data={
            "csrf_token": csrf_token(client, "/account"),
            "name": "New Client",
            "kind": "enterprise",
            "industry": "retail",
            "size_band": "m",
            "region": "emea",
        },
    )
    assert response.status_code == expected
    clients = stored(select(Organisation).where(Organisation.managed_by_id == acme.id))
    assert [c.name for c in clients] == (["New Client"] if expected == 302 else [])


@pytest.mark.parametrize(("role", "expected"), CLIENT_ACCESS)
def test_unlinking_a_client_by_role(client_as, acme, make_org, stored, role, expected):
    managed = make_org("Managed Client", managed_by=acme)
    client = client_as(acme, role)
    response = client.post(
        f"/o/{acme.slug}/clients/{managed.slug}/unlink", data={"csrf_token": csrf_token(client, "/account")}
    )
    assert response.status_code == expected
    (org,) = stored(select(Organisation).where(Organisation.id == managed.id))
    assert org.managed_by_id == (None if expected == 302 else acme.id)


def _membership(acme, user) -> Membership:
    with transaction() as session:
        return session.scalar(
            select(Membership).where(Membership.org_id == acme.id, Membership.user_id == user.id)
        )


def _post_role(client, acme, membership_id: int, role: str):
    return client.post(
        f"/o/{acme.slug}/members/{membership_id}/role",
        data={"csrf_token": csrf_token(client, "/account"), "role": role},
    )


# (actor, member's role, new role, status, changed)
ROLE_CHANGES = [
    ("owner", "analyst", "owner", 302, True),
    ("owner", "admin", "viewer", 302, True),
    ("admin", "analyst", "viewer", 302, True),
    ("admin", "viewer", "admin", 302, True),
    ("admin", "analyst", "owner", 403, False),  # admin cannot make an owner
    ("admin", "owner", "viewer", 403, False),  # nor unmake one
    ("analyst", "viewer", "analyst", 403, False),
    ("viewer", "analyst", "viewer", 403, False),
]


@pytest.mark.parametrize(("actor", "old", "new", "status", "changed"), ROLE_CHANGES)
def test_role_changes_by_role(client_as, acme, make_member, actor, old, new, status, changed):
    make_member(acme, Role.OWNER)  # an owner besides the member, so the last-owner rule stays out of it
    member = make_member(acme, old)
    client = client_as(acme, actor)
    membership = _membership(acme, member)
    response = _post_role(client, acme, membership.id, new)
    assert response.status_code == status
    assert _membership(acme, member).role == (new if changed else old)


def test_the_last_owner_cannot_step_down(client_as, acme):
    client = client_as(acme, Role.OWNER)
    membership = _membership(acme, client.user)
    assert _post_role(client, acme, membership.id, "admin").status_code == 409
    assert _membership(acme, client.user).role == Role.OWNER


REMOVALS = [
    ("owner", "owner", 302),
    ("owner", "viewer", 302),
    ("admin", "owner", 403),
    ("admin", "analyst", 302),
]


@pytest.mark.parametrize(("actor", "member_role", "status"), REMOVALS)
def test_member_removal_by_role(client_as, acme, make_member, actor, member_role, status):
    make_member(acme, Role.OWNER)
    member = make_member(acme, member_role)
    client = client_as(acme, actor)
    membership = _membership(acme, member)
    response = client.post(
        f"/o/{acme.slug}/members/{membership.id}/remove", data={"csrf_token": csrf_token(client, "/account")}
    )
    assert response.status_code == status
    assert (_membership(acme, member) is None) == (status == 302)


def test_a_member_of_another_organisation_cannot_be_changed_through_this_one(
    client_as, acme, make_org, make_member
):
    other = make_org("Other Org")
    victim = make_member(other, Role.OWNER)
    client = client_as(acme, Role.OWNER)
    response = _post_role(client, acme, _membership(other, victim).id, "viewer")
    assert response.status_code == 404
    assert _membership(other, victim).role == Role.OWNER


API_PATCH_ACCESS = [("owner", 200), ("admin", 200), ("analyst", 403), ("viewer", 403)]


@pytest.mark.parametrize(("role", "expected"), API_PATCH_ACCESS)
def test_api_profile_change_by_role(client, acme, token_for, role, expected):
    headers = token_for(acme, role)
    assert client.get(f"/api/v1/orgs/{acme.slug}", headers=headers).status_code == 200
    response = client.patch(f"/api/v1/orgs/{acme.slug}", json={"name": "Patched"}, headers=headers)
    assert response.status_code == expected
    name = client.get(f"/api/v1/orgs/{acme.slug}", headers=headers).get_json()["name"]
    assert name == ("Patched" if expected == 200 else "Acme Advisory")


API_CLIENT_ACCESS = [("owner", 201), ("admin", 201), ("analyst", 403), ("viewer", 403)]


@pytest.mark.parametrize(("role", "expected"), API_CLIENT_ACCESS)
def test_api_client_creation_by_role(client, acme, token_for, stored, role, expected):
    body = {"name": "Api Client", "industry": "retail", "size": "m", "region": "emea"}
    response = client.post("/api/v1/orgs", json=body, headers=token_for(acme, role))
    assert response.status_code == expected
    created = stored(select(Organisation).where(Organisation.managed_by_id == acme.id))
    assert len(created) == (1 if expected == 201 else 0)


def test_an_enterprise_cannot_create_clients_through_the_api(client, make_org, token_for, stored):
    enterprise = make_org("Plain Enterprise")
    body = {"name": "Api Client", "industry": "retail", "size": "m", "region": "emea"}
    response = client.post("/api/v1/orgs", json=body, headers=token_for(enterprise, Role.OWNER))
    assert response.status_code == 403
    assert stored(select(Organisation).where(Organisation.managed_by_id == enterprise.id)) == []


# --- consultancies and their clients ------------------------------------------------------------------------


@pytest.fixture
def portfolio(make_org):
    consultancy = make_org("Portfolio Advisory", kind=OrgKind.CONSULTANCY)
    return {
        "consultancy": consultancy,
        "client": make_org("Client One", managed_by=consultancy),
        "sibling": make_org("Client Two", managed_by=consultancy),
    }


CONSULTANCY_ROLE_ON_CLIENT = [
    ("owner", 200, 200),
    ("admin", 200, 200),
    ("analyst", 200, 403),
    ("viewer", 200, 403),
]


@pytest.mark.parametrize(("role", "home", "settings"), CONSULTANCY_ROLE_ON_CLIENT)
def test_consultancy_members_act_on_clients_with_their_role(client_as, portfolio, role, home, settings):
    web = client_as(portfolio["consultancy"], role)
    for client_org in (portfolio["client"], portfolio["sibling"]):
        assert web.get(f"/o/{client_org.slug}/members").status_code == home
        assert web.get(f"/o/{client_org.slug}/settings").status_code == settings


@pytest.mark.parametrize("role", ["owner", "viewer"])
def test_client_members_see_neither_the_consultancy_nor_siblings(client_as, token_for, portfolio, role):
    web = client_as(portfolio["client"], role)
    headers = token_for(portfolio["client"], role)
    for other in (portfolio["consultancy"], portfolio["sibling"]):
        assert web.get(f"/o/{other.slug}/").status_code == 404
        assert web.get(f"/o/{other.slug}/members").status_code == 404
        response = web.get(f"/api/v1/orgs/{other.slug}", headers=headers)
        assert response.status_code == 404
        assert other.name not in response.get_data(as_text=True)
    listed = web.get("/api/v1/orgs", headers=headers).get_json()["organisations"]
    assert [o["slug"] for o in listed] == [portfolio["client"].slug]


def test_unlinking_a_client_ends_consultancy_access_at_once(app, client_as, token_for, portfolio):
    consultancy, client_org = portfolio["consultancy"], portfolio["client"]
    web = client_as(consultancy, Role.OWNER)
    headers = token_for(consultancy, Role.ANALYST)
    api = app.test_client()
    assert web.get(f"/o/{client_org.slug}/members").status_code == 200
    assert api.get(f"/api/v1/orgs/{client_org.slug}", headers=headers).status_code == 200
    response = web.post(
        f"/o/{consultancy.slug}/clients/{client_org.slug}/unlink",
        data={"csrf_token": csrf_token(web, "/account")},
    )
    assert response.status_code == 302
    assert web.get(f"/o/{client_org.slug}/members").status_code == 404
    assert api.get(f"/api/v1/orgs/{client_org.slug}", headers=headers).status_code == 404
    listed = api.get("/api/v1/orgs", headers=headers).get_json()["organisations"]
    assert client_org.slug not in {o["slug"] for o in listed}
    assert portfolio["sibling"].slug in {o["slug"] for o in listed}


def test_a_consultancy_token_reaches_its_clients(client, token_for, portfolio):
    headers = token_for(portfolio["consultancy"], Role.ANALYST)
    listed = client.get("/api/v1/orgs", headers=headers).get_json()["organisations"]
    assert {o["slug"] for o in listed} == {o.slug for o in portfolio.values()}
    assert {o["role"] for o in listed} == {"analyst"}
    response = client.get(f"/api/v1/orgs/{portfolio['client'].slug}", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["managed_by"] == portfolio["consultancy"].slug


def test_an_enterprise_token_reaches_only_its_organisation(client, make_org, make_member, portfolio):
    enterprise = make_org("Own Enterprise")
    user = make_member(enterprise, Role.OWNER)
    # the same person is also an owner of the consultancy, but the token was issued for the enterprise
    with transaction() as session:
        session.add(Membership(user_id=user.id, org_id=portfolio["consultancy"].id, role=Role.OWNER))
        issued = tokens.create_token(
            session, session.get(User, user.id), session.get(Organisation, enterprise.id), "t", now=utcnow()
        )
    headers = {"Authorization": f"Bearer {issued.secret}"}
    assert client.get(f"/api/v1/orgs/{enterprise.slug}", headers=headers).status_code == 200
    for other in portfolio.values():
        assert client.get(f"/api/v1/orgs/{other.slug}", headers=headers).status_code == 404
    listed = client.get("/api/v1/orgs", headers=headers).get_json()["organisations"]
    assert [o["slug"] for o in listed] == [enterprise.slug]


def test_refusals_inside_an_organisation_are_audited(client_as, acme, stored):
    client_as(acme, Role.VIEWER).get(f"/o/{acme.slug}/audit")
    refusals = stored(select(AuditEvent).where(AuditEvent.action == "access.refused"))
    assert [(e.org_id, e.detail["status"]) for e in refusals] == [(acme.id, 403)]
