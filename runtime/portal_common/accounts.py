"""Account records in the accounts table, one item per portal user keyed by their Cognito ``sub``.

A record changes status by updating the fields that change and nothing else, so no field written earlier
(who invited, who approved, the API key id) is ever lost. Admin is not a status: it is the ``admins`` group.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping
from typing import Any, Literal, get_args

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

from portal_common import clock
from portal_common.aws import is_conditional_failure, resource
from portal_common.errors import BadRequest, Conflict, Forbidden, NotFound
from portal_common.settings import settings

AccountStatus = Literal["registered", "pending_request", "pending_invite", "denied"]
STATUSES: tuple[str, ...] = get_args(AccountStatus)
# Applicants' decisions wait under this key prefix between pre sign-up and post confirmation. Cognito
# subs are UUIDs, so no account can collide with them; listings never return them.
APPLICANT_PREFIX = "applicant#"

NOT_RECORDED = "Your account is not recorded yet: sign in again and the portal will record it."
NOT_REGISTERED = {
    "pending_request": "Your account is pending_request, so it has no API key or subscriptions: "
    "wait for an administrator to approve it.",
    "pending_invite": "Your account is pending_invite, so it has no API key or subscriptions: "
    "sign in with the password your invitation gave you and choose your own.",
    "denied": "Your account is denied, so it has no API key or subscriptions: "
    "it was declined; ask the portal's administrators why.",
}
"""What a caller whose account is not registered is told, by status; the site may show these as they are."""
NOT_REGISTERED_OTHERWISE = (
    "Your account is not registered, so it has no API key or subscriptions: "
    "ask the portal's administrators to approve it."
)


def _table() -> Any:
    return resource("dynamodb").Table(settings().accounts_table)


def holds_keys(record: Mapping[str, Any], *, is_admin: bool = False) -> bool:
    """Whether this account may hold a working API key and subscriptions: registered, or an admin."""
    return is_admin or record.get("status") == "registered"


def require_registered(user_id: str, *, is_admin: bool = False) -> dict[str, Any]:
    """The caller's account record, which must be registered (admins count as registered).

    The record decides, not the token's groups, so an approval or a denial takes effect at once. Raises
    NotFound when there is no record yet, and Forbidden, with the message for its status, otherwise.
    """
    record = get_account(user_id)
    if record is None:
        raise NotFound(NOT_RECORDED)
    if not holds_keys(record, is_admin=is_admin):
        raise Forbidden(NOT_REGISTERED.get(str(record.get("status")), NOT_REGISTERED_OTHERWISE))
    return record


def get_account(user_id: str) -> dict[str, Any] | None:
    return _table().get_item(Key={"userId": user_id}, ConsistentRead=True).get("Item")


def require_account(user_id: str) -> dict[str, Any]:
    item = get_account(user_id)
    if item is None:
        raise NotFound(f"There is no account {user_id}. Reload the list of accounts.")
    return item


def create_account(item: Mapping[str, Any]) -> bool:
    """Write a new record; False when one exists already, which then stays as it is."""
    try:
        _table().put_item(Item=dict(item), ConditionExpression=Attr("userId").not_exists())
    except ClientError as error:
        if is_conditional_failure(error):
            return False
        raise
    return True


def update_account(
    user_id: str, fields: Mapping[str, Any], *, only_from: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """Set `fields` on an existing record, optionally only while its status is one of `only_from`.

    Returns the whole record after the change. Raises NotFound when there is no record, and Conflict when
    its status changed under us (another admin acted first).
    """
    # boto3's condition builder names its own placeholders #n0 and :v0, so these use other names.
    names = {f"#set{index}": name for index, name in enumerate(fields)}
    values = {f":set{index}": value for index, value in enumerate(fields.values())}
    condition = Attr("userId").exists()
    if only_from:
        condition = condition & Attr("status").is_in(list(only_from))
    try:
        response = _table().update_item(
            Key={"userId": user_id},
            UpdateExpression="SET " + ", ".join(f"#set{index} = :set{index}" for index in range(len(fields))),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ConditionExpression=condition,
            ReturnValues="ALL_NEW",
        )
    except ClientError as error:
        if not is_conditional_failure(error):
            raise
        current = require_account(user_id)
        raise Conflict(
            f"The account {current.get('email', user_id)} is now {current.get('status')}; reload and try again."
        ) from error
    return response["Attributes"]


def delete_account(user_id: str) -> None:
    _table().delete_item(Key={"userId": user_id})


def get_accounts(user_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The records of these users, by user id; users without a record are left out."""
    found: dict[str, dict[str, Any]] = {}
    table_name = settings().accounts_table
    dynamodb = resource("dynamodb")
    for start in range(0, len(user_ids), 100):
        keys = [{"userId": user_id} for user_id in user_ids[start : start + 100]]
        request: dict[str, Any] = {table_name: {"Keys": keys}}
        while request:
            response = dynamodb.batch_get_item(RequestItems=request)
            for item in response["Responses"].get(table_name, []):
                found[item["userId"]] = item
            request = response.get("UnprocessedKeys") or {}
    return found


def list_accounts(status: str, *, limit: int, start_after: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of records with this status, in table order, and the user id to continue after."""
    items: list[dict[str, Any]] = []
    start_key = None if start_after is None else {"userId": start_after}
    while len(items) < limit:
        arguments: dict[str, Any] = {
            "FilterExpression": Attr("status").eq(status),
            "Limit": max(limit * 4, 25),
        }
        if start_key is not None:
            arguments["ExclusiveStartKey"] = start_key
        response = _table().scan(**arguments)
        for item in response.get("Items", []):
            items.append(item)
            if len(items) == limit:
                # Scan order is stable, so the last item returned is where the next page starts.
                more = item is not response["Items"][-1] or "LastEvaluatedKey" in response
                return items, item["userId"] if more else None
        start_key = response.get("LastEvaluatedKey")
        if start_key is None:
            break
    return items, None


def all_accounts() -> Iterator[dict[str, Any]]:
    arguments: dict[str, Any] = {}
    while True:
        response = _table().scan(**arguments)
        for item in response.get("Items", []):
            if not str(item["userId"]).startswith(APPLICANT_PREFIX):
                yield item
        if "LastEvaluatedKey" not in response:
            return
        arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def save_applicant_decision(username: str, fields: Mapping[str, Any]) -> None:
    """Remember what the sign-up approver decided until the applicant confirms their email."""
    _table().put_item(Item={"userId": APPLICANT_PREFIX + username, **fields, "dateDecided": clock.now()})


def take_applicant_decision(username: str) -> dict[str, Any] | None:
    """The approver's decision about this applicant, removed from the table as it is read."""
    response = _table().delete_item(Key={"userId": APPLICANT_PREFIX + username}, ReturnValues="ALL_OLD")
    return response.get("Attributes")


def encode_token(position: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(dict(position), separators=(",", ":")).encode()).decode()


def decode_token(token: str, *, kind: str) -> dict[str, Any]:
    """The position a `nextToken` of this `kind` points at; BadRequest when it is not one of ours."""
    try:
        position = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error, UnicodeError) as error:
        raise BadRequest("nextToken is not valid: ask for the first page again, without it.") from error
    if not isinstance(position, dict) or position.get("kind") != kind:
        raise BadRequest("nextToken belongs to another list: ask for the first page again, without it.")
    return position
