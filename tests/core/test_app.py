"""The application shell: refusing an un-migrated database, security headers everywhere, one error shape."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from core.app import create_app
from core.cli import main
from core.errors import NotMigrated
from tenants.roles import Role

SECURITY_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def test_the_app_refuses_an_unmigrated_database(app_config, tmp_path):
    empty = tmp_path / "empty.db"
    with pytest.raises(NotMigrated) as refused:
        create_app({**app_config, "database_url": f"sqlite:///{empty}"})
    assert "peerbench db upgrade" in str(refused.value)
    assert "empty" in str(refused.value)


def test_the_console_refuses_an_unmigrated_database_naming_the_command(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "PEERBENCH_INSTANCE_PATH": str(tmp_path)}
    # `--help` works without a database (tests/core/test_input_bounds.py); running the command refuses
    result = CliRunner().invoke(main, ["recompute"], env=env)
    assert result.exit_code == 2
    assert "peerbench db upgrade" in result.output


@pytest.fixture
def boom_app(app):
    """The app with a page and an API route that fail unexpectedly (registered before its first request)."""

    def boom() -> str:
        raise RuntimeError("unexpected failure with internal detail")

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/v1/boom", "api_boom", boom)
    return app


def _assert_security_headers(response) -> None:
    for header, expected in SECURITY_HEADERS.items():
        assert expected in response.headers.get(header, ""), (header, response.status_code)


def test_security_headers_on_pages_api_and_errors(boom_app, make_org, token_for):
    org = make_org("Acme IT")
    headers = token_for(org, Role.VIEWER)
    client = boom_app.test_client()
    responses = {
        "page": client.get("/login"),
        "redirect": client.get(f"/o/{org.slug}/members"),
        "api": client.get("/api/v1/orgs", headers=headers),
        "openapi": client.get("/api/v1/openapi.json"),
        "page 404": client.get("/no-such-page"),
        "api 404": client.get("/api/v1/orgs/nope", headers=headers),
        "api 401": client.get("/api/v1/orgs"),
        "page 500": client.get("/boom"),
        "api 500": client.get("/api/v1/boom"),
    }
    assert [r.status_code for r in responses.values()] == [200, 302, 200, 200, 404, 404, 401, 500, 500]
    for response in responses.values():
        _assert_security_headers(response)


def test_an_unexpected_api_error_is_json_in_the_error_shape(boom_app):
    response = boom_app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    assert response.content_type == "application/json"
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == "internal_error"
    assert "internal detail" not in response.get_data(as_text=True)


def test_an_unexpected_page_error_is_an_error_page(boom_app):
    response = boom_app.test_client().get("/boom")
    assert response.status_code == 500
    assert "text/html" in response.content_type
    assert "Something went wrong" in response.get_data(as_text=True)
    assert "internal detail" not in response.get_data(as_text=True)


def test_pages_are_not_cached(client):
    assert client.get("/login").headers["Cache-Control"] == "no-store"
