"""Feedback the portal's users send: stored in the feedback table, announced to the admin through SNS.

One item per message, keyed by ``feedbackId``. Only administrators read or delete them; the sender's id and
email are stored with the message so the admin can answer.
"""

from __future__ import annotations

import uuid
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from portal_common import clock
from portal_common.aws import client, resource
from portal_common.errors import NotFound
from portal_common.settings import settings

logger = Logger(child=True)

SUBJECT = "New feedback on your developer portal"
MAX_SCANNED = 5000
"""The most items one listing reads; feedback is a human-sized table, this bounds a runaway one."""


def _table() -> Any:
    return resource("dynamodb").Table(settings().feedback_table)


def save(*, user_id: str, email: str, message: str, page: str | None) -> tuple[dict[str, Any], bool]:
    """Store the message and notify the admin; returns the item and whether the notification went out.

    A failed notification does not lose the feedback: it is stored first, and the admin console lists it.
    """
    item: dict[str, Any] = {
        "feedbackId": str(uuid.uuid4()),
        "userId": user_id,
        "email": email,
        "message": message,
        "dateCreated": clock.now(),
    }
    if page:
        item["page"] = page
    _table().put_item(Item=item)
    return item, _notify(item)


def _notify(item: dict[str, Any]) -> bool:
    topic = settings().feedback_topic_arn
    if not topic:
        return False
    where = f" on {item['page']}" if item.get("page") else ""
    body = (
        f"{item['email'] or item['userId']} wrote{where} at {item['dateCreated']}:\n\n{item['message']}\n\n"
        "Read and delete feedback in the portal's admin console."
    )
    try:
        client("sns").publish(TopicArn=topic, Subject=SUBJECT, Message=body)
    except (ClientError, BotoCoreError):
        logger.exception("Could not notify the admin of new feedback", extra={"feedbackId": item["feedbackId"]})
        return False
    return True


def newest_first(*, limit: int, after: tuple[str, str] | None) -> tuple[list[dict[str, Any]], tuple[str, str] | None]:
    """One page of feedback, newest first, and the ``(dateCreated, feedbackId)`` to continue after."""
    items: list[dict[str, Any]] = []
    arguments: dict[str, Any] = {}
    while len(items) < MAX_SCANNED:
        response = _table().scan(**arguments)
        items.extend(response.get("Items", []))
        if "LastEvaluatedKey" not in response:
            break
        arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    ordered = sorted(items, key=_position, reverse=True)
    if after is not None:
        ordered = [item for item in ordered if _position(item) < after]
    page = ordered[:limit]
    more = len(ordered) > limit
    return page, _position(page[-1]) if more and page else None


def _position(item: dict[str, Any]) -> tuple[str, str]:
    return str(item.get("dateCreated", "")), str(item["feedbackId"])


def delete(feedback_id: str) -> None:
    response = _table().delete_item(Key={"feedbackId": feedback_id}, ReturnValues="ALL_OLD")
    if not response.get("Attributes"):
        raise NotFound(f"There is no feedback {feedback_id}: someone may have deleted it. Reload the list.")
