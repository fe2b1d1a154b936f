"""One API key per portal user: issued at first sign-in, enabled with the account, rotated, deleted with it.

The user's account record (the accounts table, ``userId`` = Cognito sub) says which key is theirs; the portal
never looks a key up by name. The attributes this module owns:

``apiKeyId``
    The user's key. Written once, on the condition that there is none yet, so concurrent first sign-ins
    leave exactly one key: each loser deletes the key it created and answers with the winner's.
``apiKeyEnabled``
    What the key was last set to, so that a sign-in touches API Gateway only when the account changed.
``retiredApiKeyIds``
    Keys a rotation replaced that API Gateway has not deleted yet. A rotation records the old key here in
    the same write that makes the new key the user's, so a crash cannot forget it; the next look at the
    key (``GET /apikey``, a rotation) deletes it.

Keys are named ``{stack}-{sub}`` and tagged ``devportal:stack`` and ``devportal:user`` so that an operator
can tell the portal's keys from others in the account, and whose each one is.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError
from pydantic import BaseModel

from portal_common import accounts, clock
from portal_common.accounts import NOT_RECORDED
from portal_common.aws import AWS_FAILURES, client, error_code, is_conditional_failure, is_not_found, resource
from portal_common.errors import Conflict, NotFound, Unavailable
from portal_common.settings import settings

logger = Logger(child=True)

STACK_TAG = "devportal:stack"
USER_TAG = "devportal:user"


class ApiKey(BaseModel):
    """The user's key as the dashboard shows it; ``value`` only when asked to reveal it."""

    id: str
    name: str = ""
    enabled: bool
    createdDate: str | None = None
    value: str | None = None


class Rotation(BaseModel):
    """The outcome of a rotation: the new key, with its value, and whether the old one is gone yet."""

    key: ApiKey
    subscriptions: list[str]
    """Ids of the usage plans the new key was added to: those the old key was in."""
    oldKeyRevoked: bool
    message: str


def key_name(user_id: str) -> str:
    return f"{settings().stack_name}-{user_id}"


def key_tags(user_id: str) -> dict[str, str]:
    return {STACK_TAG: settings().stack_name, USER_TAG: user_id}


def _gateway() -> Any:
    return client("apigateway")


def _accounts() -> Any:
    return resource("dynamodb").Table(settings().accounts_table)


# --- the account's key -------------------------------------------------------------------------------------


def own_key(record: Mapping[str, Any], email: str) -> tuple[dict[str, Any], str]:
    """The registered caller's record and key id, issuing the key if the first sign-in did not.

    `record` is the caller's account, which ``accounts.require_registered`` let through. A key that is not
    known to be enabled (an approval that could not enable it) is enabled here, so it works from now on.
    """
    key_id = record.get("apiKeyId")
    if not key_id or record.get("apiKeyEnabled") is not True:
        key_id = ensure_key(str(record["userId"]), email, True)
        return {**record, "apiKeyId": key_id, "apiKeyEnabled": True}, key_id
    return dict(record), str(key_id)


def current_key_id(user_id: str) -> str | None:
    """The key the user's account names now, or None when it names none (or there is no account)."""
    record = accounts.get_account(user_id) or {}
    key_id = record.get("apiKeyId")
    return str(key_id) if key_id else None


def ensure_key(user_id: str, email: str, enabled: bool) -> str:
    """The id of the user's API key, created on the first call and set `enabled` (or not).

    Exactly one key per user, even when first requests arrive at once: the key id is written to the account
    record only if it has none, and a request that loses that race deletes the key it made. Raises NotFound
    when the account record does not exist (it is written first, at sign-in).
    """
    record = accounts.get_account(user_id)
    if record is None:
        raise NotFound(NOT_RECORDED)
    key_id = record.get("apiKeyId")
    if key_id:
        if record.get("apiKeyEnabled") is not enabled:
            _set_enabled(user_id, str(key_id), enabled)
        return str(key_id)
    try:
        created = str(_create_key(user_id, email, enabled)["id"])
    except AWS_FAILURES as error:
        logger.exception("Could not issue an API key", extra={"userId": user_id})
        raise Unavailable(
            f"The portal could not issue your API key ({error_code(error)}): sign in again in a minute."
        ) from None
    try:
        _accounts().update_item(
            Key={"userId": user_id},
            UpdateExpression="SET apiKeyId = :key, apiKeyEnabled = :enabled, dateApiKeyCreated = :now",
            ConditionExpression=Attr("userId").exists() & Attr("apiKeyId").not_exists(),
            ExpressionAttributeValues={":key": created, ":enabled": enabled, ":now": clock.now()},
        )
    except ClientError as error:
        _delete_quietly(created)
        if not is_conditional_failure(error):
            raise
        winner = accounts.get_account(user_id)
        if winner is None or not winner.get("apiKeyId"):
            raise NotFound("Your account was deleted while the portal issued its key: register again.") from None
        return str(winner["apiKeyId"])
    return created


def set_key_enabled(user_id: str, enabled: bool) -> None:
    """Enable or disable the user's key, as their account is approved, or moved to pending or denied.

    Does nothing when the user has no key yet: ``ensure_key`` issues it in the right state.
    """
    record = accounts.get_account(user_id)
    if record is None or not record.get("apiKeyId"):
        return
    _set_enabled(user_id, str(record["apiKeyId"]), enabled)


def follow_status(record: Mapping[str, Any], *, is_admin: bool = False) -> None:
    """Set the account's key as its status says: enabled while it holds keys, disabled otherwise."""
    set_key_enabled(str(record["userId"]), accounts.holds_keys(record, is_admin=is_admin))


def delete_keys(record: Mapping[str, Any]) -> None:
    """Delete every key of this account record (its key and any a rotation left); call before deleting it."""
    for key_id in _all_keys(record):
        try:
            _gateway().delete_api_key(apiKey=key_id)
        except ClientError as error:
            if not is_not_found(error):
                raise


def describe_key(record: Mapping[str, Any], *, reveal: bool) -> ApiKey:
    """The key of this record as API Gateway has it; its value only when `reveal` is set."""
    key_id = str(record["apiKeyId"])
    try:
        key = _gateway().get_api_key(apiKey=key_id, includeValue=reveal)
    except ClientError as error:
        if is_not_found(error):
            raise NotFound(
                "Your API key was deleted outside the portal: rotate it (POST /apikey/rotate) to get a new one."
            ) from None
        raise
    return _view(key, reveal=reveal)


def delete_retired(record: Mapping[str, Any]) -> None:
    """Delete the keys a rotation replaced but could not delete then; leave them listed if it fails again."""
    for key_id in record.get("retiredApiKeyIds") or ():
        _retire(str(record["userId"]), str(key_id))


# --- rotation ----------------------------------------------------------------------------------------------


def rotate_key(record: Mapping[str, Any], email: str) -> Rotation:
    """Replace the user's key by a new one in the same usage plans, then delete the old one.

    Atomic from the user's side: the new key becomes theirs in one conditional write, after it is in every
    plan the old one was in. If any step before that fails, the new key is deleted and the old one, which
    nothing touched, keeps working. If deleting the old key fails, the new key is already the user's and
    works; the old one stays listed in ``retiredApiKeyIds`` and is deleted on the next look at the key.
    """
    user_id = str(record["userId"])
    old = str(record["apiKeyId"])
    enabled = record.get("apiKeyEnabled") is not False
    unchanged = "Your key was not rotated and still works, with all its subscriptions"
    try:
        plans = _plans_of(old)
        new = _create_key(user_id, email, enabled)
    except AWS_FAILURES as error:
        logger.exception("Could not start the rotation of an API key", extra={"userId": user_id})
        raise Unavailable(f"{unchanged}: API Gateway did not answer ({error_code(error)}). Try again.") from None
    try:
        for plan_id in plans:
            _gateway().create_usage_plan_key(usagePlanId=plan_id, keyId=new["id"], keyType="API_KEY")
        _accounts().update_item(
            Key={"userId": user_id},
            UpdateExpression="SET apiKeyId = :new, apiKeyEnabled = :enabled, dateApiKeyRotated = :now "
            "ADD retiredApiKeyIds :old",
            ConditionExpression=Attr("apiKeyId").eq(old),
            ExpressionAttributeValues={
                ":new": new["id"],
                ":enabled": enabled,
                ":now": clock.now(),
                ":old": {old},
            },
        )
    except AWS_FAILURES as error:
        _delete_quietly(new["id"])
        if is_conditional_failure(error):
            raise Conflict(
                "Your key was rotated or deleted by another request just now: reload to see your current key."
            ) from None
        logger.exception("Could not finish the rotation of an API key", extra={"userId": user_id})
        raise Unavailable(
            f"{unchanged}: the portal could not set up the new key ({error_code(error)}). Try again."
        ) from None
    revoked = _retire(user_id, old)
    message = (
        "Your new key works now and the old one no longer does."
        if revoked
        else "Your new key works now. The old key could not be deleted yet and may work a little longer; "
        "the portal deletes it the next time you open your dashboard."
    )
    return Rotation(key=_view(new, reveal=True), subscriptions=plans, oldKeyRevoked=revoked, message=message)


def _retire(user_id: str, key_id: str) -> bool:
    """Delete a replaced key and forget it; False, keeping it listed, when API Gateway did not delete it."""
    try:
        _gateway().delete_api_key(apiKey=key_id)
    except AWS_FAILURES as error:
        if not is_not_found(error):
            logger.warning("Could not delete a rotated API key yet", extra={"userId": user_id, "error": str(error)})
            return False
    with contextlib.suppress(*AWS_FAILURES):
        _accounts().update_item(
            Key={"userId": user_id},
            UpdateExpression="DELETE retiredApiKeyIds :old",
            ExpressionAttributeValues={":old": {key_id}},
        )
    return True


# --- API Gateway -------------------------------------------------------------------------------------------


def _create_key(user_id: str, email: str, enabled: bool) -> dict[str, Any]:
    """The new key as API Gateway returns it, value included."""
    stack = settings().stack_name
    return _gateway().create_api_key(
        name=key_name(user_id),
        description=f"The API key of {email or user_id} in the developer portal {stack}.",
        enabled=enabled,
        tags=key_tags(user_id),
    )


def _delete_quietly(key_id: str) -> None:
    try:
        _gateway().delete_api_key(apiKey=key_id)
    except AWS_FAILURES as error:
        if not is_not_found(error):
            # A tagged key no account names is left; its value was never handed out.
            logger.warning("Could not delete an unused API key", extra={"apiKeyId": key_id, "error": str(error)})


def _set_enabled(user_id: str, key_id: str, enabled: bool) -> None:
    try:
        _gateway().update_api_key(
            apiKey=key_id,
            patchOperations=[{"op": "replace", "path": "/enabled", "value": str(enabled).lower()}],
        )
    except ClientError as error:
        if is_not_found(error):
            logger.warning("The account's API key no longer exists", extra={"userId": user_id})
            return
        raise
    with contextlib.suppress(ClientError):
        # Only while the key is still this one: a rotation may have replaced it meanwhile.
        _accounts().update_item(
            Key={"userId": user_id},
            UpdateExpression="SET apiKeyEnabled = :enabled",
            ConditionExpression=Attr("apiKeyId").eq(key_id),
            ExpressionAttributeValues={":enabled": enabled},
        )


def _plans_of(key_id: str) -> list[str]:
    """Ids of the usage plans this key is in: one paginated call, however many plans the account has."""
    plan_ids: list[str] = []
    try:
        for page in _gateway().get_paginator("get_usage_plans").paginate(keyId=key_id):
            plan_ids.extend(str(plan["id"]) for plan in page.get("items", []))
    except ClientError as error:
        if not is_not_found(error):
            raise
    return plan_ids


def _all_keys(record: Mapping[str, Any]) -> list[str]:
    retired: Iterable[Any] = record.get("retiredApiKeyIds") or ()
    keys = [str(record["apiKeyId"])] if record.get("apiKeyId") else []
    return keys + sorted(str(key) for key in retired if str(key) not in keys)


def _view(key: Mapping[str, Any], *, reveal: bool) -> ApiKey:
    created = key.get("createdDate")
    return ApiKey(
        id=key["id"],
        name=key.get("name") or "",
        enabled=bool(key.get("enabled")),
        createdDate=created.isoformat() if isinstance(created, datetime) else None,
        value=key.get("value") if reveal else None,
    )
