"""`peerbench orgs create`, `users create`, `tokens create|revoke`: options scripts rely on (DESIGN.md 11)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from tenants.models import ApiToken, Membership, Organisation, User
from tenants.roles import Role
from tests.conftest import PASSWORD, sign_in, subprocess_env

PEERBENCH = Path(sys.executable).with_name("peerbench")


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args: str):
        return runner.invoke(args=list(args))

    return invoke


def _create_org(cli, *extra: str, name: str = "Acme IT"):
    return cli(
        "orgs", "create", "--name", name, "--kind", "enterprise", "--industry", "retail", "--size", "m",
        "--region", "emea", *extra,
    )  # fmt: skip


def test_orgs_create_prints_the_slug(cli, stored):
    result = _create_org(cli)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "acme-it"
    (org,) = stored(select(Organisation))
    assert (org.name, org.kind, org.industry, org.size_band, org.region) == (
        "Acme IT",
        "enterprise",
        "retail",
        "m",
        "emea",
    )


def test_orgs_create_with_slug_and_consultancy(cli, make_org, stored):
    consultancy = make_org("Brightpath", kind="consultancy")
    result = _create_org(cli, "--slug", "acme", "--managed-by", consultancy.slug)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "acme"
    (org,) = stored(select(Organisation).where(Organisation.slug == "acme"))
    assert org.managed_by_id == consultancy.id


def test_orgs_create_refuses_a_non_consultancy_manager(cli, make_org, stored):
    enterprise = make_org("Plain Enterprise")
    result = _create_org(cli, "--managed-by", enterprise.slug)
    assert result.exit_code != 0
    assert "not a consultancy" in result.output
    assert len(stored(select(Organisation))) == 1


def test_orgs_create_refuses_unknown_codes(cli, stored):
    for option, value in [
        ("--kind", "bank"),
        ("--industry", "mining"),
        ("--size", "huge"),
        ("--region", "mars"),
    ]:
        args = ["--kind", "enterprise", "--industry", "retail", "--size", "m", "--region", "emea"]
        args[args.index(option) + 1] = value
        result = cli("orgs", "create", "--name", "X", *args)
        assert result.exit_code == 2, option
        assert value in result.output
    assert stored(select(Organisation)) == []


def test_orgs_create_refuses_a_taken_slug(cli, make_org):
    make_org("First", slug="taken")
    result = _create_org(cli, "--slug", "taken")
    assert result.exit_code == 1
    assert "taken" in result.output


def test_users_create_makes_a_member_who_can_sign_in(app, cli, make_org, stored):
    org = make_org("Acme IT")
    result = cli("users", "create", "--email", "ops@acme.example", "--org", org.slug, "--role", "analyst",
                 "--password", PASSWORD)  # fmt: skip
    assert result.exit_code == 0, result.output
    (user,) = stored(select(User))
    (membership,) = stored(select(Membership))
    assert (membership.user_id, membership.org_id, membership.role) == (user.id, org.id, Role.ANALYST)
    assert PASSWORD not in user.password_hash
    client = app.test_client()
    assert sign_in(client, "ops@acme.example").status_code == 302
    assert client.get(f"/o/{org.slug}/members").status_code == 200


def test_users_create_prompts_for_the_password(app, make_org, stored):
    org = make_org("Acme IT")
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "p@acme.example", "--org", org.slug, "--role", "viewer"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert len(stored(select(Membership))) == 1


def test_users_create_refuses_a_weak_password(cli, make_org, stored):
    org = make_org("Acme IT")
    result = cli("users", "create", "--email", "w@acme.example", "--org", org.slug, "--role", "viewer",
                 "--password", "short")  # fmt: skip
    assert result.exit_code == 1
    assert stored(select(User)) == []


def test_tokens_create_prints_the_token_alone_on_its_last_line(app, cli, make_org, make_member, stored):
    org = make_org("Acme IT")
    user = make_member(org, Role.ANALYST)
    result = cli("tokens", "create", "--email", user.email, "--org", org.slug, "--name", "nightly")
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip().splitlines()[-1]
    assert secret == result.output.strip().splitlines()[-1]
    assert " " not in secret
    response = app.test_client().get("/api/v1/orgs", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.get_json()["organisations"][0]["role"] == "analyst"
    (token,) = stored(select(ApiToken))
    assert token.name == "nightly"


def test_tokens_create_needs_a_role_on_the_organisation(cli, make_org, make_member, stored):
    user = make_member(make_org("Mine"), Role.OWNER)
    other = make_org("Not Mine")
    result = cli("tokens", "create", "--email", user.email, "--org", other.slug)
    assert result.exit_code == 1
    assert stored(select(ApiToken)) == []


def test_tokens_revoke(app, cli, make_org, token_for, stored):
    org = make_org("Acme IT")
    headers = token_for(org, Role.OWNER)
    (token,) = stored(select(ApiToken))
    result = cli("tokens", "revoke", str(token.id))
    assert result.exit_code == 0, result.output
    assert app.test_client().get("/api/v1/orgs", headers=headers).status_code == 401
    assert cli("tokens", "revoke", "999999").exit_code == 1


def test_the_console_script_runs_against_the_configured_database(app_config, stored):
    """The installed `peerbench` command, configured by the environment only, as a script would call it."""
    env = subprocess_env(
        DATABASE_URL=str(app_config["database_url"]), PEERBENCH_INSTANCE_PATH=str(app_config["instance_path"])
    )
    args = ["orgs", "create", "--name", "Script Org", "--kind", "research", "--industry", "education",
            "--size", "s", "--region", "apac"]  # fmt: skip
    result = subprocess.run([PEERBENCH, *args], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "script-org"
    (org,) = stored(select(Organisation))
    assert (org.kind, org.region) == ("research", "apac")
