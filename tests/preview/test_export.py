"""API Gateway's GetExport of the sample API, answered by the preview, since moto's export is not valid Swagger.

The runtime calls the same ``get_export`` in AWS and here; other APIs still get moto's export.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError
from openapi_spec_validator import validate

from devportal_constructs.preview import Preview
from devportal_constructs.preview.testing import sign_in

GATEWAY_EXTENSION = "x-amazon-apigateway-"


def export(preview: Preview, stage: str, export_type: str, accepts: str = "application/json", **parameters: str) -> Any:
    return preview.aws("apigateway").get_export(
        restApiId=preview.sample_api_id,
        stageName=stage,
        exportType=export_type,
        parameters=parameters,
        accepts=accepts,
    )


def operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [operation for item in document["paths"].values() for operation in item.values()]


def gateway_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {key for key in value if key.startswith(GATEWAY_EXTENSION)}
        return found.union(*(gateway_keys(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(gateway_keys(item) for item in value))
    return set()


def test_a_swagger_export_of_a_stage_is_valid_swagger_that_calls_the_local_stage(preview: Preview) -> None:
    # When the dev stage is exported as Swagger, as the admin's Show exports it
    exported = export(preview, "dev", "swagger", extensions="apigateway")
    document = json.loads(exported["body"].read())
    # Then it is valid Swagger 2.0, pointing at the preview's dev stage
    validate(document)
    assert document["swagger"] == "2.0"
    assert f"http://{document['host']}{document['basePath']}" == f"{preview.url}/sample-api/dev"
    assert document["schemes"] == ["http"]
    assert exported["contentType"] == "application/json"
    assert exported["contentDisposition"] == 'attachment; filename="PetStore-dev-swagger-apigateway.json"'
    # And every operation is secured by API Gateway's api_key scheme, with lower-case methods and responses
    assert document["securityDefinitions"] == {"api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}}
    assert {method for item in document["paths"].values() for method in item} == {"get", "post"}
    assert all(operation["security"] == [{"api_key": []}] for operation in operations(document))
    assert all(operation["responses"] for operation in operations(document))
    # And the API Gateway extensions asked for are there: each method's integration and the key source
    assert document["x-amazon-apigateway-api-key-source"] == "HEADER"
    assert all(operation["x-amazon-apigateway-integration"]["type"] == "mock" for operation in operations(document))


def test_an_export_without_extensions_holds_none_of_api_gateways(preview: Preview) -> None:
    # When the prod stage is exported as Swagger and as OpenAPI 3.0, with no extensions or with Postman's
    documents = [
        json.loads(export(preview, "prod", export_type, **parameters)["body"].read())
        for export_type in ("swagger", "oas30")
        for parameters in ({}, {"extensions": "postman"})
    ]
    # Then none holds an x-amazon-apigateway-* key, and every operation still needs the API key
    for document in documents:
        validate(document)
        assert gateway_keys(document) == set()
        assert all(operation["security"] == [{"api_key": []}] for operation in operations(document))


def test_the_integrations_extension_adds_the_integrations_only(preview: Preview) -> None:
    # When the dev stage is exported with extensions=integrations
    document = json.loads(export(preview, "dev", "swagger", extensions="integrations")["body"].read())
    # Then each method has its integration, and the API has no other API Gateway extension
    assert gateway_keys(document) == {"x-amazon-apigateway-integration"}
    assert len(operations(document)) == 3


def test_an_oas30_export_in_yaml_is_valid_openapi_with_the_local_stage_as_its_server(preview: Preview) -> None:
    # When the prod stage is exported as OpenAPI 3.0 in YAML
    exported = export(preview, "prod", "oas30", accepts="application/yaml", extensions="apigateway")
    document = yaml.safe_load(exported["body"].read())
    # Then it is valid OpenAPI 3.0 whose server is the preview's prod stage, with the api_key scheme
    validate(document)
    assert exported["contentType"] == "application/yaml"
    assert document["openapi"].startswith("3.0.")
    assert document["servers"] == [{"url": f"{preview.url}/sample-api/prod"}]
    assert document["components"]["securitySchemes"]["api_key"]["name"] == "x-api-key"
    assert "x-amazon-apigateway-integration" in document["paths"]["/pets"]["get"]


def test_fails_when_the_export_type_is_not_one_api_gateway_has(preview: Preview) -> None:
    # When the sample API is exported as RAML, then API Gateway's BadRequestException says which types exist
    with pytest.raises(ClientError, match=r"No API exporter for type 'raml'; use swagger or oas30"):
        export(preview, "dev", "raml")


def test_fails_when_an_extension_is_not_one_api_gateway_has(preview: Preview) -> None:
    # When an unknown extension is asked for, then the refusal names it and the valid ones
    with pytest.raises(ClientError, match=r"Invalid extensions swagger-ui; use any of integrations, authorizers"):
        export(preview, "dev", "swagger", extensions="apigateway,swagger-ui")


def test_another_api_gets_the_emulations_own_export(preview: Preview) -> None:
    # Given an API that is not the sample API
    apigateway = preview.aws("apigateway")
    other = apigateway.create_rest_api(name="Elsewhere")["id"]
    # When it is exported, then moto answers, naming AWS's host for it
    document = json.loads(apigateway.get_export(restApiId=other, stageName="dev", exportType="swagger")["body"].read())
    assert document["info"]["title"] == "Elsewhere"
    assert document["host"] == f"{other}.execute-api.{preview.region}.amazonaws.com"


def test_the_admin_shows_a_stage_and_the_catalog_publishes_its_export_as_valid(preview: Preview) -> None:
    # Given the seeded admin, signed in, and the dev stage's catalog id
    tokens = sign_in(
        preview.aws("cognito-idp"),
        pool_id=preview.user_pool_id,
        client_id=preview.user_pool_client_id,
        email=preview.admin_email,
        password=preview.admin_password,
    )
    dev = f"{preview.sample_api_id}_dev"
    # When the admin shows the stage, which exports it from API Gateway into the catalog
    request = urllib.request.Request(
        f"{preview.url}/api/admin/catalog/visibility/{dev}",
        method="PUT",
        headers={"Authorization": tokens["IdToken"]},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 202
    # Then the catalog status reports the export published, with no error
    status_request = urllib.request.Request(
        f"{preview.url}/api/admin/catalog/status", headers={"Authorization": tokens["IdToken"]}
    )
    with urllib.request.urlopen(status_request, timeout=10) as response:
        files = {file["key"]: file for file in json.loads(response.read())["files"]}
    exported = files[f"catalog/{dev}.json"]
    assert exported["state"] == "published", exported
    # And the catalog lists the stage from Swagger 2.0, with its endpoint on the preview
    with urllib.request.urlopen(f"{preview.url}/api/catalog", timeout=10) as response:
        entry = next(item for item in json.loads(response.read())["apis"] if item["id"] == dev)
    assert entry["openapi"] == "2.0"
    assert entry["endpoint"] == f"{preview.url}/sample-api/dev"
