"""AWS Marketplace SaaS subscriptions: buyers linked to portal users, and their key's place in the plan.

A subscription record is keyed by the customer (``customerId``) and the product (``productCode``). Two
writers fill it in, in either order: the buyer's browser links it to a portal user and their API key
(``link``), and AWS Marketplace's notifications set its status (``apply_notification``). The key belongs in
the plan exactly while the record is linked and its status entitles the buyer; whichever writer completes
that picture puts it there (``reconcile``), and whichever breaks it takes it out.

Notifications arrive at least once and in any order. Each carries an event id, and the record keeps every
id it has seen, so a repeated notification changes nothing. Each carries the time AWS sent it, and the
record keeps the time of the notification that set its status, so an older one arriving late changes
nothing either: an ``unsubscribe-complete`` is not undone by the ``subscribe-success`` it overtook. Every
change is appended to the record's ``history`` with its time and the id of the event that caused it.

``customerId`` is the identifier the configured notifications use: AWS Marketplace's customer identifier
for its SNS topics, or the buyer's AWS account id for its EventBridge events, which name no other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from portal_common import keys, subscriptions
from portal_common.aws import client, is_conditional_failure, resource
from portal_common.clock import precise_now as now
from portal_common.clock import timestamp
from portal_common.errors import BadRequest, Conflict, NotFound, Unavailable
from portal_common.settings import settings

Action = Literal["subscribe-success", "subscribe-fail", "unsubscribe-pending", "unsubscribe-complete"]
ACTIONS: tuple[str, ...] = get_args(Action)
Status = Literal["pending", "active", "failed", "unsubscribing", "unsubscribed"]
EventSource = Literal["sns", "eventbridge"]

STATUS_AFTER: dict[str, Status] = {
    "subscribe-success": "active",
    "subscribe-fail": "failed",
    "unsubscribe-pending": "unsubscribing",
    "unsubscribe-complete": "unsubscribed",
}
# Two notifications sent in the same millisecond are ordered by how far along the lifecycle they are.
_RANK = {"subscribe-success": 1, "subscribe-fail": 1, "unsubscribe-pending": 2, "unsubscribe-complete": 3}
# AWS Marketplace keeps the buyer entitled for the hour between unsubscribe-pending and -complete.
ENTITLED: frozenset[str] = frozenset({"active", "unsubscribing"})
REVOKED: frozenset[str] = frozenset({"failed", "unsubscribed"})
USER_INDEX = "byUser"
"""The subscriptions table's index by portal user (partition ``userId``, sort ``productCode``)."""


def _table() -> Any:
    return resource("dynamodb").Table(settings().subscriptions_table)


def _entry(change: str, event_id: str, **details: Any) -> dict[str, Any]:
    return {"change": change, "eventId": event_id, "at": now(), **{k: v for k, v in details.items() if v}}


def get_subscription(customer_id: str, product_code: str) -> dict[str, Any] | None:
    response = _table().get_item(Key={"customerId": customer_id, "productCode": product_code}, ConsistentRead=True)
    return response.get("Item")


def subscriptions_of(user_id: str) -> Iterator[dict[str, Any]]:
    """Every subscription linked to this portal user, by product code."""
    arguments: dict[str, Any] = {"IndexName": USER_INDEX, "KeyConditionExpression": Key("userId").eq(user_id)}
    while True:
        response = _table().query(**arguments)
        yield from response.get("Items", [])
        if "LastEvaluatedKey" not in response:
            return
        arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def status_of(item: Mapping[str, Any]) -> Status:
    return item.get("status") or "pending"


# Keys: the self-service modules own them (portal_common.keys, portal_common.subscriptions).


def add_key_to_plan(usage_plan_id: str, key_id: str) -> None:
    """Put the key in the plan, out of any plan that shares a stage with it (API Gateway allows one)."""
    subscriptions.subscribe(key_id, subscriptions.get_plan(usage_plan_id), for_marketplace=True)


def remove_key_from_plan(usage_plan_id: str, key_id: str) -> None:
    gateway = client("apigateway")
    with contextlib.suppress(gateway.exceptions.NotFoundException):
        gateway.get_usage_plan_key(usagePlanId=usage_plan_id, keyId=key_id)
        gateway.delete_usage_plan_key(usagePlanId=usage_plan_id, keyId=key_id)


# The buyer's side: resolve the token, check the plan sells the product, link customer, user and key.


@dataclass(frozen=True)
class ResolvedCustomer:
    customer_identifier: str
    product_code: str
    account_id: str = ""
    license_arn: str = ""

    @property
    def customer_id(self) -> str:
        """The identifier the configured notifications name this customer by."""
        if settings().marketplace_event_source == "eventbridge":
            if not self.account_id:
                raise Unavailable(
                    "AWS Marketplace did not say which AWS account subscribed; try again in a few minutes."
                )
            return self.account_id
        return self.customer_identifier


def resolve_customer(token: str) -> ResolvedCustomer:
    """Ask AWS Marketplace who the registration token belongs to and which product they bought."""
    metering = client("meteringmarketplace")
    try:
        response = metering.resolve_customer(RegistrationToken=token)
    except (metering.exceptions.InvalidTokenException, metering.exceptions.ExpiredTokenException) as error:
        raise BadRequest(
            "AWS Marketplace did not accept this subscription link: it has expired or was changed. Open the "
            "product in AWS Marketplace and choose to set up your account again."
        ) from error
    except (
        metering.exceptions.ThrottlingException,
        metering.exceptions.InternalServiceErrorException,
    ) as error:
        raise Unavailable("AWS Marketplace is busy; try again in a minute.") from error
    return ResolvedCustomer(
        customer_identifier=response["CustomerIdentifier"],
        product_code=response["ProductCode"],
        account_id=response.get("CustomerAWSAccountId", ""),
        license_arn=response.get("LicenseArn", ""),
    )


def check_plan_sells(usage_plan_id: str, product_code: str) -> dict[str, Any]:
    """The usage plan, if it is the one that sells `product_code`; refuse any other."""
    gateway = client("apigateway")
    try:
        plan = gateway.get_usage_plan(usagePlanId=usage_plan_id)
    except gateway.exceptions.NotFoundException as error:
        raise NotFound(
            f"There is no usage plan {usage_plan_id}: the AWS Marketplace link names a plan that does "
            "not exist. Tell the API's owner; they set the link in the product's fulfillment URL."
        ) from error
    name = plan.get("name") or usage_plan_id
    plan_code = plan.get("productCode")
    mapped = settings().marketplace_product_codes
    if plan_code and plan_code != product_code:
        raise Conflict(
            f"The usage plan {name} sells AWS Marketplace product {plan_code}, but this subscription is "
            f"to product {product_code}. Start again from the page of the product you bought; if it led "
            "here, tell the API's owner that its fulfillment URL names the wrong usage plan."
        )
    if mapped and mapped.get(product_code) != usage_plan_id:
        raise Conflict(
            f"AWS Marketplace product {product_code} is not sold through the usage plan {name} in this "
            "portal. Start again from the page of the product you bought, or tell the API's owner."
        )
    if not plan_code and not mapped:
        raise Conflict(
            f"The usage plan {name} is not linked to AWS Marketplace product {product_code} yet. Tell "
            "the API's owner to run: devportal marketplace link "
            f"--usage-plan {usage_plan_id} --product-code {product_code}"
        )
    return plan


def link(*, record: Mapping[str, Any], usage_plan_id: str, token: str, request_id: str) -> dict[str, Any]:
    """Link the buyer the token names to this registered account and its key, then put the key in the plan
    if AWS Marketplace says the buyer is entitled."""
    user_id = str(record["userId"])
    customer = resolve_customer(token)
    check_plan_sells(usage_plan_id, customer.product_code)
    key_id = keys.ensure_key(user_id, str(record.get("email") or ""), True)
    entry = _entry("linked", request_id, userId=user_id, usagePlanId=usage_plan_id, apiKeyId=key_id)
    try:
        item = _table().update_item(
            Key={"customerId": customer.customer_id, "productCode": customer.product_code},
            UpdateExpression=(
                "SET userId = :user, usagePlanId = :plan, apiKeyId = :key, "
                "customerIdentifier = :identifier, customerAwsAccountId = :account, licenseArn = :license, "
                "linkedAt = if_not_exists(linkedAt, :now), updatedAt = :now, "
                "history = list_append(if_not_exists(history, :empty), :entry)"
            ),
            ConditionExpression="attribute_not_exists(userId) OR userId = :user",
            ExpressionAttributeValues={
                ":user": user_id,
                ":plan": usage_plan_id,
                ":key": key_id,
                ":identifier": customer.customer_identifier,
                ":account": customer.account_id,
                ":license": customer.license_arn,
                ":now": now(),
                ":empty": [],
                ":entry": [entry],
            },
            ReturnValues="ALL_NEW",
        )["Attributes"]
    except ClientError as error:
        if not is_conditional_failure(error):
            raise
        raise Conflict(
            "This AWS Marketplace subscription is already linked to another portal account. Sign in with "
            "that account, or ask the portal's administrators to move it."
        ) from error
    return reconcile(item, cause=request_id)


# AWS Marketplace's side: notifications, applied at most once each and in the order AWS sent them.


@dataclass(frozen=True)
class Notification:
    """One subscription notification, whichever way it came (SNS message or EventBridge event)."""

    action: Action
    customer_id: str
    product_code: str
    event_id: str
    sent_at: datetime
    source: EventSource
    details: Mapping[str, str] = field(default_factory=dict)


Outcome = Literal["applied", "duplicate", "stale"]


def apply_notification(notification: Notification) -> Outcome:
    """Record the notification's status change unless it was seen already or is older than the status."""
    sent_at = timestamp(notification.sent_at)
    status = STATUS_AFTER[notification.action]
    key = {"customerId": notification.customer_id, "productCode": notification.product_code}
    entry = _entry(
        notification.action,
        notification.event_id,
        status=status,
        sentAt=sent_at,
        source=notification.source,
        **notification.details,
    )
    try:
        item = _table().update_item(
            Key=key,
            UpdateExpression=(
                "SET #status = :status, statusAt = :sent, statusRank = :rank, statusEventId = :event, "
                "updatedAt = :now, history = list_append(if_not_exists(history, :empty), :entry) "
                "ADD eventIds :events"
            ),
            # A notification that would leave the status as it is changes nothing either: a re-sent
            # subscribe-success must not move statusAt past an unsubscribe still on its way.
            ConditionExpression=(
                "(attribute_not_exists(eventIds) OR NOT contains(eventIds, :event)) AND "
                "(attribute_not_exists(statusAt) OR (#status <> :status AND "
                "(statusAt < :sent OR (statusAt = :sent AND statusRank < :rank))))"
            ),
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":status": status,
                ":sent": sent_at,
                ":rank": _RANK[notification.action],
                ":event": notification.event_id,
                ":events": {notification.event_id},
                ":now": now(),
                ":empty": [],
                ":entry": [entry],
            },
            ReturnValues="ALL_NEW",
        )["Attributes"]
    except ClientError as error:
        if not is_conditional_failure(error):
            raise
        current = get_subscription(key["customerId"], key["productCode"]) or {}
        outcome = _not_applied(key, current, notification, entry)
        # A retry of a notification whose first attempt failed half-way finishes the work here.
        reconcile(current, cause=notification.event_id)
        return outcome
    reconcile(item, cause=notification.event_id)
    return "applied"


def _not_applied(
    key: dict[str, str], current: dict[str, Any], notification: Notification, entry: dict[str, Any]
) -> Outcome:
    if notification.event_id in current.get("eventIds", set()):
        return "duplicate"
    if status_of(current) == STATUS_AFTER[notification.action]:
        outcome: Outcome = "duplicate"
        update = "ADD eventIds :events"
        values: dict[str, Any] = {}
    else:
        # Kept in the history, so an operator sees why a late notification changed nothing.
        outcome = "stale"
        update = "SET history = list_append(if_not_exists(history, :empty), :entry) ADD eventIds :events"
        values = {
            ":empty": [],
            ":entry": [
                {
                    **entry,
                    "change": f"ignored {notification.action}",
                    "reason": f"older than {current.get('statusEventId')} sent {current.get('statusAt')}",
                }
            ],
        }
    with contextlib.suppress(ClientError):
        _table().update_item(
            Key=key,
            UpdateExpression=update,
            ConditionExpression="NOT contains(eventIds, :event)",
            ExpressionAttributeValues={
                ":event": notification.event_id,
                ":events": {notification.event_id},
                **values,
            },
        )
    return outcome


def reconcile(item: dict[str, Any], *, cause: str) -> dict[str, Any]:
    """Make the key's membership of the plan match the record, and record the change if there is one.

    The record is written back only if its status and link are still what this call acted on; if either
    writer changed them meanwhile, it reads the record again and acts on that, so both converge.
    """
    for _ in range(5):
        user_id, plan_id = item.get("userId"), item.get("usagePlanId")
        status = status_of(item)
        if not user_id or not plan_id or (status not in ENTITLED and status not in REVOKED):
            return item
        linked_key = str(item.get("apiKeyId") or "")
        # The key the account names now differs from the one linked if the user rotated it since.
        key_id = keys.current_key_id(user_id) or linked_key
        in_plan = status in ENTITLED
        if in_plan:
            add_key_to_plan(plan_id, key_id)
            if linked_key and linked_key != key_id:
                # The user replaced their key; the one they gave up keeps no access.
                remove_key_from_plan(plan_id, linked_key)
        else:
            for stale_key in {key_id, linked_key} - {""}:
                remove_key_from_plan(plan_id, stale_key)
        changed = bool(item.get("keyInPlan")) != in_plan or key_id != linked_key
        if not changed:
            return item
        entry = _entry("key added to plan" if in_plan else "key removed from plan", cause, apiKeyId=key_id)
        try:
            return _table().update_item(
                Key={"customerId": item["customerId"], "productCode": item["productCode"]},
                UpdateExpression=(
                    "SET keyInPlan = :in, apiKeyId = :key, updatedAt = :now, "
                    "history = list_append(if_not_exists(history, :empty), :entry)"
                ),
                ConditionExpression=(
                    "userId = :user AND usagePlanId = :plan AND "
                    + ("attribute_not_exists(#status)" if "status" not in item else "#status = :status")
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":in": in_plan,
                    ":key": key_id,
                    ":user": user_id,
                    ":plan": plan_id,
                    ":now": now(),
                    ":empty": [],
                    ":entry": [entry],
                    **({":status": item["status"]} if "status" in item else {}),
                },
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except ClientError as error:
            if not is_conditional_failure(error):
                raise
            item = get_subscription(item["customerId"], item["productCode"]) or item
    raise RuntimeError(f"The subscription {item['customerId']}/{item['productCode']} kept changing; retry later.")
