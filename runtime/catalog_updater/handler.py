"""Keeps catalog.json in step with the specs under catalog/, in batches, and shown stages with API Gateway."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from catalog_updater.build import Builder
from catalog_updater.events import parse
from catalog_updater.sync import sync

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    work = parse(event)
    builder = Builder()
    if work.sync is not None:
        index, _ = builder.read_index()
        rewritten = sync(index, work.sync)
        metrics.add_metric(name="StagesExported", unit=MetricUnit.Count, value=len(rewritten))
        logger.info("shown stages exported again", extra={"rewritten": rewritten})
        # Each rewritten export raises its own S3 event, which builds the catalog with it.
        return {"rewritten": rewritten}
    result = builder.run(work.changes, rebuild=work.rebuild)
    metrics.add_metric(name="SpecsRead", unit=MetricUnit.Count, value=result.specs_read)
    metrics.add_metric(name="InvalidSpecs", unit=MetricUnit.Count, value=result.invalid)
    logger.info(
        "catalog published",
        extra={
            "changed": len(result.changed),
            "specsRead": result.specs_read,
            "published": result.published,
            "invalid": result.invalid,
            "attempts": result.attempts,
        },
    )
    return {
        "changed": result.changed,
        "specsRead": result.specs_read,
        "published": result.published,
        "invalid": result.invalid,
    }
