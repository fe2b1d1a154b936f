"""API Gateway's side of the catalog: usage plans (tiers), the account's stages, and stage exports."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from portal_common.aws import client
from portal_common.catalog import PlanTier, plan_stage_ids, stage_key
from portal_common.settings import settings

EXPORT_ORIGIN = "apigateway-export"
"""Object metadata ``devportal-origin`` on specs the portal exported, which it may therefore re-export."""
PAGE_SIZE = 500


@dataclass
class UsagePlans:
    """Every usage plan, and for each ``apiId_stage`` every plan that includes it (its tiers)."""

    plans: list[PlanTier] = field(default_factory=list)
    by_stage: dict[str, list[PlanTier]] = field(default_factory=dict)


def usage_plans() -> UsagePlans:
    """Read every usage plan once, paginated; a stage in several plans keeps each of them."""
    result = UsagePlans()
    paginator = client("apigateway").get_paginator("get_usage_plans")
    for page in paginator.paginate(PaginationConfig={"PageSize": PAGE_SIZE}):
        for plan in page.get("items", []):
            tier = PlanTier.from_gateway(plan)
            result.plans.append(tier)
            for stage_id in plan_stage_ids(plan):
                stages = result.by_stage.setdefault(stage_id, [])
                if all(existing.id != tier.id for existing in stages):
                    stages.append(tier)
    return result


@dataclass(frozen=True)
class Stage:
    api_id: str
    api_name: str
    stage: str
    deployment_id: str
    last_updated: str

    @property
    def id(self) -> str:
        return f"{self.api_id}_{self.stage}"


def stages(*, exclude_api_ids: frozenset[str] | set[str] = frozenset()) -> Iterator[Stage]:
    """Every stage of every REST API in this account and region, paginated, but those of `exclude_api_ids`."""
    gateway = client("apigateway")
    for page in gateway.get_paginator("get_rest_apis").paginate(PaginationConfig={"PageSize": PAGE_SIZE}):
        for api in page.get("items", []):
            if api["id"] in exclude_api_ids:
                continue
            for stage in gateway.get_stages(restApiId=api["id"]).get("item", []):
                updated = stage.get("lastUpdatedDate") or stage.get("createdDate")
                yield Stage(
                    api_id=api["id"],
                    api_name=api.get("name") or api["id"],
                    stage=stage["stageName"],
                    deployment_id=stage.get("deploymentId") or "",
                    last_updated=updated.isoformat() if hasattr(updated, "isoformat") else str(updated or ""),
                )


def export_stage(api_id: str, stage: str) -> bytes:
    """The stage as Swagger 2.0 with API Gateway's extensions, which keep ANY methods and API key schemes."""
    response = client("apigateway").get_export(
        restApiId=api_id,
        stageName=stage,
        exportType="swagger",
        parameters={"extensions": "apigateway"},
        accepts="application/json",
    )
    return response["body"].read()


def publish_export(api_id: str, stage: str, body: bytes) -> str:
    """Store an export as the stage's source spec, marked as exported; return its key."""
    key = stage_key(api_id, stage)
    client("s3").put_object(
        Bucket=settings().artifacts_bucket,
        Key=key,
        Body=body,
        ContentType="application/json",
        Metadata={"devportal-origin": EXPORT_ORIGIN, "devportal-sha256": sha256(body)},
    )
    return key


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def export_error_message(error: Any, api_id: str, stage: str) -> str:
    code = error.response["Error"]["Code"]
    if code == "NotFoundException":
        return f"API Gateway has no stage {stage!r} of API {api_id!r}; refresh the list and pick a stage it shows."
    return f"API Gateway refused to export {api_id}/{stage}: {error.response['Error'].get('Message', code)}"
