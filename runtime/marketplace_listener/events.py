"""AWS Marketplace's subscription notifications, as SNS messages or EventBridge events, made one shape.

SNS (the product's ``aws-mp-subscription-notification-<code>`` topic) sends a JSON message::

    {"action": "subscribe-success", "customer-identifier": "...", "product-code": "...",
     "offer-identifier": "...", "isFreeTrialTermPresent": "false"}

EventBridge (source ``aws.agreement-marketplace``, on the default bus in us-east-1) names the buyer by their
AWS account: ``License Updated - Manufacturer`` grants the product (as ``subscribe-success`` does) and
``License Deprovisioned - Manufacturer`` revokes it (as ``unsubscribe-complete`` does), each with
``detail.product.code`` and ``detail.acceptor.accountId``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from portal_common.clock import parse_time
from portal_common.marketplace import ACTIONS, Action, Notification

EVENTBRIDGE_SOURCE = "aws.agreement-marketplace"
EVENTBRIDGE_ACTIONS: dict[str, Action] = {
    "License Updated": "subscribe-success",
    "License Deprovisioned": "unsubscribe-complete",
}
"""EventBridge detail types (without their `` - Manufacturer`` role suffix) and the SNS action each means."""


class MalformedNotification(ValueError):
    """A notification the listener cannot read; it fails, and lands in the dead-letter queue."""


def notifications_in(event: Mapping[str, Any]) -> Iterator[Notification]:
    """The notifications a Lambda invocation carries: SNS records, or one EventBridge event."""
    if "Records" in event:
        for record in event["Records"]:
            yield from_sns(record)
    elif event.get("source") == EVENTBRIDGE_SOURCE:
        yield from_eventbridge(event)
    else:
        raise MalformedNotification(
            f"Expected SNS records or an EventBridge event from {EVENTBRIDGE_SOURCE}, got keys {sorted(event)}"
        )


def _required(values: Mapping[str, Any], name: str, where: str) -> str:
    value = values.get(name)
    if not isinstance(value, str) or not value:
        raise MalformedNotification(f"The {where} has no {name!r}")
    return value


def from_sns(record: Mapping[str, Any]) -> Notification:
    sns = record.get("Sns") or {}
    event_id = _required(sns, "MessageId", "SNS record")
    where = f"SNS message {event_id}"
    try:
        message = json.loads(_required(sns, "Message", where))
    except json.JSONDecodeError as error:
        raise MalformedNotification(f"The {where} is not JSON: {error}") from error
    if not isinstance(message, dict):
        raise MalformedNotification(f"The {where} is not a JSON object")
    action = _required(message, "action", where)
    if action not in ACTIONS:
        raise MalformedNotification(f"The {where} has action {action!r}; expected one of {', '.join(ACTIONS)}")
    details = {
        name: str(message[key])
        for name, key in (("offerIdentifier", "offer-identifier"), ("freeTrial", "isFreeTrialTermPresent"))
        if message.get(key) not in (None, "")
    }
    return Notification(
        action=action,  # type: ignore[arg-type]
        customer_id=_required(message, "customer-identifier", where),
        product_code=_required(message, "product-code", where),
        event_id=event_id,
        sent_at=_time(_required(sns, "Timestamp", where), where),
        source="sns",
        details=details,
    )


def from_eventbridge(event: Mapping[str, Any]) -> Notification:
    event_id = _required(event, "id", "EventBridge event")
    where = f"EventBridge event {event_id}"
    detail_type = _required(event, "detail-type", where)
    action = EVENTBRIDGE_ACTIONS.get(detail_type.split(" - ")[0])
    if action is None:
        raise MalformedNotification(
            f"The {where} is a {detail_type!r}; the listener handles "
            + ", ".join(f"'{name} - Manufacturer'" for name in EVENTBRIDGE_ACTIONS)
        )
    detail = event.get("detail") or {}
    product = detail.get("product") or {}
    acceptor = detail.get("acceptor") or {}
    details = {
        name: str(value)
        for name, value in (
            ("licenseArn", (detail.get("license") or {}).get("arn")),
            ("agreementId", (detail.get("agreement") or {}).get("id")),
            ("offerIdentifier", (detail.get("offer") or {}).get("id")),
        )
        if value
    }
    return Notification(
        action=action,
        customer_id=_required(acceptor, "accountId", f"{where} detail.acceptor"),
        product_code=_required(product, "code", f"{where} detail.product"),
        event_id=event_id,
        sent_at=_time(_required(event, "time", where), where),
        source="eventbridge",
        details=details,
    )


def _time(text: str, where: str) -> datetime:
    try:
        return parse_time(text)
    except ValueError as error:
        raise MalformedNotification(f"The {where} has an unreadable time {text!r}") from error
