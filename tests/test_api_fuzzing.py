"""Schemathesis fuzzes every operation of the OpenAPI schema: no request, however malformed, gets a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.support import Api


@pytest.fixture
def api_schema(app, api: Api):  # type: ignore[no-untyped-def]
    # A little data to find: a case in each entry state, and one applied for.
    api.create_case("knivsta", "delmos-2018")
    case = api.create_case("aarhus", "star-flere-skal-med-2017")
    api.move("aarhus", case["id"], "apply_implementation", requested_amount="1000")
    # A scheduler has swept: /health is 503 only when the service is in trouble, which it is not.
    app.state.keeper.sweep()
    return schemathesis.openapi.from_asgi("/openapi.json", app)


# As every role: the lead applicant, a stranger, and each kind of staff.
ROLES = ["knivsta", "aarhus", "caseworker", "approver", "auditor", "admin"]


# Drawn inside the test (not with schemathesis' pytest plugin) because the schema comes from a
# fixture: the app on this test's own database.
@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), who=st.sampled_from(ROLES))
def test_no_request_to_any_operation_gets_a_server_error(
    api_schema, api: Api, data, who: str
) -> None:  # type: ignore[no-untyped-def]
    strategy = st.one_of(
        api_schema.as_strategy(GenerationMode.POSITIVE),
        api_schema.as_strategy(GenerationMode.NEGATIVE),
        # Aimed at the cases that exist, so transitions meet real states and real guards.
        *(
            api_schema.as_strategy(GenerationMode.POSITIVE, path_parameters={"case_id": i})
            for i in (1, 2)
        ),
    )
    case = data.draw(strategy, label="request")
    response = case.call(headers=api.headers(who))
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text}"
    )
    case.validate_response(response, checks=[not_a_server_error])
    event(f"{case.method} {case.path} -> {response.status_code}")


def test_text_postgresql_cannot_store_is_refused_as_a_problem_and_changes_nothing(
    api: Api, app
) -> None:
    # The case the fuzzer found: a NUL character, which SQLite keeps and PostgreSQL refuses.
    def organisations() -> int:
        return len(api.get("caseworker", "/organisations").json())

    before = organisations()
    response = api.post(
        "caseworker",
        "/organisations",
        json={"name": "Knivsta\u0000kommun", "kind": "municipality", "country": "SE"},
    )
    if app.state.services.units.db.is_sqlite:
        assert response.status_code == 201
        return
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/unstorable-value"
    assert organisations() == before
