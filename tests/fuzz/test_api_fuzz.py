"""schemathesis against /api/v1/openapi.json: every operation, as every kind of caller, and linked sequences.

Fails on any 5xx, on a status, content type or body the document does not declare, and on an error body
that is not `{"error": {"code", "message", "details"}}`. Example counts are bounded so the suite stays fast:
FUZZ_EXAMPLES (default 20 on SQLite, 6 on PostgreSQL) per operation and caller.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tenants.models import OrgKind
from tenants.roles import Role

CALLERS = ("owner", "analyst", "viewer", "foreign", "anonymous")


def error_shape(ctx, response, case) -> bool | None:
    """Every error answer of the API is the one JSON error shape of DESIGN.md section 10."""
    if response.status_code < 400:
        return None
    body = response.json()
    assert isinstance(body, dict), f"not the error shape: {body!r}"
    assert set(body) == {"error"}, f"not the error shape: {body!r}"
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, f"not the error shape: {body!r}"
    assert isinstance(error["code"], str)
    assert isinstance(error["message"], str)
    assert isinstance(error["details"], list)
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    error_shape,
]


@dataclass
class World:
    slug: str
    headers: dict[str, dict[str, str]]  # caller -> Authorization header (empty for anonymous)


@pytest.fixture
def world(app, make_org, token_for) -> World:
    org = make_org("Acme Research", kind=OrgKind.RESEARCH)
    stranger = make_org("Stranger Inc")
    headers = {
        "owner": token_for(org, Role.OWNER),
        "analyst": token_for(org, Role.ANALYST),
        "viewer": token_for(org, Role.VIEWER),
        "foreign": token_for(stranger, Role.OWNER),
        "anonymous": {},
    }
    return World(org.slug, headers)


def _examples(backend) -> int:
    return int(os.environ.get("FUZZ_EXAMPLES", "6" if backend.is_postgres else "20"))


def _operations(app) -> list:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def _run(operation, world: World, caller: str, examples: int) -> None:
    fixed = {"slug": world.slug} if any(p.name == "slug" for p in operation.path_parameters) else None
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed),
        operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=fixed),
    )

    @given(case=cases)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        case.call_and_validate(headers=world.headers[caller], checks=CHECKS)

    run()


@pytest.mark.parametrize("caller", CALLERS)
def test_every_operation_answers_as_documented(app, world, backend, caller):
    failures = []
    for operation in _operations(app):
        try:
            _run(operation, world, caller, _examples(backend))
        except BaseExceptionGroup as error:  # collect every operation's failures, then report them together
            failures.append(f"{operation.label}: {error}")
        except Exception as error:
            failures.append(f"{operation.label}: {error}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("caller", ["owner", "analyst"])
def test_linked_sequences_answer_as_documented(app, world, backend, caller):
    """Ids created by one call (a poll, a report, a submission) feed the calls the document links to."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    reached: list[str] = []  # operations on an id a previous call created, answered 2xx

    class Sequences(schema.as_state_machine()):
        def before_call(self, case) -> None:
            if "slug" in (case.path_parameters or {}):
                case.path_parameters["slug"] = world.slug

        def get_call_kwargs(self, case) -> dict:
            return {"headers": world.headers[caller]}

        def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
            if response.status_code < 300 and any(n.endswith("_id") for n in case.path_parameters or {}):
                reached.append(case.operation.label)
            case.validate_response(response, checks=CHECKS)

    Sequences.run(
        settings=settings(
            max_examples=_examples(backend) * 3,
            stateful_step_count=6,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
    # the links work: a created poll was then read, edited or counted through its id
    assert any("/polls/{poll_id}" in label for label in reached), reached
