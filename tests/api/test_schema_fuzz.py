"""Schemathesis against the API's own OpenAPI schema, as a client would call it: with a
read-write bearer token (the office's), over the ASGI app. Examples generated from the schema
(valid and invalid, a bounded number each, derandomised) are sent to every operation; none may
be answered with a server error, and every answer must be one the schema declares, in the
shape and content type it declares."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import bearer

SLUG = "reduced-offending-2018-21"
# Names from the demo data, so that examples reach the records themselves, not only 404.
DEMO = {
    "slug": SLUG,
    "ref": "OM1",
    "short_name": "OMCDB",
    "key": "confidence-in-police",
}
EXAMPLES = 12
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,  # the same examples every run
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return schemathesis.openapi.from_dict(response.json())


@pytest.fixture
def token_headers(make_token):
    return bearer(make_token(name="fuzz", scope="write", person="admin@plantrack.example"))


def operations(schema):
    found = [result.ok() for result in schema.get_all_operations()]
    assert {operation.path for operation in found} >= {
        "/api/v1/plans",
        "/api/v1/plans/{slug}/progress",
        "/api/v1/plans/{slug}/reports/appendix",
        "/api/v1/plans/{slug}/actions/{ref}/updates",
        "/api/v1/plans/{slug}/actions-as-at.csv",
        "/api/v1/plans/{slug}/outcomes",
        "/api/v1/plans/{slug}/milestones",
        "/api/v1/plans/{slug}/owners",
        "/api/v1/audit",
    }
    return found


def send(client, case, headers):
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    sent = {k: v for k, v in (kwargs.get("headers") or {}).items() if k.lower() != "cookie"}
    sent = sent | headers
    response = client.request(
        kwargs["method"],
        kwargs["url"],
        params=kwargs.get("params"),
        headers=sent,
        content=kwargs.get("content"),
        json=kwargs.get("json"),
    )
    return response, sent


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("demo", [False, True], ids=["any-names", "demo-names"])
def test_every_operation_answers_as_its_schema_says(
    app_client, api_schema, token_headers, mode, demo
):
    answered: list[int] = []
    for operation in operations(api_schema):
        fixed = (
            {name: DEMO[name] for name in DEMO if "{" + name + "}" in operation.path}
            if demo
            else {}
        )

        @FUZZ_SETTINGS
        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed or None))
        def check(case):
            response, sent = send(app_client, case, token_headers)
            answered.append(response.status_code)
            assert response.status_code < 500, f"{case.as_curl_command()}: {response.text[:300]}"
            case.validate_response(response, checks=CHECKS, headers=sent)

        try:
            check()
        except Exception as error:
            if "Unsatisfiable" in type(error).__name__ or "no invalid" in str(error).lower():
                continue  # nothing invalid to make for an operation that takes nothing
            raise
    assert len(answered) >= EXAMPLES
    if demo and mode == GenerationMode.POSITIVE:  # valid requests reach the records themselves
        assert answered.count(200) >= EXAMPLES
