"""Renders a content fragment whenever one is uploaded, and lists the API logos whenever one changes.

Triggered by S3 ``ObjectCreated`` events on ``custom-content/content-fragments/*.md`` and by ``ObjectCreated``
and ``ObjectRemoved`` events on ``custom-content/api-logos/*.png``. Each fragment's JSON is written beside it
(see ``content_renderer.render`` for its shape); a logo event rewrites ``api-logos/index.json``
(``content_renderer.logos``). What changed is invalidated in CloudFront when ``DISTRIBUTION_ID`` is set, so
visitors see it at once. A broken fragment keeps its last good JSON; the error is logged, and the function
does not fail, since S3 retrying the same broken file would not help.
"""

from __future__ import annotations

import os
import time
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from content_renderer.logos import MANIFEST_KEY, is_logo, publish_logo_manifest
from content_renderer.publish import is_fragment, publish_fragment
from portal_common.aws import client

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def _keys(event: dict) -> tuple[list[tuple[str, str]], dict[str, list[str]]]:
    """The fragments created, and the logos created or removed by bucket."""
    fragments: list[tuple[str, str]] = []
    logos: dict[str, list[str]] = {}
    for record in event.get("Records", []):
        event_name = str(record.get("eventName", ""))
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])
        if is_logo(key) and event_name.startswith(("ObjectCreated", "ObjectRemoved")):
            logos.setdefault(bucket, []).append(key)
        elif is_fragment(key) and event_name.startswith("ObjectCreated"):
            fragments.append((bucket, key))
    return fragments, logos


def invalidate(distribution_id: str, keys: list[str]) -> None:
    client("cloudfront").create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": len(keys), "Items": [f"/{key}" for key in keys]},
            "CallerReference": f"content-renderer-{time.time_ns()}",
        },
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    fragments, logos = _keys(event)
    results = [publish_fragment(bucket, key) for bucket, key in fragments]
    written = [result.json_key for result in results if result.written]
    metrics.add_metric(name="FragmentsRendered", unit=MetricUnit.Count, value=len(written))
    metrics.add_metric(name="FragmentsKept", unit=MetricUnit.Count, value=len(results) - len(written))
    manifests = [MANIFEST_KEY for bucket in sorted(logos) if publish_logo_manifest(bucket)]
    # A replaced logo keeps its name, so CloudFront must forget the old one too.
    changed = written + sorted({key for keys in logos.values() for key in keys}) + manifests
    distribution_id = os.environ.get("DISTRIBUTION_ID", "")
    if changed and distribution_id:
        invalidate(distribution_id, changed)
    return {
        "rendered": written,
        "kept": [{"file": result.key, "problem": result.problem} for result in results if not result.written],
        "logos": manifests,
    }
