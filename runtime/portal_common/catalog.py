"""The published API catalog: its documented, versioned schema, its place in the artifacts bucket, and its ids.

The catalog updater writes these documents and the backend reads them; both use the models below, so the
schema is defined once.

Artifacts bucket layout
-----------------------
``catalog/**.{json,yaml,yml}``
    The sources, put there by operators, the CLI or the admin console. A file named
    ``catalog/{apiId}_{stage}.{json|yaml|yml}`` (top level, ``apiId`` exactly ten letters or digits,
    case-sensitive) describes that API Gateway stage; any other file is a *generic* API.
``catalog/{apiId}_{stage}.md``
    An optional Markdown page for that API (``hasDocs`` in its entry).
``catalog.json``
    The published catalog (:class:`Catalog`). Small: every API's metadata, never its spec.
``catalog-specs/{id}.json``
    Each published API's spec, normalized to JSON, served by ``GET /api/catalog/{id}/spec``.
``catalog-status.json``
    Every source file with its state and, for invalid ones, the error (:class:`CatalogStatus`). Admins only.
``catalog-settings.json``
    The admin's choices, such as which stages offer SDK generation (:class:`CatalogSettings`).
``catalog-index.json``
    The updater's own state, one record per source file (:class:`CatalogIndex`). Nothing else reads it.

``catalog.json``, version 1
---------------------------
``{"version": 1, "generatedAt": ISO-8601, "apis": [ApiEntry], "generic": [ApiEntry], "usagePlans": [UsagePlan]}``

- ``apis`` are API Gateway stages, ``generic`` the APIs that live elsewhere; both sorted by title, then id.
- Each :class:`ApiEntry` has a stable ``id`` (``{apiId}_{stage}``, or a slug of the file's path plus a short
  hash for generic APIs), its ``title``, ``version``, ``description``, ``tags``, ``paths`` (for search),
  ``plans`` (every usage plan that includes the stage, with throttle and quota: its tiers), ``logo``,
  ``sdkGeneration`` and ``spec``, the path of its spec relative to the API's base URL.
- ``usagePlans`` lists the plans that include at least one published stage, each with the ids of those stages.

A reader must refuse a ``version`` it does not know; fields may be added within a version, never removed.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from portal_common.aws import client, is_missing_object
from portal_common.errors import NotFound
from portal_common.settings import settings

CATALOG_VERSION: Literal[1] = 1
CATALOG_PREFIX = "catalog/"
GENERIC_UPLOAD_PREFIX = "catalog/generic/"
CATALOG_KEY = "catalog.json"
STATUS_KEY = "catalog-status.json"
SETTINGS_KEY = "catalog-settings.json"
INDEX_KEY = "catalog-index.json"
SPECS_PREFIX = "catalog-specs/"
SPEC_SUFFIXES = (".json", ".yaml", ".yml")
DOCS_SUFFIX = ".md"
LOGO_PREFIX = "/custom-content/api-logos/"
DEFAULT_LOGO = f"{LOGO_PREFIX}default.png"
"""The logo the site shows when ``custom-content/api-logos/{id}.png`` does not exist."""

_MANAGED_KEY = re.compile(r"^catalog/([A-Za-z0-9]{10})_([A-Za-z0-9_-]{1,128})\.(json|yaml|yml|md)$")
_MANAGED_ID = re.compile(r"^([A-Za-z0-9]{10})_([A-Za-z0-9_-]{1,128})$")
API_ID_PATTERN = r"^[A-Za-z0-9_-]{1,160}$"

Kind = Literal["apiGateway", "generic"]


class Throttle(BaseModel):
    burstLimit: int | None = None
    rateLimit: float | None = None


class Quota(BaseModel):
    limit: int
    offset: int = 0
    period: str


class PlanTier(BaseModel):
    """One usage plan that includes a stage: what a subscriber to it may call, and how often."""

    id: str
    name: str
    description: str = ""
    throttle: Throttle | None = None
    quota: Quota | None = None

    @classmethod
    def from_gateway(cls, plan: dict[str, Any]) -> PlanTier:
        """The tier of a usage plan as API Gateway's GetUsagePlan(s) describes it."""
        return cls(
            id=str(plan["id"]),
            name=str(plan.get("name") or plan["id"]),
            description=str(plan.get("description") or ""),
            throttle=Throttle.model_validate(plan["throttle"]) if plan.get("throttle") else None,
            quota=Quota.model_validate(plan["quota"]) if plan.get("quota") else None,
        )


def plan_stage_ids(plan: dict[str, Any]) -> list[str]:
    """``{apiId}_{stage}`` of every stage a usage plan as API Gateway describes it includes."""
    return [f"{stage['apiId']}_{stage['stage']}" for stage in plan.get("apiStages") or []]


class UsagePlan(PlanTier):
    apis: list[str] = Field(default_factory=list)
    """Ids of the published stages this plan includes."""


class SpecSummary(BaseModel):
    """What the catalog shows of a spec without the spec itself."""

    title: str
    version: str = ""
    description: str = ""
    openapi: str
    """The document's ``swagger`` or ``openapi`` version: ``2.0``, ``3.0.x`` or ``3.1.x``."""
    endpoint: str | None = None
    tags: list[str] = Field(default_factory=list)
    paths: list[str] = Field(default_factory=list)


class ApiEntry(SpecSummary):
    id: str
    kind: Kind
    apiId: str | None = None
    stage: str | None = None
    plans: list[PlanTier] = Field(default_factory=list)
    logo: str
    sdkGeneration: bool = False
    hasDocs: bool = False
    spec: str
    """Where to fetch the spec, relative to the backend's base URL: ``catalog/{id}/spec``."""
    source: str
    updatedAt: str


class Catalog(BaseModel):
    version: Literal[1] = CATALOG_VERSION
    generatedAt: str = ""
    apis: list[ApiEntry] = Field(default_factory=list)
    generic: list[ApiEntry] = Field(default_factory=list)
    usagePlans: list[UsagePlan] = Field(default_factory=list)

    def find(self, api: str) -> ApiEntry:
        for entry in (*self.apis, *self.generic):
            if entry.id == api:
                return entry
        raise NotFound(f"There is no API {api!r} in the catalog; pick one the catalog lists.")


FileState = Literal["published", "invalid", "duplicate"]


class FileStatus(BaseModel):
    key: str
    id: str
    kind: Kind
    state: FileState
    error: str | None = None
    title: str | None = None
    size: int = 0
    updatedAt: str


class CatalogStatus(BaseModel):
    version: Literal[1] = CATALOG_VERSION
    generatedAt: str = ""
    published: int = 0
    invalid: int = 0
    files: list[FileStatus] = Field(default_factory=list)


class CatalogSettings(BaseModel):
    version: Literal[1] = CATALOG_VERSION
    sdkGeneration: dict[str, bool] = Field(default_factory=dict)
    """API ids whose SDKs users may generate; absent means no."""


class IndexRecord(BaseModel):
    """The updater's memory of one source file, enough to republish it without reading it again."""

    key: str
    id: str
    kind: Kind
    etag: str = ""
    sequencer: str = ""
    size: int = 0
    sha256: str = ""
    error: str | None = None
    summary: SpecSummary | None = None
    updatedAt: str


class CatalogIndex(BaseModel):
    version: Literal[1] = CATALOG_VERSION
    records: dict[str, IndexRecord] = Field(default_factory=dict)
    docs: list[str] = Field(default_factory=list)
    """Ids that have a Markdown page next to their spec."""


def empty_catalog() -> dict[str, Any]:
    return Catalog().model_dump(mode="json")


# --- names -------------------------------------------------------------------------------------------------


def is_source_key(key: str) -> bool:
    return key.startswith(CATALOG_PREFIX) and key.endswith(SPEC_SUFFIXES) and not key.endswith("/")


def is_docs_key(key: str) -> bool:
    match = _MANAGED_KEY.match(key)
    return match is not None and match.group(3) == "md"


def managed_stage(key: str) -> tuple[str, str] | None:
    """``(apiId, stage)`` when `key` names an API Gateway stage's spec or page, else None. Case-sensitive."""
    match = _MANAGED_KEY.match(key)
    return (match.group(1), match.group(2)) if match else None


def split_stage_id(api: str) -> tuple[str, str] | None:
    match = _MANAGED_ID.match(api)
    return (match.group(1), match.group(2)) if match else None


def source_id(key: str) -> str:
    """The stable id of the API a source file describes; a json and a yaml of the same name share it."""
    stage = managed_stage(key)
    if stage is not None:
        return f"{stage[0]}_{stage[1]}"
    stem = key.removeprefix(CATALOG_PREFIX).rsplit(".", 1)[0]
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:48].strip("-") or "api"
    return f"{slug}-{hashlib.sha256(stem.encode()).hexdigest()[:8]}"


def source_kind(key: str) -> Kind:
    return "apiGateway" if managed_stage(key) is not None else "generic"


def stage_key(api_id: str, stage: str) -> str:
    """Where the admin console stores a shown stage's export."""
    return f"{CATALOG_PREFIX}{api_id}_{stage}.json"


def docs_key(api: str) -> str | None:
    """Where the Markdown page of an API Gateway stage's entry is; generic APIs have none."""
    return f"{CATALOG_PREFIX}{api}{DOCS_SUFFIX}" if split_stage_id(api) is not None else None


def spec_key(api: str) -> str:
    return f"{SPECS_PREFIX}{api}.json"


def logo_path(api: str) -> str:
    return f"{LOGO_PREFIX}{api}.png"


# --- reading -----------------------------------------------------------------------------------------------


def read_json(key: str) -> dict[str, Any] | None:
    """The JSON object at `key` in the artifacts bucket, or None when there is none."""
    try:
        body = client("s3").get_object(Bucket=settings().artifacts_bucket, Key=key)["Body"].read()
    except ClientError as error:
        if is_missing_object(error):
            return None
        raise
    return json.loads(body)


def write_json(key: str, document: BaseModel, **extra: Any) -> dict[str, Any]:
    return client("s3").put_object(
        Bucket=settings().artifacts_bucket,
        Key=key,
        Body=document.model_dump_json(exclude_none=True).encode(),
        ContentType="application/json",
        **extra,
    )


def load_catalog() -> Catalog:
    document = read_json(CATALOG_KEY)
    return Catalog() if document is None else Catalog.model_validate(document)


def load_status() -> CatalogStatus:
    document = read_json(STATUS_KEY)
    return CatalogStatus() if document is None else CatalogStatus.model_validate(document)


def load_settings() -> CatalogSettings:
    document = read_json(SETTINGS_KEY)
    return CatalogSettings() if document is None else CatalogSettings.model_validate(document)
