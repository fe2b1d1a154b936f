"""Rebuilds catalog.json when specs under catalog/ change."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from catalog_updater.build import build_catalog

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    catalog = build_catalog()
    logger.info("catalog published", extra={"apis": len(catalog["apis"]), "generic": len(catalog["generic"])})
    return {"apis": len(catalog["apis"]), "generic": len(catalog["generic"])}
