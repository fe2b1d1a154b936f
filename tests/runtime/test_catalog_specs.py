"""Reading specs safely: versions, formats, size, YAML alias bombs, and what managed specs lose on the way."""

from __future__ import annotations

import json

import pytest

from portal_common.specs import MAX_SPEC_BYTES, SpecError, load_spec, parse

SWAGGER2 = {
    "swagger": "2.0",
    "info": {"title": "Pets", "version": "1.0"},
    "host": "abc.execute-api.us-east-1.amazonaws.com",
    "basePath": "/prod",
    "schemes": ["https"],
    "paths": {"/pets": {"get": {"responses": {"200": {"description": "ok"}}}}},
}
OAS30 = {
    "openapi": "3.0.3",
    "info": {"title": "Orders", "version": "2", "description": "Buy things"},
    "servers": [{"url": "https://orders.example.com/v2"}],
    "tags": [{"name": "orders"}],
    "paths": {
        "/orders/{id}": {
            "get": {
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}},
            }
        }
    },
}
OAS31 = {
    "openapi": "3.1.0",
    "info": {"title": "Webhooks only", "version": "3"},
    "webhooks": {"ping": {"post": {"responses": {"200": {"description": "ok"}}}}},
}

ORDERS_YAML = b"""
openapi: 3.0.3
info:
  title: Orders
  version: 2024-05-01
paths:
  /orders:
    get:
      responses:
        200:
          description: ok
"""


@pytest.mark.parametrize(
    ("document", "version", "endpoint"),
    [
        (SWAGGER2, "2.0", "https://abc.execute-api.us-east-1.amazonaws.com/prod"),
        (OAS30, "3.0.3", "https://orders.example.com/v2"),
        (OAS31, "3.1.0", None),
    ],
)
def test_reads_swagger_2_and_openapi_3_0_and_3_1(document: dict, version: str, endpoint: str | None) -> None:
    # Given a valid document of each supported version
    # When it is loaded
    loaded = load_spec("api.json", json.dumps(document).encode())
    # Then its version, title and endpoint are summarized
    assert loaded.summary.openapi == version
    assert loaded.summary.title == document["info"]["title"]
    assert loaded.summary.endpoint == endpoint


def test_yaml_keeps_dates_as_text_and_numeric_response_codes_as_strings() -> None:
    # Given YAML whose version looks like a date and whose response code is a bare number
    # When it is loaded
    loaded = load_spec("orders.yaml", ORDERS_YAML)
    # Then the document is plain JSON data: a string version and a "200" key
    assert loaded.summary.version == "2024-05-01"
    assert "200" in loaded.document["paths"]["/orders"]["get"]["responses"]
    json.dumps(loaded.document)


def test_fails_when_the_file_is_too_large() -> None:
    with pytest.raises(SpecError, match=r"takes specs up to 5,242,880 bytes"):
        parse("huge.json", b" " * (MAX_SPEC_BYTES + 1))


def test_fails_when_yaml_is_an_alias_bomb() -> None:
    # Given the "billion laughs": nine levels of nine aliases each
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, 10):
        refs = ", ".join(f"*a{level - 1}" for _ in range(9))
        lines.append(f"a{level}: &a{level} [{refs}]")
    bomb = ("\n".join(lines) + "\nopenapi: 3.0.0\n").encode()
    # When it is parsed, Then it is refused before it is expanded in memory
    with pytest.raises(SpecError, match="looks like a YAML alias bomb"):
        parse("bomb.yaml", bomb)


def test_fails_when_yaml_refers_to_itself() -> None:
    with pytest.raises(SpecError, match="refers to itself through YAML aliases"):
        parse("loop.yaml", b"openapi: 3.0.0\nloop: &loop [*loop]\n")


def test_fails_when_yaml_uses_python_tags() -> None:
    # The safe loader builds no Python objects, whatever the file asks for.
    with pytest.raises(SpecError, match="is not valid YAML"):
        parse("evil.yaml", b"openapi: !!python/object/apply:os.system ['true']\n")


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("broken.json", b'{"openapi": ', r"broken.json is not valid JSON: Expecting value at line 1"),
        ("broken.yaml", b"openapi: [3.0\n", r"broken.yaml is not valid YAML: .* at line 2"),
        ("list.yaml", b"- openapi\n", r"holds a list, not an OpenAPI or Swagger document"),
        ("latin1.json", '{"x": "é"}'.encode("latin-1"), r"is not UTF-8 text"),
    ],
)
def test_fails_when_the_file_does_not_parse(name: str, body: bytes, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse(name, body)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"openapi": "3.2.0", "info": {"title": "t", "version": "1"}, "paths": {}}, r"OpenAPI 3.0 and 3.1"),
        ({"swagger": "1.2", "info": {"title": "t", "version": "1"}}, r"the only Swagger version is '2.0'"),
        ({"info": {"title": "t", "version": "1"}}, r"neither 'openapi' nor 'swagger'"),
    ],
)
def test_fails_when_the_version_is_not_supported(document: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        load_spec("api.json", json.dumps(document).encode())


def test_fails_when_the_document_breaks_the_openapi_schema() -> None:
    document = {"openapi": "3.0.3", "info": {"title": "t"}, "paths": {"/x": {"get": {}}}}
    with pytest.raises(SpecError, match=r"not a valid OpenAPI 3.0.3 document: info: 'version' is a required"):
        load_spec("api.json", json.dumps(document).encode())


def test_fails_when_the_api_has_no_title() -> None:
    document = {"openapi": "3.1.0", "info": {"title": "", "version": "1"}, "paths": {}}
    with pytest.raises(SpecError, match=r"has no info.title; give the API a title"):
        load_spec("api.json", json.dumps(document).encode())


def test_managed_specs_expand_any_and_drop_gateway_internals() -> None:
    # Given an API Gateway export with an ANY method, an integration and an authorizer
    export = {
        "swagger": "2.0",
        "info": {"title": "Export", "version": "2024"},
        "paths": {
            "/items": {
                "get": {"summary": "kept", "responses": {"200": {"description": "ok"}}},
                "x-amazon-apigateway-any-method": {
                    "responses": {"200": {"description": "any"}},
                    "x-amazon-apigateway-integration": {"uri": "arn:aws:lambda:secret"},
                },
            }
        },
        "securityDefinitions": {
            "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
            "pool": {
                "type": "apiKey",
                "name": "Authorization",
                "in": "header",
                "x-amazon-apigateway-authorizer": {"providerARNs": ["arn:aws:cognito-idp:secret"]},
            },
        },
    }
    # When it is loaded as a managed spec
    loaded = load_spec("catalog/a1b2c3d4e5_prod.json", json.dumps(export).encode(), managed=True)
    # Then every method is listed, an existing one is kept, and nothing of the wiring is left
    item = loaded.document["paths"]["/items"]
    assert sorted(item) == ["delete", "get", "head", "options", "patch", "post", "put"]
    assert item["get"]["summary"] == "kept"
    assert "secret" not in json.dumps(loaded.document)
    assert loaded.document["securityDefinitions"]["api_key"]["name"] == "x-api-key"
