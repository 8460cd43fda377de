"""No 500 for any input: ids beyond the database integer, unbounded dates, enum-like form fields, defaults
of query parameters, and `--help` before the database exists."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from marshmallow import Schema, class_registry, fields, validate

from core.cli import main
from core.converters import MAX_DATABASE_ID, DatabaseIdConverter
from core.fields import BoundedDateTime
from tenants.models import OrgKind
from tenants.roles import Role

HUGE = "78023428107103059968"


def _assert_error_shape(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert set(error) == {"code", "message", "details"}
    return error


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/reports/{id}/regenerate"),
        ("get", "/reports/{id}/pdf"),
        ("get", "/reports/{id}"),
        ("delete", "/reports/{id}"),
        ("get", "/polls/{id}/results"),
        ("patch", "/polls/{id}"),
        ("get", "/submissions/{id}"),
    ],
)
@pytest.mark.parametrize("item_id", [HUGE, str(MAX_DATABASE_ID + 1), "0"])
def test_an_id_out_of_the_database_range_is_404(client, make_org, token_for, method, path, item_id):
    org = make_org(kind=OrgKind.RESEARCH)
    headers = token_for(org, Role.OWNER)
    url = f"/api/v1/orgs/{org.slug}" + path.format(id=item_id)
    response = getattr(client, method)(url, headers=headers, json={})
    assert _assert_error_shape(response, 404)["code"] == "not_found"


def test_the_largest_database_id_is_an_ordinary_missing_report(client, make_org, token_for):
    org = make_org()
    response = client.get(
        f"/api/v1/orgs/{org.slug}/reports/{MAX_DATABASE_ID}", headers=token_for(org, "owner")
    )
    assert _assert_error_shape(response, 404)["message"] == "No such report."


def test_every_id_in_a_url_is_bounded_and_documented(app):
    int_rules = [r for r in app.url_map.iter_rules() if "<int:" in r.rule]
    assert int_rules, "the app has id routes"
    for rule in int_rules:
        for converter in rule._converters.values():
            if converter.regex == r"\d+":
                assert isinstance(converter, DatabaseIdConverter), rule.rule
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    id_params = [
        p
        for operations in spec["paths"].values()
        for p in operations.get("parameters", [])
        if p["in"] == "path" and p["schema"]["type"] == "integer"
    ]
    assert id_params
    assert all(
        p["schema"] == {"type": "integer", "minimum": 1, "maximum": MAX_DATABASE_ID} for p in id_params
    )


@pytest.mark.parametrize("path", ["", "/reports/{}/download", "/polls/{}", "/submissions/{}.json"])
def test_a_huge_id_in_a_page_url_is_a_404_page(client_as, make_org, path):
    org = make_org()
    response = client_as(org, Role.OWNER).get(
        f"/o/{org.slug}" + (path.format(HUGE) if path else "/x/" + HUGE)
    )
    assert response.status_code == 404


def test_profile_without_a_cohort_uses_the_industry_cohort(client, make_org, token_for):
    org = make_org()
    headers = token_for(org, Role.VIEWER)
    default = client.get(f"/api/v1/orgs/{org.slug}/profile", headers=headers)
    explicit = client.get(f"/api/v1/orgs/{org.slug}/profile?cohort=industry", headers=headers)
    assert default.status_code == 200, default.get_data(as_text=True)
    assert default.get_json() == explicit.get_json()


def test_positions_without_a_cohort_use_the_industry_cohort(client, make_org, token_for):
    org = make_org()
    headers = token_for(org, Role.VIEWER)
    default = client.get(f"/api/v1/orgs/{org.slug}/positions?window=2026-Q3", headers=headers)
    explicit = client.get(
        f"/api/v1/orgs/{org.slug}/positions?window=2026-Q3&cohort=industry", headers=headers
    )
    assert default.status_code == 200, default.get_data(as_text=True)
    assert default.get_json() == explicit.get_json()


def _schemas() -> list[type[Schema]]:
    import benchmarks.web  # noqa: F401 - every API schema is imported by the blueprints

    return [cls for classes in class_registry._registry.values() for cls in classes]


def _input_schemas(app) -> list[Schema]:
    """The schemas the API loads requests with (`@blp.arguments`), nested ones included."""
    found: list[Schema] = []
    for view in app.view_functions.values():
        view_class = getattr(view, "view_class", None)
        handlers = (
            [getattr(view_class, m, None) for m in ("get", "post", "put", "patch", "delete")]
            if view_class
            else [view]
        )
        for handler in handlers:
            if handler is None:
                continue
            for argument in getattr(handler, "_apidoc", {}).get("arguments", {}).get("parameters", []):
                schema = argument["schema"]
                found.append(schema() if isinstance(schema, type) else schema)
    nested = list(found)
    while nested:
        schema = nested.pop()
        for field in schema.fields.values():
            inner = getattr(field, "inner", field)
            if isinstance(inner, fields.Nested):
                found.append(inner.schema)
                nested.append(inner.schema)
    return found


def test_every_default_is_a_loaded_value():
    """A non-callable load_default is handed to the view as is: it must already be what loading gives."""
    for schema in _schemas():
        for name, field in schema._declared_fields.items():
            default = field.load_default
            if (
                default is None
                or callable(default)
                or field.dump_only
                or default.__class__.__name__ == "_Missing"
            ):
                continue
            assert field.deserialize(default) == default, f"{schema.__name__}.{name}"


def test_every_date_time_input_is_bounded(app):
    schemas = _input_schemas(app)
    assert any("closes_at" in schema.fields for schema in schemas)
    for schema in schemas:
        for name, field in schema.fields.items():
            if isinstance(field, fields.DateTime | fields.Date) and not field.dump_only:
                assert isinstance(field, BoundedDateTime), f"{type(schema).__name__}.{name}"


def test_every_integer_input_is_bounded(app):
    """An unbounded integer reaches the database as an overflow; the bounds are documented too."""
    for schema in _input_schemas(app):
        for name, field in schema.fields.items():
            if isinstance(field, fields.Integer) and not field.dump_only:
                maxima = [v.max for v in field.validators if isinstance(v, validate.Range)]
                assert any(m is not None for m in maxima), f"{type(schema).__name__}.{name}"


@pytest.mark.parametrize(
    "closes_at",
    ["0001-01-01T07:17:19.16+22:20", "9999-12-31T23:59:59-23:00", "1999-12-31T23:00:00Z", "3000-01-01"],
)
def test_a_poll_date_out_of_range_is_422_naming_the_field(client, make_org, token_for, closes_at):
    org = make_org(kind=OrgKind.RESEARCH)
    response = client.post(
        f"/api/v1/orgs/{org.slug}/polls",
        headers=token_for(org, Role.OWNER),
        json={"title": "Webinar", "questions": [{"library": "user_view"}], "closes_at": closes_at},
    )
    error = _assert_error_shape(response, 422)
    assert [d["field"] for d in error["details"]] == ["closes_at"]


def test_a_poll_date_with_an_offset_is_stored_in_utc(client, make_org, token_for):
    org = make_org(kind=OrgKind.RESEARCH)
    response = client.post(
        f"/api/v1/orgs/{org.slug}/polls",
        headers=token_for(org, Role.OWNER),
        json={
            "title": "Webinar",
            "questions": [{"library": "user_view"}],
            "closes_at": "2030-01-01T23:30:00-02:00",
        },
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["closes_at"].startswith("2030-01-02T01:30:00")


@pytest.mark.parametrize("kind", ["metric", "", "SURVEY", "metrics\x00", "x" * 5000])
def test_an_upload_of_an_unknown_kind_is_422_and_stores_nothing(client, make_org, token_for, kind):
    org = make_org()
    headers = token_for(org, Role.OWNER)
    response = client.post(
        f"/api/v1/orgs/{org.slug}/submissions",
        headers=headers,
        data={
            "kind": kind,
            "file": (__import__("io").BytesIO(b"period,metric,value\n2026-07,fcr_rate,70\n"), "m.csv"),
        },
    )
    error = _assert_error_shape(response, 422)
    assert [d["field"] for d in error["details"]] == ["kind"]
    assert client.get(f"/api/v1/orgs/{org.slug}/submissions", headers=headers).get_json() == []


def test_the_upload_page_refuses_an_unknown_kind(client_as, make_org):
    import io

    from tests.conftest import csrf_token

    org = make_org()
    browser = client_as(org, Role.OWNER)
    token = csrf_token(browser, f"/o/{org.slug}/upload")
    response = browser.post(
        f"/o/{org.slug}/upload",
        data={
            "csrf_token": token,
            "kind": "metricz",
            "file": (io.BytesIO(b"period,metric,value\n"), "m.csv"),
        },
    )
    assert response.status_code == 303
    assert "metrics or survey" in browser.get(f"/o/{org.slug}/upload").get_data(as_text=True)


def test_a_json_body_that_is_not_an_object_is_422(client, make_org, token_for):
    org = make_org()
    response = client.post(
        f"/api/v1/orgs/{org.slug}/submissions", headers=token_for(org, "owner"), json=[1, 2]
    )
    assert _assert_error_shape(response, 422)["code"] == "invalid_input"


@pytest.mark.parametrize(
    "args",
    [["--help"], ["orgs", "--help"], ["orgs", "create", "--help"], ["tokens", "create", "--help"],
     ["import", "--help"], ["report", "--help"], ["recompute", "--help"], ["worker", "--help"],
     ["db", "--help"], ["db", "upgrade", "--help"], ["demo", "--help"], ["run", "--help"]],
)  # fmt: skip
def test_every_help_works_without_a_database(tmp_path, args):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "PEERBENCH_INSTANCE_PATH": str(tmp_path)}
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    assert re.search(r"^Usage: ", result.output, re.MULTILINE)


def test_the_top_help_lists_the_app_commands_without_a_database(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "PEERBENCH_INSTANCE_PATH": str(tmp_path)}
    result = CliRunner().invoke(main, ["--help"], env=env)
    for command in ("orgs", "users", "tokens", "import", "recompute", "report", "worker", "db", "demo"):
        assert re.search(rf"^\s+{command}\s", result.output, re.MULTILINE), command
