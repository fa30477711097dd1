"""The API's schema and its Swagger UI: for people signed in, served from this server only."""

import re

from app.core.config import PROJECT_ROOT


def test_the_docs_and_schema_need_a_sign_in(app_client):
    page = app_client.get("/api/docs", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/sign-in?next=%2Fapi%2Fdocs"
    schema = app_client.get("/api/openapi.json")
    assert schema.status_code == 401 and schema.json()["detail"] == ["Sign in first."]
    # FastAPI's own open addresses are gone.
    for path in ("/openapi.json", "/docs", "/redoc", "/api/redoc"):
        assert app_client.get(path, follow_redirects=False).status_code == 404, path


def test_the_schema_describes_the_json_api_only(client):
    schema = client.get("/api/openapi.json").json()
    assert schema["info"]["title"] == "plantrack"
    assert all(path.startswith("/api/v1/") for path in schema["paths"])
    assert {
        "/api/v1/plans",
        "/api/v1/plans/{slug}/progress",
        "/api/v1/plans/{slug}/reports/appendix",
        "/api/v1/plans/{slug}/actions",
        "/api/v1/plans/{slug}/actions/{ref}/updates",
        "/api/v1/plans/{slug}/actions-as-at.csv",
        "/api/v1/audit",
    } <= set(schema["paths"])


def test_the_schema_declares_both_credentials_and_problem_details(client):
    schema = client.get("/api/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearerToken"]["description"],
    }
    assert schemes["sessionCookie"]["in"] == "cookie"
    assert schema["security"] == [{"bearerToken": []}, {"sessionCookie": []}]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status in ("401", "403", "404", "422"):
                content = operation["responses"][status]["content"]
                assert "application/problem+json" in content, (method, path, status)
    post = schema["paths"]["/api/v1/plans/{slug}/actions/{ref}/updates"]["post"]
    assert {"412", "428", "409"} <= set(post["responses"])
    assert post["requestBody"]["content"]["application/json"]["schema"]
    assert "Problem" in schema["components"]["schemas"]


def test_the_docs_page_loads_swagger_ui_from_this_server_without_inline_script(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(source.startswith("/") for source in sources), sources
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in sources
    assert "/static/js/api-docs.js" in sources
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), "an inline script"
    assert 'data-openapi-url="/api/openapi.json"' in page.text
    for path in sources:
        assert client.get(path).status_code == 200, path


def test_swagger_ui_is_vendored_at_the_pinned_version():
    script = (PROJECT_ROOT / "scripts" / "vendor-frontend.sh").read_text()
    pinned = re.search(r"^SWAGGER_UI=(\S+)$", script, re.MULTILINE).group(1)
    vendored = PROJECT_ROOT / "static" / "vendor" / "swagger-ui"
    assert (vendored / "VERSION").read_text().strip() == pinned
    assert (vendored / "LICENSE").exists()
    bundle = (vendored / "swagger-ui-bundle.js").read_text()
    assert "SwaggerUIBundle" in bundle and "sourceMappingURL" not in bundle[-200:]
