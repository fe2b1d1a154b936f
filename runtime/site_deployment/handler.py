"""The ``Custom::DevPortalCustomContent`` resource: seeds ``custom-content/`` once, keeps the operator's.

Properties: ``SiteBucket``, ``SourceBucket`` and ``SourceKey`` (the default content, a CDK zip asset),
``DistributionId``, ``RebuildMode`` (``""`` or ``"overwrite-content"``) and ``RebuildToken`` (any change makes
CloudFormation send an Update, which runs the seeding again).

- Create and Update seed (see ``site_deployment.seed``): missing files only, or every file in
  ``overwrite-content`` mode; then the fragments written are rendered and the changes invalidated.
- Delete removes nothing. ``custom-content/`` is the operator's data, and the site bucket's removal policy
  (RETAIN by default) decides its fate, not this resource.
- The function is its own service token, so it answers CloudFormation itself: always, exactly once, also on
  failure and, through a watchdog, shortly before the function would time out.
"""

from __future__ import annotations

import threading
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from site_deployment.cfn_response import FAILED, SUCCESS, Responder
from site_deployment.seed import SeedError, read_asset, seed_custom_content

logger = Logger()
tracer = Tracer()
metrics = Metrics()

REBUILD_MODES = ("", "overwrite-content")
# Time kept back to answer CloudFormation before Lambda stops the function.
TIMEOUT_MARGIN_SECONDS = 20.0


def physical_id(event: dict[str, Any]) -> str:
    """One per site bucket: an Update is a replacement only when the bucket changes, and Delete is a no-op."""
    existing = event.get("PhysicalResourceId")
    if existing and event.get("RequestType") == "Delete":
        return str(existing)
    bucket = event.get("ResourceProperties", {}).get("SiteBucket")
    return f"custom-content:{bucket}" if bucket else f"custom-content:{event.get('LogicalResourceId', 'unknown')}"


def _required(properties: dict[str, Any]) -> tuple[str, str, str, bool]:
    missing = [name for name in ("SiteBucket", "SourceBucket", "SourceKey") if not properties.get(name)]
    if missing:
        raise SeedError(f"the resource lacks the properties {', '.join(missing)}; set them in the template")
    mode = properties.get("RebuildMode", "")
    if mode not in REBUILD_MODES:
        raise SeedError(f"RebuildMode {mode!r} is not one of '' and 'overwrite-content'; use one of them")
    return (
        properties["SiteBucket"],
        properties["SourceBucket"],
        properties["SourceKey"],
        mode == "overwrite-content",
    )


def _account(context: LambdaContext | None) -> str | None:
    arn = getattr(context, "invoked_function_arn", "") or ""
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 and parts[4].isdigit() else None


def handle(event: dict[str, Any], context: LambdaContext | None = None) -> dict[str, str]:
    """Do what the request asks and return the response ``Data``; raise to fail it."""
    if event["RequestType"] == "Delete":
        logger.info("Delete leaves custom-content/ in place; the site bucket's removal policy decides")
        return {}
    properties = event.get("ResourceProperties", {})
    site_bucket, source_bucket, source_key, overwrite = _required(properties)
    result = seed_custom_content(
        read_asset(source_bucket, source_key),
        site_bucket=site_bucket,
        overwrite=overwrite,
        distribution_id=properties.get("DistributionId", ""),
        expected_owner=_account(context),
    )
    return result.summary()


def _start_watchdog(responder: Responder, event: dict[str, Any], context: LambdaContext | None) -> threading.Timer:
    remaining = context.get_remaining_time_in_millis() / 1000 if context is not None else 900.0
    delay = max(0.0, remaining - TIMEOUT_MARGIN_SECONDS)

    def answer_before_timeout() -> None:
        responder.send(
            FAILED,
            physical_id(event),
            reason=f"The site deployment did not finish within its {remaining:.0f} s; see the function's "
            "logs, then retry the deployment",
        )

    timer = threading.Timer(delay, answer_before_timeout)
    timer.daemon = True
    timer.start()
    return timer


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> None:
    logger.info("custom resource request", extra={"request_type": event.get("RequestType")})
    responder = Responder(event)
    watchdog = _start_watchdog(responder, event, context)
    try:
        data = handle(event, context)
    except Exception as error:
        logger.exception("site deployment failed")
        metrics.add_metric(name="DeploymentsFailed", unit=MetricUnit.Count, value=1)
        log_stream = getattr(context, "log_stream_name", "")
        responder.send(
            FAILED,
            physical_id(event),
            reason=f"{error} (log stream {log_stream})" if log_stream else str(error),
        )
    else:
        responder.send(SUCCESS, physical_id(event), data=data)
    finally:
        watchdog.cancel()
