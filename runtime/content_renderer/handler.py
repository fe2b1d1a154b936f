"""Renders a content fragment whenever one is uploaded to ``custom-content/content-fragments/``.

Triggered by S3 ``ObjectCreated`` events filtered to ``*.md`` under that folder. Each fragment's JSON is
written beside it (see ``content_renderer.render`` for its shape) and, when ``DISTRIBUTION_ID`` is set,
invalidated in CloudFront so visitors see it at once. A broken fragment keeps its last good JSON; the error
is logged, and the function does not fail, since S3 retrying the same broken file would not help.
"""

from __future__ import annotations

import os
import time
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from content_renderer.publish import is_fragment, publish_fragment
from portal_common.aws import client

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def _fragment_keys(event: dict) -> list[tuple[str, str]]:
    found = []
    for record in event.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])
        if is_fragment(key):
            found.append((bucket, key))
    return found


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
    results = [publish_fragment(bucket, key) for bucket, key in _fragment_keys(event)]
    written = [result.json_key for result in results if result.written]
    metrics.add_metric(name="FragmentsRendered", unit=MetricUnit.Count, value=len(written))
    metrics.add_metric(name="FragmentsKept", unit=MetricUnit.Count, value=len(results) - len(written))
    distribution_id = os.environ.get("DISTRIBUTION_ID", "")
    if written and distribution_id:
        invalidate(distribution_id, written)
    return {
        "rendered": written,
        "kept": [{"file": result.key, "problem": result.problem} for result in results if not result.written],
    }
