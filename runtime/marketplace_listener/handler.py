"""Applies AWS Marketplace subscription notifications (SNS or EventBridge) to the subscription records.

A notification that cannot be applied raises: Lambda retries it, then sends it to the dead-letter queue,
whose alarm tells the operator. Repeated and out-of-date notifications are not errors; they change nothing.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from marketplace_listener.events import notifications_in
from portal_common.marketplace import apply_notification

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> None:
    for notification in notifications_in(event):
        outcome = apply_notification(notification)
        logger.info(
            "Marketplace notification %s",
            outcome,
            extra={
                "action": notification.action,
                "eventId": notification.event_id,
                "customerId": notification.customer_id,
                "productCode": notification.product_code,
                "sentAt": notification.sent_at.isoformat(),
            },
        )
        metrics.add_metric(name=f"Notifications{outcome.capitalize()}", unit=MetricUnit.Count, value=1)
