"""Schemathesis against the API's own OpenAPI schema, signed in, over the ASGI app: examples
generated from the schema (valid and invalid, a bounded number each, derandomised) are sent to
every operation, and none may be answered with a server error."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode

SLUG = "reduced-offending-2018-21"
EXAMPLES = 40
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,  # the same examples every run
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def api_schema(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return schemathesis.openapi.from_dict(response.json())


def operations(schema):
    found = [result.ok() for result in schema.get_all_operations()]
    assert {operation.path for operation in found} >= {
        "/api/v1/plans",
        "/api/v1/plans/{slug}/progress",
        "/api/v1/plans/{slug}/reports/appendix",
    }
    return found


def send(client, case):
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    return client.request(
        kwargs["method"],
        kwargs["url"],
        params=kwargs.get("params"),
        headers={k: v for k, v in (kwargs.get("headers") or {}).items() if k.lower() != "cookie"},
    )


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("demo_plan", [False, True], ids=["any-slug", "demo-plan"])
def test_no_api_operation_answers_with_a_server_error(client, api_schema, mode, demo_plan):
    answered: list[int] = []
    for operation in operations(api_schema):
        fixed = {"slug": SLUG} if demo_plan and "{slug}" in operation.path else None

        @FUZZ_SETTINGS
        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
        def check(case):
            response = send(client, case)
            answered.append(response.status_code)
            assert response.status_code < 500, f"{case.as_curl_command()}: {response.text[:300]}"

        if mode == GenerationMode.NEGATIVE and not operation.path.count("{") and not fixed:
            # /api/v1/plans takes nothing: there is no invalid input to make for it.
            continue
        check()
    assert len(answered) >= EXAMPLES
    if demo_plan:  # signed in, and some examples reach the report itself
        assert 200 in answered
