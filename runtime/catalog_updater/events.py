"""What an invocation asks for, whichever way it arrives: SQS batches of S3 events, S3 events, EventBridge."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from catalog_updater.build import Change

ACTIONS = ("publish", "rebuild", "sync")
SYNC_EVENTS = ("CreateDeployment", "UpdateStage")
PLAN_EVENTS = ("CreateUsagePlan", "UpdateUsagePlan", "DeleteUsagePlan")


@dataclass
class Work:
    changes: list[Change] = field(default_factory=list)
    rebuild: bool = False
    sync: list[tuple[str, str | None]] | None = None
    """Stages to export again: ``(apiId, stage)``, stage None for all of the API's; ``[]`` for every one."""


def _s3_records(event: dict[str, Any]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for record in event.get("Records") or []:
        if record.get("eventSource") == "aws:sqs":
            body = json.loads(record.get("body") or "{}")
            records.extend(item for item in body.get("Records") or [] if item.get("eventSource") == "aws:s3")
        elif record.get("eventSource") == "aws:s3":
            records.append(record)
    return records


def change_from_record(record: dict[str, Any]) -> Change:
    s3 = record["s3"]["object"]
    return Change(
        key=unquote_plus(s3["key"]),  # S3 events URL-encode keys, spaces as '+'
        removed=record.get("eventName", "").startswith("ObjectRemoved"),
        sequencer=s3.get("sequencer", ""),
        etag=s3.get("eTag", ""),
    )


def parse(event: dict[str, Any]) -> Work:
    """The work `event` asks for. Unknown shapes ask for a plain republish, which is always safe."""
    if "Records" in event:
        return Work(changes=[change_from_record(record) for record in _s3_records(event)])
    if event.get("source") == "aws.apigateway":
        detail = event.get("detail") or {}
        if detail.get("eventName") in PLAN_EVENTS:
            return Work()
        parameters = detail.get("requestParameters") or {}
        api_id = parameters.get("restApiId") or parameters.get("restapiId")
        if not api_id:
            return Work()
        stage = parameters.get("stageName") or (parameters.get("createDeploymentInput") or {}).get("stageName")
        return Work(sync=[(api_id, stage)])
    if event.get("detail-type") == "Scheduled Event" or event.get("action") == "sync":
        return Work(sync=[])
    if event.get("action") == "rebuild":
        return Work(rebuild=True)
    return Work()
