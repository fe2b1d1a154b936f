"""The published API catalog, each API's spec and Markdown page, and its exports and SDKs from API Gateway."""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from botocore.exceptions import ClientError

from backend.identity import Caller, caller
from content_renderer.render import FragmentError, render_fragment
from portal_common.aws import client, is_missing_object
from portal_common.catalog import ApiEntry, Catalog, docs_key, load_catalog, load_settings, spec_key
from portal_common.errors import BadRequest, Forbidden, NotFound, Unavailable
from portal_common.settings import settings

router = APIGatewayRouter()

EXPORT_TYPES = ("oas30", "swagger")
EXPORT_FORMATS = {"json": "application/json", "yaml": "application/yaml"}
USER_EXTENSIONS = ("postman",)
ADMIN_EXTENSIONS = ("integrations", "authorizers", "apigateway")
SDK_TYPES = ("javascript", "java", "android", "objectivec", "swift", "ruby")
_PARAMETER_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,63}$")


def _reader() -> Caller | None:
    """Anyone may read the catalog, unless the portal requires sign-in for it."""
    return caller(router) if settings().catalog_requires_sign_in else None


def _query(name: str) -> str | None:
    value = router.current_event.get_query_string_value(name)
    return value.strip() if value else None


def _stage_entry(api: str) -> ApiEntry:
    entry = load_catalog().find(api)
    if entry.kind != "apiGateway" or entry.apiId is None or entry.stage is None:
        raise BadRequest(
            f"{api} is a generic API, which API Gateway does not serve; download its spec from "
            f"catalog/{api}/spec instead."
        )
    return entry


def _gateway_error(error: ClientError, entry: ApiEntry, what: str) -> Exception:
    code = error.response["Error"]["Code"]
    message = error.response["Error"].get("Message", code)
    if code == "NotFoundException":
        return NotFound(f"API Gateway no longer has stage {entry.stage!r} of {entry.apiId}; ask an admin to hide it.")
    if code == "BadRequestException":
        return BadRequest(f"API Gateway could not generate the {what}: {message}")
    return error


@router.get("/catalog")
def get_catalog() -> Catalog:
    _reader()
    return load_catalog()


@router.get("/catalog/<api>/spec")
def get_spec(api: str) -> Response[str]:
    _reader()
    entry = load_catalog().find(api)
    try:
        body = client("s3").get_object(Bucket=settings().artifacts_bucket, Key=spec_key(entry.id))["Body"].read()
    except ClientError as error:
        if is_missing_object(error):
            raise NotFound(f"The spec of {api} is being published; try again in a minute.") from None
        raise
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=body.decode())


@router.get("/catalog/<api>/docs")
def get_docs(api: str) -> dict[str, Any]:
    """The API's Markdown page, ``catalog/{id}.md``, rendered like the content fragments."""
    _reader()
    entry = load_catalog().find(api)
    key = docs_key(entry.id)
    if key is None:
        raise NotFound(f"{entry.title} is a generic API; only API Gateway stages have Markdown pages.")
    missing = NotFound(f"{entry.title} has no Markdown page; an operator can add one as {key} in the artifacts bucket.")
    try:
        body = client("s3").get_object(Bucket=settings().artifacts_bucket, Key=key)["Body"].read()
    except ClientError as error:
        if is_missing_object(error):
            raise missing from None
        raise
    try:
        return render_fragment(body)
    except FragmentError as error:
        raise Unavailable(f"The Markdown page of {entry.title} cannot be shown: {error} (in {key}).") from None


@router.get("/catalog/<api>/export")
def export_api(api: str) -> Response[str]:
    who = caller(router)
    entry = _stage_entry(api)
    export_type = _query("type") or "oas30"
    if export_type not in EXPORT_TYPES:
        raise BadRequest(f"type={export_type!r} is not an export type; use one of {', '.join(EXPORT_TYPES)}.")
    file_format = _query("format") or "json"
    if file_format not in EXPORT_FORMATS:
        raise BadRequest(f"format={file_format!r} is not a format; use one of {', '.join(EXPORT_FORMATS)}.")
    extensions = [part.strip() for part in (_query("extensions") or "").split(",") if part.strip()]
    allowed = USER_EXTENSIONS + (ADMIN_EXTENSIONS if who.is_admin else ())
    for extension in extensions:
        if extension in ADMIN_EXTENSIONS and not who.is_admin:
            raise Forbidden(
                f"extensions={extension} reveals how the API is wired inside AWS; only admins may export it. "
                f"Use {', '.join(USER_EXTENSIONS)} or none."
            )
        if extension not in allowed:
            raise BadRequest(f"extensions={extension!r} is not an export extension; use {', '.join(allowed)}.")
    parameters = {"extensions": ",".join(extensions)} if extensions else {}
    try:
        response = client("apigateway").get_export(
            restApiId=entry.apiId,
            stageName=entry.stage,
            exportType=export_type,
            parameters=parameters,
            accepts=EXPORT_FORMATS[file_format],
        )
    except ClientError as error:
        raise _gateway_error(error, entry, "export") from None
    return Response(
        status_code=200,
        content_type=EXPORT_FORMATS[file_format],
        body=response["body"].read().decode(),
        headers={"Content-Disposition": f'attachment; filename="{entry.id}-{export_type}.{file_format}"'},
    )


@router.get("/catalog/<api>/sdk")
def generate_sdk(api: str):  # type: ignore[no-untyped-def]  # unannotated, so the zip passes through as bytes
    caller(router)
    entry = _stage_entry(api)
    if not load_settings().sdkGeneration.get(entry.id, False):
        raise Forbidden(f"SDK generation is off for {entry.title}; a portal admin can turn it on.")
    sdk_type = _query("sdkType")
    if sdk_type not in SDK_TYPES:
        raise BadRequest(f"sdkType={sdk_type!r} is not an SDK type; use one of {', '.join(SDK_TYPES)}.")
    query = router.current_event.query_string_parameters or {}
    parameters: dict[str, Any] = {}
    for name, value in query.items():
        if name == "sdkType":
            continue
        if not _PARAMETER_NAME.match(name) or len(value) > 256:
            raise BadRequest(f"SDK parameter {name[:64]!r} is not valid; use names like 'classPrefix'.")
        parameters[name] = value
    try:
        response = client("apigateway").get_sdk(
            restApiId=entry.apiId, stageName=entry.stage, sdkType=sdk_type, parameters=parameters
        )
    except ClientError as error:
        raise _gateway_error(error, entry, "SDK") from None
    return Response(
        status_code=200,
        content_type="application/zip",
        body=response["body"].read(),
        headers={"Content-Disposition": f'attachment; filename="{entry.id}-{sdk_type}-sdk.zip"'},
    )
