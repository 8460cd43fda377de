"""HTTP API v1, tenants part: organisations, clients, token revocation, error shape, OpenAPI document."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from tenants.models import ApiToken, Organisation, OrgKind
from tenants.roles import Role
from tests.conftest import sign_in

CLIENT_BODY = {"name": "Api Client", "industry": "retail", "size": "m", "region": "emea"}


@pytest.fixture
def consultancy(make_org):
    return make_org("Brightpath Advisory", kind=OrgKind.CONSULTANCY)


@pytest.fixture
def enterprise(make_org):
    return make_org("Northwind IT")


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.content_type == "application/json"
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    assert error["message"]
    assert isinstance(error["details"], list)
    return error


def test_list_organisations_of_an_enterprise_token(client, enterprise, token_for):
    response = client.get("/api/v1/orgs", headers=token_for(enterprise, Role.VIEWER))
    assert response.status_code == 200
    (org,) = response.get_json()["organisations"]
    assert org == {
        "slug": enterprise.slug,
        "name": "Northwind IT",
        "kind": "enterprise",
        "industry": "retail",
        "size": "m",
        "region": "emea",
        "managed_by": None,
        "role": "viewer",
        "branding": {"display_name": None, "primary_colour": None, "has_logo": False},
    }


def test_create_a_client_organisation(client, consultancy, token_for, stored):
    headers = token_for(consultancy, Role.ADMIN)
    response = client.post("/api/v1/orgs", json={**CLIENT_BODY, "slug": "api-client"}, headers=headers)
    assert response.status_code == 201
    body = response.get_json()
    assert (body["slug"], body["managed_by"], body["role"], body["kind"]) == (
        "api-client",
        consultancy.slug,
        "admin",
        "enterprise",
    )
    (stored_client,) = stored(select(Organisation).where(Organisation.slug == "api-client"))
    assert stored_client.managed_by_id == consultancy.id
    listed = client.get("/api/v1/orgs", headers=headers).get_json()["organisations"]
    assert [o["slug"] for o in listed] == [consultancy.slug, "api-client"]


def test_a_client_cannot_be_a_consultancy(client, consultancy, token_for, stored):
    response = client.post(
        "/api/v1/orgs",
        json={**CLIENT_BODY, "kind": "consultancy"},
        headers=token_for(consultancy, Role.OWNER),
    )
    error = _assert_error(response, 422, "invalid_input")
    assert [d["field"] for d in error["details"]] == ["kind"]
    assert stored(select(Organisation).where(Organisation.managed_by_id == consultancy.id)) == []


def test_a_taken_slug_is_a_conflict(client, consultancy, token_for):
    response = client.post(
        "/api/v1/orgs",
        json={**CLIENT_BODY, "slug": consultancy.slug},
        headers=token_for(consultancy, Role.OWNER),
    )
    _assert_error(response, 409, "conflict")


def test_get_and_patch_the_profile(client, enterprise, token_for, stored):
    headers = token_for(enterprise, Role.ADMIN)
    response = client.patch(
        f"/api/v1/orgs/{enterprise.slug}", json={"name": "Northwind Health", "size": "l"}, headers=headers
    )
    assert response.status_code == 200
    assert (response.get_json()["name"], response.get_json()["size"]) == ("Northwind Health", "l")
    (org,) = stored(select(Organisation).where(Organisation.id == enterprise.id))
    assert (org.name, org.size_band) == ("Northwind Health", "l")
    assert (
        client.get(f"/api/v1/orgs/{enterprise.slug}", headers=headers).get_json()["name"]
        == "Northwind Health"
    )


def test_a_consultancy_sets_its_branding(client, consultancy, token_for, stored):
    branding = {"display_name": "Brightpath", "primary_colour": "#112233"}
    response = client.patch(
        f"/api/v1/orgs/{consultancy.slug}",
        json={"branding": branding},
        headers=token_for(consultancy, "owner"),
    )
    assert response.status_code == 200
    assert response.get_json()["branding"] == {**branding, "has_logo": False}
    (org,) = stored(select(Organisation).where(Organisation.id == consultancy.id))
    assert (org.display_name, org.primary_colour) == ("Brightpath", "#112233")


def test_an_enterprise_cannot_brand(client, enterprise, token_for, stored):
    response = client.patch(
        f"/api/v1/orgs/{enterprise.slug}",
        json={"branding": {"display_name": "White Label"}},
        headers=token_for(enterprise, Role.OWNER),
    )
    _assert_error(response, 403, "forbidden")
    (org,) = stored(select(Organisation).where(Organisation.id == enterprise.id))
    assert org.display_name is None


def test_a_revoked_token_stops_working(client, enterprise, token_for, stored):
    headers = token_for(enterprise, Role.VIEWER)
    (token,) = stored(select(ApiToken))
    assert client.delete(f"/api/v1/tokens/{token.id}", headers=headers).status_code == 204
    _assert_error(client.get("/api/v1/orgs", headers=headers), 401, "unauthorised")
    (token,) = stored(select(ApiToken))
    assert token.revoked_at is not None


def test_a_token_cannot_revoke_someone_elses(client, enterprise, token_for, stored):
    mine = token_for(enterprise, Role.OWNER)
    theirs = token_for(enterprise, Role.VIEWER)
    their_id = max(t.id for t in stored(select(ApiToken)))
    _assert_error(client.delete(f"/api/v1/tokens/{their_id}", headers=mine), 404, "not_found")
    assert client.get("/api/v1/orgs", headers=theirs).status_code == 200


def test_the_api_ignores_cookies(client, enterprise, make_member):
    user = make_member(enterprise, Role.OWNER)
    assert sign_in(client, user.email).status_code == 302
    assert client.get(f"/o/{enterprise.slug}/members").status_code == 200
    _assert_error(client.get("/api/v1/orgs"), 401, "unauthorised")
    _assert_error(client.get(f"/api/v1/orgs/{enterprise.slug}"), 401, "unauthorised")
    _assert_error(client.post("/api/v1/orgs", json=CLIENT_BODY), 401, "unauthorised")


def test_without_a_valid_token_the_api_answers_401(client, enterprise):
    for authorization in (None, "Bearer", "Bearer pb_not-a-token", "Basic dXNlcjpwYXNz", "pb_missing-scheme"):
        headers = {"Authorization": authorization} if authorization else {}
        _assert_error(client.get(f"/api/v1/orgs/{enterprise.slug}", headers=headers), 401, "unauthorised")


def test_a_page_ignores_bearer_tokens(client, enterprise, token_for):
    response = client.get(f"/o/{enterprise.slug}/", headers=token_for(enterprise, Role.OWNER))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_bad_json_is_a_400_in_the_error_shape(client, enterprise, token_for):
    response = client.patch(
        f"/api/v1/orgs/{enterprise.slug}",
        data="{not json",
        content_type="application/json",
        headers=token_for(enterprise, Role.OWNER),
    )
    error = _assert_error(response, 400, "bad_request")
    assert "Invalid JSON" in error["message"]
    assert [d["message"] for d in error["details"]] == ["Invalid JSON body."]


INVALID_BODIES = [
    ({"colour": "red"}, "colour"),  # unknown field
    ({"name": 42}, "name"),  # wrong type
    ({"size": "huge"}, "size"),  # not one of the codes
    ({"branding": {"primary_colour": "red"}}, "branding.primary_colour"),
    ({"name": ""}, "name"),
]


def test_invalid_bodies_are_422_naming_the_field(client, consultancy, token_for, stored):
    headers = token_for(consultancy, Role.OWNER)
    for body, field in INVALID_BODIES:
        response = client.patch(f"/api/v1/orgs/{consultancy.slug}", json=body, headers=headers)
        error = _assert_error(response, 422, "invalid_input")
        assert [d["field"] for d in error["details"]] == [field]
        assert field in error["message"]
    (org,) = stored(select(Organisation).where(Organisation.id == consultancy.id))
    assert (org.name, org.size_band, org.primary_colour) == ("Brightpath Advisory", "m", None)


def test_missing_required_fields_are_named(client, consultancy, token_for):
    response = client.post("/api/v1/orgs", json={"name": "X"}, headers=token_for(consultancy, Role.OWNER))
    error = _assert_error(response, 422, "invalid_input")
    assert sorted(d["field"] for d in error["details"]) == ["industry", "region", "size"]


def test_not_found_and_method_not_allowed_use_the_error_shape(client, enterprise, token_for):
    headers = token_for(enterprise, Role.OWNER)
    _assert_error(client.get("/api/v1/orgs/no-such-org", headers=headers), 404, "not_found")
    _assert_error(client.get("/api/v1/no-such-thing", headers=headers), 404, "not_found")
    _assert_error(client.delete("/api/v1/tokens/999999", headers=headers), 404, "not_found")
    response = client.put("/api/v1/orgs", json={}, headers=headers)
    _assert_error(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_the_openapi_document_lists_paths_and_bearer_security(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "Peerbench API"
    assert {"/api/v1/orgs", "/api/v1/orgs/{slug}", "/api/v1/tokens/{token_id}"} <= set(spec["paths"])
    assert set(spec["paths"]["/api/v1/orgs/{slug}"]) >= {"get", "patch"}
    scheme = next(iter(spec["components"]["securitySchemes"].values()))
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert spec["security"]
    schemas = spec["components"]["schemas"]
    assert any("branding" in s.get("properties", {}) for s in schemas.values())


def test_the_docs_page_lists_the_endpoints(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for path in ("/api/v1/orgs", "/api/v1/orgs/{slug}", "/api/v1/tokens/{token_id}"):
        assert path in page


def test_the_health_probe_needs_no_token(client):
    response = client.get("/api/v1/health")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_using_a_token_records_its_last_use(client, enterprise, token_for, stored):
    headers = token_for(enterprise, Role.VIEWER)
    (token,) = stored(select(ApiToken))
    assert token.last_used_at is None
    assert client.get("/api/v1/orgs", headers=headers).status_code == 200
    (token,) = stored(select(ApiToken))
    assert token.last_used_at is not None


def test_only_the_token_digest_is_stored(enterprise, token_for, stored):
    secret = token_for(enterprise, Role.VIEWER)["Authorization"].removeprefix("Bearer ")
    assert len(secret) >= 40
    (token,) = stored(select(ApiToken))
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    columns = [str(getattr(token, c.key)) for c in ApiToken.__table__.columns]
    assert not any(secret in value for value in columns)
    assert secret.startswith(token.prefix)
