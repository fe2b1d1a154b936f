"""The catalog's backend routes on moto: anonymous browsing, specs, exports, SDKs and the admin's API management."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from tests.runtime.events import claims, lambda_context, rest_api, rest_event

BUCKET = "portal-artifacts"
USER = claims("user-1", "dev@example.com", groups=["registered"])
ADMIN = claims("admin-1", "admin@example.com", groups=["registered", "admins"])
PETS = {
    "openapi": "3.0.3",
    "info": {"title": "Partner pets", "version": "1"},
    "paths": {"/pets": {"get": {"responses": {"200": {"description": "ok"}}}}},
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("ARTIFACTS_BUCKET", BUCKET)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        yield s3


def publish() -> None:
    """What the updater does after S3 announces the changes: here, one rebuild from the bucket."""
    from catalog_updater.build import Builder

    Builder().run([], rebuild=True)


def call(method: str, path: str, *, who: dict[str, str] | None = None, own_api: str | None = None, **kwargs: Any):
    from backend.handler import lambda_handler

    event = rest_event(method, path, claims=who, **kwargs)
    if own_api is not None:
        event["requestContext"]["apiId"] = own_api
    response = lambda_handler(event, lambda_context())
    body = response["body"]
    if response.get("isBase64Encoded"):
        return response["statusCode"], base64.b64decode(body), response
    try:
        return response["statusCode"], json.loads(body) if body else None, response
    except json.JSONDecodeError:
        return response["statusCode"], body, response


def header(response: dict[str, Any], name: str) -> str:
    return response["multiValueHeaders"][name][0]


@pytest.fixture
def shown(aws: Any) -> str:
    """A deployed stage the admin has shown, and a generic API, both published."""
    api_id = rest_api("pets")
    boto3.client("apigateway", region_name="us-east-1").create_usage_plan(
        name="Basic", apiStages=[{"apiId": api_id, "stage": "prod"}]
    )
    status, _, _ = call("PUT", f"/admin/catalog/visibility/{api_id}_prod", who=ADMIN)
    assert status == 202
    aws.put_object(Bucket=BUCKET, Key="catalog/partner.json", Body=json.dumps(PETS))
    publish()
    return f"{api_id}_prod"


# --- browsing -----------------------------------------------------------------------------------------------


def test_anyone_may_read_the_catalog_without_signing_in(shown: str) -> None:
    # When an anonymous visitor asks for the catalog
    status, body, _ = call("GET", "/catalog")
    # Then they get the published stage with its tier, and the generic API apart
    assert status == 200
    assert body["version"] == 1
    assert [(entry["id"], [tier["name"] for tier in entry["plans"]]) for entry in body["apis"]] == [(shown, ["Basic"])]
    assert [entry["title"] for entry in body["generic"]] == ["Partner pets"]


def test_an_empty_bucket_gives_an_empty_catalog(aws: Any) -> None:
    status, body, _ = call("GET", "/catalog")
    assert (status, body["apis"], body["generic"]) == (200, [], [])


def test_fails_when_the_catalog_requires_sign_in_and_the_visitor_is_anonymous(
    shown: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portal_common.settings import settings

    monkeypatch.setenv("CATALOG_REQUIRES_SIGN_IN", "true")
    settings.cache_clear()
    assert call("GET", "/catalog")[:2] == (401, {"message": "Sign in to do this."})
    assert call("GET", f"/catalog/{shown}/spec")[0] == 401
    assert call("GET", f"/catalog/{shown}/docs")[0] == 401
    assert call("GET", "/catalog", who=USER)[0] == 200


def test_anyone_may_read_a_published_spec(shown: str) -> None:
    generic = call("GET", "/catalog")[1]["generic"][0]
    status, body, _ = call("GET", f"/{generic['spec']}")
    assert (status, body) == (200, PETS)
    status, body, _ = call("GET", f"/catalog/{shown}/spec")
    assert status == 200 and body["swagger"] == "2.0"


def test_fails_when_the_spec_asked_for_is_not_in_the_catalog(shown: str) -> None:
    status, body, _ = call("GET", "/catalog/nothing/spec")
    assert status == 404
    assert body["message"] == "There is no API 'nothing' in the catalog; pick one the catalog lists."


# --- the Markdown pages -------------------------------------------------------------------------------------

PAGE = b"""---
title: Pets guide
---
# Getting a pet

| Verb | Path |
|:-----|-----:|
| GET  | /pets |

<a href="javascript:alert(1)" onclick="steal()">click</a><script>steal()</script>
"""


def test_anyone_reads_an_apis_markdown_page_rendered_and_sanitized(shown: str, aws: Any) -> None:
    # Given an operator who uploads the stage's Markdown page, and the updater that hears of it
    aws.put_object(Bucket=BUCKET, Key=f"catalog/{shown}.md", Body=PAGE)
    publish()
    assert call("GET", "/catalog")[1]["apis"][0]["hasDocs"] is True

    # When an anonymous visitor asks for it
    status, body, _ = call("GET", f"/catalog/{shown}/docs")

    # Then it is rendered like the content fragments: front matter, GFM tables, nothing that runs
    assert status == 200
    assert body["frontMatter"] == {"title": "Pets guide"}
    assert "<h1>Getting a pet</h1>" in body["html"]
    assert '<th class="align-left">Verb</th>' in body["html"]
    assert "script" not in body["html"] and "javascript:" not in body["html"] and "onclick" not in body["html"]


def test_fails_when_the_api_has_no_markdown_page(shown: str) -> None:
    status, body, _ = call("GET", f"/catalog/{shown}/docs")
    assert status == 404
    assert body["message"] == (
        f"pets has no Markdown page; an operator can add one as catalog/{shown}.md in the artifacts bucket."
    )


def test_fails_when_a_generic_api_or_an_unknown_one_is_asked_for_its_page(shown: str) -> None:
    generic = call("GET", "/catalog")[1]["generic"][0]["id"]
    status, body, _ = call("GET", f"/catalog/{generic}/docs")
    assert (status, body["message"]) == (
        404,
        "Partner pets is a generic API; only API Gateway stages have Markdown pages.",
    )
    assert call("GET", "/catalog/nothing/docs")[:2] == (
        404,
        {"message": "There is no API 'nothing' in the catalog; pick one the catalog lists."},
    )


def test_fails_when_the_markdown_page_is_broken_and_names_the_file(shown: str, aws: Any) -> None:
    aws.put_object(Bucket=BUCKET, Key=f"catalog/{shown}.md", Body=b"---\ntitle: [oops\n---\nBody")
    status, body, _ = call("GET", f"/catalog/{shown}/docs")
    assert status == 503
    assert body["message"].startswith("The Markdown page of pets cannot be shown: the front matter is not valid")
    assert body["message"].endswith(f"(in catalog/{shown}.md).")


# --- exports and SDKs ---------------------------------------------------------------------------------------


def test_a_signed_in_user_exports_a_stage_as_a_download(shown: str) -> None:
    status, body, response = call("GET", f"/catalog/{shown}/export", who=USER, query={"type": "swagger"})
    assert status == 200 and body["swagger"] == "2.0"
    assert header(response, "Content-Disposition") == f'attachment; filename="{shown}-swagger.json"'


@pytest.mark.parametrize(
    ("who", "query", "status", "message"),
    [
        (None, {}, 401, "Sign in to do this."),
        (USER, {"type": "raml"}, 400, "type='raml' is not an export type; use one of oas30, swagger."),
        (USER, {"format": "xml"}, 400, "format='xml' is not a format; use one of json, yaml."),
        (USER, {"extensions": "integrations"}, 403, "extensions=integrations reveals how the API is wired"),
        (ADMIN, {"extensions": "secrets"}, 400, "extensions='secrets' is not an export extension"),
    ],
)
def test_fails_when_an_export_is_not_allowed_or_not_understood(
    shown: str, who: dict | None, query: dict, status: int, message: str
) -> None:
    got, body, _ = call("GET", f"/catalog/{shown}/export", who=who, query=query or None)
    assert got == status
    assert body["message"].startswith(message)


def test_fails_when_a_generic_api_is_exported(shown: str) -> None:
    generic = call("GET", "/catalog")[1]["generic"][0]["id"]
    status, body, _ = call("GET", f"/catalog/{generic}/export", who=USER)
    assert status == 400
    assert "is a generic API, which API Gateway does not serve" in body["message"]


def test_an_admin_may_export_with_the_integrations(shown: str) -> None:
    status, _, _ = call("GET", f"/catalog/{shown}/export", who=ADMIN, query={"extensions": "integrations"})
    assert status == 200


def test_an_sdk_is_offered_only_once_an_admin_enables_it(shown: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from portal_common.aws import client

    # Given a stage without SDK generation
    status, body, _ = call("GET", f"/catalog/{shown}/sdk", who=USER, query={"sdkType": "javascript"})
    assert status == 403
    assert body["message"] == "SDK generation is off for pets; a portal admin can turn it on."
    # When an admin enables it (the updater is asked to publish; moto would run it in Docker, so that
    # one invoke is stubbed)
    monkeypatch.setenv("CATALOG_UPDATER", "catalog-updater")
    from portal_common.settings import settings

    settings.cache_clear()
    with Stubber(client("lambda")) as invoke:
        invoke.add_response(
            "invoke",
            {"StatusCode": 202},
            {"FunctionName": "catalog-updater", "InvocationType": "Event", "Payload": ANY},
        )
        assert call("PUT", f"/admin/catalog/{shown}/sdk-generation", who=ADMIN)[:2] == (
            200,
            {"id": shown, "sdkGeneration": True},
        )
        invoke.assert_no_pending_responses()
    publish()
    assert call("GET", "/catalog")[1]["apis"][0]["sdkGeneration"] is True
    # Then a user downloads the zip API Gateway generates (moto lacks GetSdk, so it is stubbed)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("README.md", "pets sdk")
    api_id, stage = shown.split("_", 1)
    with Stubber(client("apigateway")) as gateway:
        gateway.add_response(
            "get_sdk",
            {"body": io.BytesIO(archive.getvalue()), "contentType": "application/octet-stream"},
            {"restApiId": api_id, "stageName": stage, "sdkType": "javascript", "parameters": {}},
        )
        status, body, response = call("GET", f"/catalog/{shown}/sdk", who=USER, query={"sdkType": "javascript"})
    assert status == 200 and header(response, "Content-Type") == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(body)).read("README.md") == b"pets sdk"


def test_fails_when_the_sdk_type_is_unknown(shown: str) -> None:
    from portal_common.catalog import SETTINGS_KEY, CatalogSettings, write_json

    write_json(SETTINGS_KEY, CatalogSettings(sdkGeneration={shown: True}))
    status, body, _ = call("GET", f"/catalog/{shown}/sdk", who=USER, query={"sdkType": "cobol"})
    assert status == 400
    assert body["message"].startswith("sdkType='cobol' is not an SDK type; use one of javascript")


# --- the admin's API management -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/admin/catalog/visibility"),
        ("PUT", "/admin/catalog/visibility/a1b2c3d4e5_prod"),
        ("DELETE", "/admin/catalog/visibility/a1b2c3d4e5_prod"),
        ("PUT", "/admin/catalog/a1b2c3d4e5_prod/sdk-generation"),
        ("GET", "/admin/catalog/status"),
        ("DELETE", "/admin/catalog/generic/partner-1234"),
    ],
)
def test_fails_when_a_user_who_is_not_an_admin_manages_the_catalog(aws: Any, method: str, path: str) -> None:
    status, body, _ = call(method, path, who=USER)
    assert (status, body) == (403, {"message": "Only portal administrators may do this."})


def test_the_admin_sees_every_stage_but_the_portals_own(shown: str) -> None:
    # Given the portal's own API and a stage nobody has shown
    own = rest_api("portal backend")
    hidden = rest_api("billing", stage="v1")
    # When the admin lists the stages through the portal's API
    status, body, _ = call("GET", "/admin/catalog/visibility", who=ADMIN, own_api=own)
    # Then each stage says whether it is shown, exported, and in which plans; the portal's own is left out
    assert status == 200
    stages = {view["id"]: view for view in body["stages"]}
    assert set(stages) == {shown, f"{hidden}_v1"}
    assert (stages[shown]["displayed"], stages[shown]["exported"]) == (True, True)
    assert [plan["name"] for plan in stages[shown]["plans"]] == ["Basic"]
    assert (stages[f"{hidden}_v1"]["displayed"], stages[f"{hidden}_v1"]["plans"]) == (False, [])
    assert [file["key"] for file in body["generic"]] == ["catalog/partner.json"]
    assert body["usagePlans"][0]["stages"] == [shown]


def test_hiding_a_stage_removes_it_and_showing_brings_it_back(shown: str, aws: Any) -> None:
    assert call("DELETE", f"/admin/catalog/visibility/{shown}", who=ADMIN)[0] == 202
    publish()
    assert call("GET", "/catalog")[1]["apis"] == []
    assert call("PUT", f"/admin/catalog/visibility/{shown}", who=ADMIN)[0] == 202
    publish()
    assert [entry["id"] for entry in call("GET", "/catalog")[1]["apis"]] == [shown]


def test_update_exports_a_shown_stage_again(shown: str, aws: Any) -> None:
    api_id = shown.split("_")[0]
    gateway = boto3.client("apigateway", region_name="us-east-1")
    root = gateway.get_resources(restApiId=api_id)["items"][0]["id"]
    gateway.create_resource(restApiId=api_id, parentId=root, pathPart="added")
    status, body, _ = call("POST", f"/admin/catalog/visibility/{shown}/update", who=ADMIN)
    assert status == 202 and body["key"] == f"catalog/{shown}.json"
    publish()
    assert "/added" in call("GET", "/catalog")[1]["apis"][0]["paths"]


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        ("PUT", "/admin/catalog/visibility/notastage", 400, "'notastage' is not an API Gateway stage id"),
        ("PUT", "/admin/catalog/visibility/zzzzzzzzzz_prod", 404, "API Gateway has no stage 'prod' of API"),
        ("POST", "/admin/catalog/visibility/zzzzzzzzzz_prod/update", 404, "zzzzzzzzzz_prod is not shown from"),
        ("DELETE", "/admin/catalog/visibility/zzzzzzzzzz_prod", 404, "zzzzzzzzzz_prod is not shown in the catalog"),
        ("PUT", "/admin/catalog/zzzzzzzzzz_prod/sdk-generation", 404, "zzzzzzzzzz_prod is not shown in the catalog"),
    ],
)
def test_fails_when_the_admin_names_a_stage_that_is_not_there(
    shown: str, method: str, path: str, status: int, message: str
) -> None:
    got, body, _ = call(method, path, who=ADMIN)
    assert got == status
    assert body["message"].startswith(message)


def test_fails_when_showing_a_stage_a_hand_written_file_describes(shown: str, aws: Any) -> None:
    api_id = rest_api("manual")
    aws.put_object(Bucket=BUCKET, Key=f"catalog/{api_id}_prod.yaml", Body=json.dumps(PETS))
    publish()
    status, body, _ = call("PUT", f"/admin/catalog/visibility/{api_id}_prod", who=ADMIN)
    assert status == 409
    assert body["message"].startswith(f"catalog/{api_id}_prod.yaml already describes {api_id}_prod")


def test_the_admin_uploads_a_generic_spec_and_deletes_it(aws: Any) -> None:
    # When the admin uploads a YAML spec
    status, body, _ = call(
        "POST", "/admin/catalog/generic", who=ADMIN, body={"filename": "partner.yaml", "content": json.dumps(PETS)}
    )
    # Then it is stored for the updater, and published with the id the upload returned
    assert status == 201 and body["key"] == "catalog/generic/partner.yaml" and body["title"] == "Partner pets"
    publish()
    assert [entry["id"] for entry in call("GET", "/catalog")[1]["generic"]] == [body["id"]]
    # And deleting it removes its file
    assert call("DELETE", f"/admin/catalog/generic/{body['id']}", who=ADMIN)[0] == 202
    publish()
    assert call("GET", "/catalog")[1]["generic"] == []


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        ({"filename": "pets.txt", "content": "{}"}, "filename 'pets.txt' is not usable"),
        ({"filename": "../../etc.json", "content": "{}"}, "filename '../../etc.json' is not usable"),
        ({"filename": "pets.json", "content": "{"}, "pets.json is not valid JSON"),
        (
            {"filename": "pets.yaml", "content": "openapi: 3.0.0\ninfo: {title: T}\n"},
            "pets.yaml is not a valid OpenAPI",
        ),
        ({"filename": "pets.yaml"}, "Fix the request: body content: Field required"),
    ],
)
def test_fails_when_the_uploaded_spec_is_not_valid(aws: Any, upload: dict, message: str) -> None:
    status, body, _ = call("POST", "/admin/catalog/generic", who=ADMIN, body=upload)
    assert status in (400, 422)
    assert body["message"].startswith(message)
    assert "Contents" not in aws.list_objects_v2(Bucket=BUCKET)


def test_the_admin_reads_the_status_with_invalid_files(aws: Any) -> None:
    aws.put_object(Bucket=BUCKET, Key="catalog/broken.json", Body=b"{")
    publish()
    status, body, _ = call("GET", "/admin/catalog/status", who=ADMIN)
    assert status == 200 and body["invalid"] == 1
    (file,) = body["files"]
    assert file["state"] == "invalid" and "not valid JSON" in file["error"]
    # And an invalid file can be deleted by its id
    assert call("DELETE", f"/admin/catalog/generic/{file['id']}", who=ADMIN)[0] == 202
    assert "Contents" not in aws.list_objects_v2(Bucket=BUCKET, Prefix="catalog/")


def test_the_stage_list_reads_every_page_of_rest_apis(aws: Any) -> None:
    # moto returns every REST API in one page, so the two pages API Gateway would send are stubbed.
    from portal_common.aws import client
    from portal_common.gateway import stages

    with Stubber(client("apigateway")) as stub:
        stub.add_response(
            "get_rest_apis", {"items": [{"id": "a000000001", "name": "one"}], "position": "p2"}, {"limit": 500}
        )
        stub.add_response(
            "get_stages", {"item": [{"stageName": "prod", "deploymentId": "d1"}]}, {"restApiId": "a000000001"}
        )
        stub.add_response(
            "get_rest_apis",
            {"items": [{"id": "a000000002", "name": "two"}, {"id": "own0000000", "name": "portal"}]},
            {"limit": 500, "position": "p2"},
        )
        stub.add_response(
            "get_stages", {"item": [{"stageName": "v1"}, {"stageName": "v2"}]}, {"restApiId": "a000000002"}
        )
        found = [stage.id for stage in stages(exclude_api_ids={"own0000000"})]
        stub.assert_no_pending_responses()
    assert found == ["a000000001_prod", "a000000002_v1", "a000000002_v2"]
