"""The admin's API management: which API Gateway stages the portal shows, SDK generation, generic specs."""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from backend.identity import admin
from portal_common.aws import client, is_missing_object
from portal_common.catalog import (
    GENERIC_UPLOAD_PREFIX,
    SETTINGS_KEY,
    SPEC_SUFFIXES,
    CatalogStatus,
    FileStatus,
    load_catalog,
    load_settings,
    load_status,
    source_id,
    split_stage_id,
    stage_key,
    write_json,
)
from portal_common.errors import BadRequest, Conflict, NotFound
from portal_common.gateway import export_error_message, export_stage, publish_export, stages, usage_plans
from portal_common.settings import settings
from portal_common.specs import MAX_SPEC_BYTES, SpecError, load_spec

logger = Logger(child=True)
router = APIGatewayRouter()

_FILENAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")
ACCEPTED = "The catalog is updated within a minute."


class StageView(BaseModel):
    id: str
    apiId: str
    apiName: str
    stage: str
    displayed: bool
    exported: bool
    """The spec is the portal's own export, so Update can refresh it."""
    sources: list[str]
    sdkGeneration: bool
    plans: list[dict[str, str]]
    deploymentId: str = ""
    lastUpdated: str = ""
    missing: bool = False
    """Shown in the catalog, but API Gateway no longer has the stage."""


class Visibility(BaseModel):
    stages: list[StageView]
    generic: list[FileStatus]
    usagePlans: list[dict[str, Any]]


class Accepted(BaseModel):
    id: str
    message: str
    key: str | None = None
    title: str | None = None
    removed: list[str] = Field(default_factory=list)


class GenericUpload(BaseModel):
    filename: str = Field(description="The file's name, ending .json, .yaml or .yml.")
    content: str = Field(description="The file's text.")


def _accepted(**fields: Any) -> Response[Accepted]:
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=Accepted(**fields))


def _files(api: str) -> list[FileStatus]:
    return [file for file in load_status().files if file.id == api]


def _stage(api: str) -> tuple[str, str]:
    stage = split_stage_id(api)
    if stage is None:
        raise BadRequest(f"{api!r} is not an API Gateway stage id; use apiId_stage, e.g. 'a1b2c3d4e5_prod'.")
    return stage


def _exists(key: str) -> bool:
    try:
        client("s3").head_object(Bucket=settings().artifacts_bucket, Key=key)
    except ClientError as error:
        if is_missing_object(error):
            return False
        raise
    return True


def _delete(keys: list[str]) -> None:
    s3 = client("s3")
    for key in keys:
        s3.delete_object(Bucket=settings().artifacts_bucket, Key=key)


def _republish() -> None:
    """Ask the catalog updater to publish again, for changes made outside catalog/ (no S3 event)."""
    if settings().catalog_updater:
        client("lambda").invoke(
            FunctionName=settings().catalog_updater, InvocationType="Event", Payload=b'{"action": "publish"}'
        )


@router.get("/admin/catalog/visibility")
def get_visibility() -> Visibility:
    """Every REST API stage in the account but the portal's own, with what the portal shows of it."""
    admin(router)
    own_api = router.current_event.request_context.api_id
    files = load_status().files
    by_id: dict[str, list[FileStatus]] = {}
    for file in files:
        by_id.setdefault(file.id, []).append(file)
    sdk = load_settings().sdkGeneration
    plans = usage_plans()
    views: list[StageView] = []
    seen: set[str] = set()
    for stage in stages(exclude_api_ids={own_api} if own_api else set()):
        seen.add(stage.id)
        sources = by_id.get(stage.id, [])
        views.append(
            StageView(
                id=stage.id,
                apiId=stage.api_id,
                apiName=stage.api_name,
                stage=stage.stage,
                displayed=any(file.state == "published" for file in sources),
                exported=any(file.key == stage_key(stage.api_id, stage.stage) for file in sources),
                sources=[file.key for file in sources],
                sdkGeneration=sdk.get(stage.id, False),
                plans=[{"id": plan.id, "name": plan.name} for plan in plans.by_stage.get(stage.id, [])],
                deploymentId=stage.deployment_id,
                lastUpdated=stage.last_updated,
            )
        )
    for api, sources in sorted(by_id.items()):
        split = split_stage_id(api)
        if split is None or api in seen or sources[0].kind != "apiGateway":
            continue
        views.append(
            StageView(
                id=api,
                apiId=split[0],
                apiName=sources[0].title or api,
                stage=split[1],
                displayed=True,
                exported=False,
                sources=[file.key for file in sources],
                sdkGeneration=sdk.get(api, False),
                plans=[{"id": plan.id, "name": plan.name} for plan in plans.by_stage.get(api, [])],
                missing=True,
            )
        )
    return Visibility(
        stages=views,
        generic=[file for file in files if file.kind == "generic"],
        usagePlans=[
            {
                "id": plan.id,
                "name": plan.name,
                "stages": sorted(stage for stage, tiers in plans.by_stage.items() if plan in tiers),
            }
            for plan in plans.plans
        ],
    )


@router.put("/admin/catalog/visibility/<api>")
def show_stage(api: str) -> Response[Accepted]:
    """Show a stage: export it from API Gateway into the catalog (or refresh the export)."""
    admin(router)
    api_id, stage = _stage(api)
    others = [file.key for file in _files(api) if file.key != stage_key(api_id, stage)]
    if others:
        raise Conflict(
            f"{', '.join(others)} already describes {api}; delete it (or hide the stage) before showing "
            "the stage from API Gateway."
        )
    key = _export(api_id, stage)
    return _accepted(id=api, key=key, message=f"{api} is shown. {ACCEPTED}")


@router.post("/admin/catalog/visibility/<api>/update")
def update_stage(api: str) -> Response[Accepted]:
    """Export a shown stage again, after it was redeployed."""
    admin(router)
    api_id, stage = _stage(api)
    if not _exists(stage_key(api_id, stage)):
        raise NotFound(f"{api} is not shown from an API Gateway export; show it first.")
    key = _export(api_id, stage)
    return _accepted(id=api, key=key, message=f"{api} is exported again. {ACCEPTED}")


def _export(api_id: str, stage: str) -> str:
    try:
        body = export_stage(api_id, stage)
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code == "NotFoundException":
            raise NotFound(export_error_message(error, api_id, stage)) from None
        if code in ("BadRequestException", "TooManyRequestsException"):
            raise BadRequest(export_error_message(error, api_id, stage)) from None
        raise
    return publish_export(api_id, stage, body)


@router.delete("/admin/catalog/visibility/<api>")
def hide_stage(api: str) -> Response[Accepted]:
    """Hide a stage: remove its spec files from the catalog."""
    admin(router)
    api_id, stage = _stage(api)
    # The status may not list a stage shown a moment ago yet, so its export is looked for too.
    keys = sorted({file.key for file in _files(api)} | {stage_key(api_id, stage)})
    keys = [key for key in keys if _exists(key)]
    if not keys:
        raise NotFound(f"{api} is not shown in the catalog, so there is nothing to hide.")
    _delete(keys)
    return _accepted(id=api, removed=keys, message=f"{api} is hidden. {ACCEPTED}")


def _set_sdk_generation(api: str, enabled: bool) -> dict[str, Any]:
    admin(router)
    _stage(api)
    if not any(entry.id == api for entry in load_catalog().apis):
        raise NotFound(f"{api} is not shown in the catalog; show it before choosing whether it offers SDKs.")
    choices = load_settings()
    if choices.sdkGeneration.get(api, False) != enabled:
        if enabled:
            choices.sdkGeneration[api] = True
        else:
            choices.sdkGeneration.pop(api, None)
        write_json(SETTINGS_KEY, choices)
        _republish()
    return {"id": api, "sdkGeneration": enabled}


@router.put("/admin/catalog/<api>/sdk-generation")
def enable_sdk_generation(api: str) -> dict[str, Any]:
    return _set_sdk_generation(api, True)


@router.delete("/admin/catalog/<api>/sdk-generation")
def disable_sdk_generation(api: str) -> dict[str, Any]:
    return _set_sdk_generation(api, False)


@router.post("/admin/catalog/generic")
def upload_generic(upload: GenericUpload) -> Response[Accepted]:
    """Validate a generic spec and add it to the catalog; a file of the same name is replaced."""
    admin(router)
    name = upload.filename.strip()
    if not _FILENAME.match(name) or not name.lower().endswith(SPEC_SUFFIXES):
        raise BadRequest(
            f"filename {upload.filename[:80]!r} is not usable; use letters, digits, '.', '_' or '-', "
            "ending .json, .yaml or .yml."
        )
    body = upload.content.encode()
    if len(body) > MAX_SPEC_BYTES:
        raise BadRequest(f"{name} is {len(body):,} bytes; the portal takes specs up to {MAX_SPEC_BYTES:,} bytes.")
    try:
        loaded = load_spec(name, body)
    except SpecError as error:
        raise BadRequest(str(error)) from None
    key = f"{GENERIC_UPLOAD_PREFIX}{name}"
    content_type = "application/json" if name.lower().endswith(".json") else "application/yaml"
    client("s3").put_object(Bucket=settings().artifacts_bucket, Key=key, Body=body, ContentType=content_type)
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=Accepted(id=source_id(key), key=key, title=loaded.summary.title, message=ACCEPTED),
    )


@router.delete("/admin/catalog/generic/<api>")
def delete_generic(api: str) -> Response[Accepted]:
    """Remove a generic API's files, valid or not, from the catalog."""
    admin(router)
    keys = [file.key for file in _files(api) if file.kind == "generic"]
    if not keys:
        raise NotFound(f"There is no generic API {api!r}; the catalog status lists the ones there are.")
    _delete(keys)
    return _accepted(id=api, removed=keys, message=f"{api} is removed. {ACCEPTED}")


@router.get("/admin/catalog/status")
def get_status() -> CatalogStatus:
    """Every file under catalog/ with its state; invalid ones with the error to fix."""
    admin(router)
    return load_status()
