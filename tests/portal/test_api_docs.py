"""/api/docs/ (Swagger UI): what the browser tests in e2e/ found, kept from coming back."""

import json

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


def test_the_docs_page_says_its_language_and_loads_our_theme(client):
    html = client.get("/api/docs/").content.decode()

    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="da">' in html
    assert "portal/css/api-docs.css" in html
    assert "portal/js/api-docs.js" in html
    # The site's CSP allows neither inline styles nor inline scripts.
    assert "<style" not in html
    assert "<script>" not in html


def test_no_operation_link_sits_inside_its_button(client):
    script = client.get("/api/docs/", {"script": ""}).content.decode()

    settings = json.loads(script.split("const swaggerSettings = ", 1)[1].split(";\n", 1)[0])
    assert settings["deepLinking"] is False


def test_every_operation_may_be_called_without_a_key():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert {} in operation["security"], f"{method.upper()} {path} would demand a key"
            assert {"apiKey": []} in operation["security"], f"{method.upper()} {path} takes no key"
