"""The audit log: what is recorded, who may read it, and that no secret ever lands in it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tenants.models import AuditEvent, Membership, OrgKind
from tenants.roles import Role
from tests.conftest import PASSWORD, csrf_token, sign_in

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def acme(make_org):
    return make_org("Acme Advisory", kind=OrgKind.CONSULTANCY)


def _events(stored, org=None, action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if org is not None:
        query = query.where(AuditEvent.org_id == org.id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return stored(query)


def _post(client, url: str, **data: str):
    return client.post(url, data={"csrf_token": csrf_token(client, "/account"), **data})


def test_membership_changes_are_recorded(client_as, acme, make_member, stored):
    owner = client_as(acme, Role.OWNER)
    member = make_member(acme, Role.ANALYST)
    membership_id = stored(select(Membership.id).where(Membership.user_id == member.id))[0]
    _post(owner, f"/o/{acme.slug}/members/invite", email="new@example.com", role="viewer")
    _post(owner, f"/o/{acme.slug}/members/{membership_id}/role", role="admin")
    _post(owner, f"/o/{acme.slug}/members/{membership_id}/remove")
    events = [(e.action, e.actor, e.detail) for e in _events(stored, acme) if e.action.startswith("member.")]
    assert events == [
        ("member.invited", owner.user.email, {"email": "new@example.com", "role": "viewer"}),
        ("member.role_changed", owner.user.email, {"member": member.email, "old": "analyst", "new": "admin"}),
        ("member.removed", owner.user.email, {"member": member.email, "role": "admin"}),
    ]


def test_token_creation_and_revocation_are_recorded(client_as, acme, stored):
    analyst = client_as(acme, Role.ANALYST)
    _post(analyst, f"/o/{acme.slug}/tokens", name="nightly export")
    (created,) = _events(stored, acme, "token.created")
    token_id = created.detail["token_id"]
    _post(analyst, f"/o/{acme.slug}/tokens/{token_id}/revoke")
    (revoked,) = _events(stored, acme, "token.revoked")
    assert (created.actor, created.detail["name"]) == (analyst.user.email, "nightly export")
    assert (revoked.actor, revoked.detail) == (analyst.user.email, {"token_id": token_id})


def test_client_links_are_recorded_on_both_sides(client_as, acme, make_org, stored):
    owner = client_as(acme, Role.OWNER)
    _post(
        owner,
        f"/o/{acme.slug}/clients",
        name="Client Co",
        kind="enterprise",
        industry="retail",
        size_band="m",
        region="emea",
    )
    _post(owner, f"/o/{acme.slug}/clients/client-co/unlink")
    client_org = next(e.org_id for e in _events(stored) if e.detail.get("consultancy") == acme.slug)
    assert [(e.action, e.detail) for e in _events(stored, acme) if e.action.startswith("client.")] == [
        ("client.created", {"client": "client-co"}),
        ("client.unlinked", {"client": "client-co"}),
    ]
    client_events = stored(select(AuditEvent).where(AuditEvent.org_id == client_org).order_by(AuditEvent.id))
    assert [(e.action, e.detail) for e in client_events] == [
        ("client.created", {"consultancy": acme.slug}),
        ("client.unlinked", {"consultancy": acme.slug}),
    ]


def test_refusals_are_recorded(app, client_as, acme, token_for, stored):
    viewer = client_as(acme, Role.VIEWER)
    assert viewer.get(f"/o/{acme.slug}/settings").status_code == 403
    assert app.test_client().get("/api/v1/orgs").status_code == 401
    headers = token_for(acme, Role.VIEWER)
    assert (
        app.test_client().patch(f"/api/v1/orgs/{acme.slug}", json={"name": "X"}, headers=headers).status_code
        == 403
    )
    refusals = _events(stored, action="access.refused")
    assert [(e.org_id, e.detail["status"], e.detail["path"]) for e in refusals] == [
        (acme.id, 403, f"/o/{acme.slug}/settings"),
        (None, 401, "/api/v1/orgs"),
        (acme.id, 403, f"/api/v1/orgs/{acme.slug}"),
    ]
    assert refusals[0].user_id == viewer.user.id
    page = client_as(acme, Role.ADMIN).get(f"/o/{acme.slug}/audit").get_data(as_text=True)
    assert page.count("access.refused") == 2
    assert f"path=/o/{acme.slug}/settings" in page


def test_an_anonymous_page_visit_is_a_recorded_refusal(client, acme, stored):
    assert client.get(f"/o/{acme.slug}/audit").status_code == 302
    (event,) = _events(stored, action="access.refused")
    assert (event.user_id, event.detail["status"]) == (None, 401)


AUDIT_PAGE = [("owner", 200), ("admin", 200), ("analyst", 403), ("viewer", 403)]


@pytest.mark.parametrize(("role", "expected"), AUDIT_PAGE)
def test_the_audit_page_is_for_owners_and_admins(client_as, acme, make_member, role, expected):
    owner = client_as(acme, Role.OWNER)
    _post(owner, f"/o/{acme.slug}/members/invite", email="seen@example.com", role="viewer")
    response = client_as(acme, role).get(f"/o/{acme.slug}/audit")
    assert response.status_code == expected
    page = response.get_data(as_text=True)
    assert ("member.invited" in page and "seen@example.com" in page) is (expected == 200)


def test_the_audit_page_shows_only_this_organisations_events(client_as, acme, make_org):
    other = make_org("Other Org")
    other_owner = client_as(other, Role.OWNER)
    _post(other_owner, f"/o/{other.slug}/members/invite", email="secret-hire@example.com", role="viewer")
    page = client_as(acme, Role.OWNER).get(f"/o/{acme.slug}/audit").get_data(as_text=True)
    assert "secret-hire@example.com" not in page
    assert other_owner.user.email not in page


def test_no_secret_is_ever_audited(app, client_as, acme, make_member, stored):
    """Drive every audited action with known secrets, then scan every row."""
    owner = client_as(acme, Role.OWNER)
    secrets = {PASSWORD, NEW_PASSWORD, "wrong password given"}
    sign_in(app.test_client(), owner.user.email, "wrong password given")
    response = _post(owner, f"/o/{acme.slug}/tokens", name="scanner")
    secrets.add(re.search(r'id="token-secret">([^<]+)<', response.get_data(as_text=True)).group(1))
    response = _post(owner, f"/o/{acme.slug}/members/invite", email="invitee@example.com", role="viewer")
    secrets.add(re.search(r"/invitations/([\w-]+)", response.get_data(as_text=True)).group(1))
    _post(owner, "/account", current_password=PASSWORD, new_password=NEW_PASSWORD)
    bearer = {"Authorization": f"Bearer {sorted(s for s in secrets if s.startswith('pb_'))[0]}"}
    app.test_client().get(f"/api/v1/orgs/{acme.slug}", headers=bearer)
    app.test_client().get("/api/v1/orgs", headers={"Authorization": "Bearer pb_guessed-secret-value"})
    secrets.add("pb_guessed-secret-value")
    _post(owner, "/logout")
    rows = _events(stored)
    assert {"login.failed", "token.created", "member.invited", "password.changed", "logout"} <= {
        e.action for e in rows
    }
    for event in rows:
        text = " ".join([event.actor, event.action, repr(event.detail), event.ip or ""])
        for secret in secrets:
            assert secret not in text, (event.action, secret)
