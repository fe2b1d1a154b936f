"""Catalog build: read every spec under catalog/, map API Gateway stages to their usage plans, publish."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from portal_common.aws import client
from portal_common.catalog import CATALOG_KEY, CATALOG_PREFIX, SPEC_SUFFIXES, empty_catalog
from portal_common.settings import settings

_MANAGED = re.compile(r"^catalog/([A-Za-z0-9]{10})_([A-Za-z0-9_-]+)\.(?:json|ya?ml)$")


def _usage_plans() -> dict[str, list[dict[str, Any]]]:
    """Every usage plan, keyed by the `apiId_stage` it includes; one stage may sit in several plans."""
    tiers: dict[str, list[dict[str, Any]]] = {}
    for page in client("apigateway").get_paginator("get_usage_plans").paginate():
        for plan in page.get("items", []):
            summary = {
                "id": plan["id"],
                "name": plan.get("name", plan["id"]),
                "throttle": plan.get("throttle"),
                "quota": plan.get("quota"),
            }
            for stage in plan.get("apiStages", []):
                tiers.setdefault(f"{stage['apiId']}_{stage['stage']}", []).append(summary)
    return tiers


def _parse(key: str, body: bytes) -> dict[str, Any]:
    document = json.loads(body) if key.endswith(".json") else yaml.safe_load(body)
    if not isinstance(document, dict):
        raise ValueError(f"{key} is not an OpenAPI or Swagger document")
    return document


def build_catalog() -> dict[str, Any]:
    bucket = settings().artifacts_bucket
    s3 = client("s3")
    tiers = _usage_plans()
    catalog = empty_catalog()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=CATALOG_PREFIX):
        for item in page.get("Contents", []):
            key = item["Key"]
            if not key.endswith(SPEC_SUFFIXES):
                continue
            spec = _parse(key, s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            info = spec.get("info", {})
            entry = {
                "id": key.removeprefix(CATALOG_PREFIX).rsplit(".", 1)[0],
                "title": info.get("title", key),
                "version": info.get("version", ""),
                "description": info.get("description", ""),
                "specKey": key,
            }
            managed = _MANAGED.match(key)
            if managed:
                entry.update(apiId=managed.group(1), stage=managed.group(2))
                entry["plans"] = tiers.get(f"{managed.group(1)}_{managed.group(2)}", [])
                catalog["apis"].append(entry)
            else:
                catalog["generic"].append(entry)
    s3.put_object(
        Bucket=bucket,
        Key=CATALOG_KEY,
        Body=json.dumps(catalog).encode(),
        ContentType="application/json",
    )
    return catalog
