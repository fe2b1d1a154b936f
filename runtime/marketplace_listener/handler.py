"""Applies AWS Marketplace subscription notifications, delivered by SNS, to the subscription records."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from portal_common.aws import resource
from portal_common.settings import settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()

KNOWN_ACTIONS = ("subscribe-success", "subscribe-fail", "unsubscribe-pending", "unsubscribe-complete")


def record(message: dict, event_id: str) -> None:
    action = message.get("action")
    if action not in KNOWN_ACTIONS:
        raise ValueError(f"Unknown marketplace action {action!r}; expected one of {', '.join(KNOWN_ACTIONS)}")
    resource("dynamodb").Table(settings().subscriptions_table).update_item(
        Key={"customerId": message["customer-identifier"], "productCode": message["product-code"]},
        UpdateExpression="SET lastAction = :action, lastEventId = :event, updatedAt = :now",
        ExpressionAttributeValues={
            ":action": action,
            ":event": event_id,
            ":now": datetime.now(UTC).isoformat(),
        },
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> None:
    for sns_record in event.get("Records", []):
        notification = sns_record["Sns"]
        record(json.loads(notification["Message"]), notification["MessageId"])
