"""API keys against moto: issued once at first sign-in (even concurrently), shown, enabled, rotated, deleted.

Rotation is tested with a failure injected at each of its steps (``fail_call``): whatever fails, the user
holds exactly one working key with all its subscriptions.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import botocore.client
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.runtime.events import REGION
from tests.runtime.self_service import (
    PARTNER_API,
    SAMPLE_API,
    STACK,
    SelfService,
    fail_call,
    gateway,
    one_plan_per_stage,
    self_service,
)


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch) -> Iterator[SelfService]:
    with mock_aws():
        one_plan_per_stage(monkeypatch)
        yield self_service(monkeypatch)


def _key(key_id: str) -> dict[str, Any]:
    return gateway().get_api_key(apiKey=key_id, includeValue=True)


def _exists(key_id: str) -> bool:
    try:
        _key(key_id)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "NotFoundException"
        return False
    return True


# --- issuing ---------------------------------------------------------------------------------------------


def test_first_sign_in_issues_a_named_tagged_enabled_key(portal: SelfService) -> None:
    from portal_common import keys

    # When the first sign-in asks for the developer's key
    key_id = keys.ensure_key(portal.dev.user_id, portal.dev.email, True)

    # Then there is one enabled key, named and tagged with the stack and the user; the record names it
    key = _key(key_id)
    assert key["name"] == f"{STACK}-{portal.dev.user_id}"
    assert key["tags"] == {"devportal:stack": STACK, "devportal:user": portal.dev.user_id}
    assert key["enabled"] is True
    assert portal.record(portal.dev)["apiKeyId"] == key_id
    assert portal.record(portal.dev)["apiKeyEnabled"] is True


def test_later_sign_ins_keep_the_key(portal: SelfService) -> None:
    from portal_common import keys

    # Given a developer who has a key
    first = keys.ensure_key(portal.dev.user_id, portal.dev.email, True)

    # When they sign in again
    again = keys.ensure_key(portal.dev.user_id, portal.dev.email, True)

    # Then they keep it and no other was made
    assert again == first
    assert [key["id"] for key in portal.portal_keys_of(portal.dev)] == [first]


def test_concurrent_first_sign_ins_leave_exactly_one_key(portal: SelfService, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.models import DynamoDBBackend

    from portal_common import keys
    from portal_common.aws import client, resource

    # Given four first requests that have all created a key before any records one: a barrier holds each
    # CreateApiKey until all four have made theirs. DynamoDB applies one item's conditional writes one at
    # a time; moto under threads does not promise that, so its update_item is serialized here as AWS does.
    racers = 4
    barrier = threading.Barrier(racers, timeout=30)
    original = botocore.client.BaseClient._make_api_call

    def make_api_call(aws: Any, operation: str, params: dict[str, Any]) -> Any:
        result = original(aws, operation, params)
        if operation == "CreateApiKey":
            barrier.wait()
        return result

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", make_api_call)
    lock = threading.Lock()
    update_item = DynamoDBBackend.update_item

    def serialized_update_item(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return update_item(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "update_item", serialized_update_item)
    client("apigateway"), resource("dynamodb")  # built once, before the threads share them

    # When they run at once
    with ThreadPoolExecutor(max_workers=racers) as pool:
        results = list(pool.map(lambda _: keys.ensure_key(portal.dev.user_id, portal.dev.email, True), range(racers)))

    # Then all answer with the same key, the recorded one, and it is the only key of the user left
    assert len(set(results)) == 1
    assert results[0] == portal.key_of(portal.dev)
    assert [key["id"] for key in portal.portal_keys_of(portal.dev)] == [results[0]]


def test_the_loser_of_a_first_sign_in_race_deletes_its_key(
    portal: SelfService, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portal_common import keys

    # Given a second first request that records its key while the first is creating its own
    original = botocore.client.BaseClient._make_api_call
    second: list[str] = []

    def make_api_call(aws: Any, operation: str, params: dict[str, Any]) -> Any:
        result = original(aws, operation, params)
        if operation == "CreateApiKey" and not second:
            second.append("running")
            second.append(keys.ensure_key(portal.dev.user_id, portal.dev.email, True))
        return result

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", make_api_call)

    # When the first request goes on to record its key
    first = keys.ensure_key(portal.dev.user_id, portal.dev.email, True)

    # Then it answers with the second request's key and deleted its own
    assert first == second[1] == portal.key_of(portal.dev)
    assert [key["id"] for key in portal.portal_keys_of(portal.dev)] == [first]


def test_fails_when_the_account_is_not_recorded(portal: SelfService) -> None:
    from portal_common import keys
    from portal_common.errors import NotFound

    stranger = portal.add("stranger@example.com", status=None)

    with pytest.raises(NotFound, match="Your account is not recorded yet: sign in again"):
        keys.ensure_key(stranger.user_id, stranger.email, True)
    assert portal.portal_keys_of(stranger) == []


def test_fails_when_api_gateway_cannot_issue_the_key(portal: SelfService, monkeypatch: pytest.MonkeyPatch) -> None:
    from portal_common import keys
    from portal_common.errors import Unavailable

    fail_call(monkeypatch, "CreateApiKey")

    with pytest.raises(Unavailable, match=r"could not issue your API key \(TooManyRequestsException\): sign in again"):
        keys.ensure_key(portal.dev.user_id, portal.dev.email, True)
    assert "apiKeyId" not in portal.record(portal.dev)


# --- enabling, disabling, deleting -------------------------------------------------------------------------


def test_a_key_is_disabled_and_enabled_with_its_account(portal: SelfService) -> None:
    from portal_common import keys

    # Given a developer with a key
    key_id = keys.ensure_key(portal.dev.user_id, portal.dev.email, True)

    # When their account is suspended, then approved again
    keys.set_key_enabled(portal.dev.user_id, False)
    disabled = _key(key_id)["enabled"]
    keys.set_key_enabled(portal.dev.user_id, True)

    # Then the key followed
    assert (disabled, _key(key_id)["enabled"]) == (False, True)
    assert portal.record(portal.dev)["apiKeyEnabled"] is True


def test_a_sign_in_sets_the_key_to_the_accounts_state(portal: SelfService) -> None:
    from portal_common import keys

    # Given an enabled key
    key_id = keys.ensure_key(portal.dev.user_id, portal.dev.email, True)

    # When a sign-in says the account may not use it
    keys.ensure_key(portal.dev.user_id, portal.dev.email, False)

    # Then it is disabled
    assert _key(key_id)["enabled"] is False
    assert portal.record(portal.dev)["apiKeyEnabled"] is False


def test_deleting_an_account_deletes_its_keys(portal: SelfService) -> None:
    from portal_common import keys

    # Given a developer with a key and one a rotation could not delete yet
    key_id = keys.ensure_key(portal.dev.user_id, portal.dev.email, True)
    leftover = gateway().create_api_key(name="leftover", enabled=True)["id"]
    record = {**portal.record(portal.dev), "retiredApiKeyIds": {leftover}}

    # When the account is deleted
    keys.delete_keys(record)

    # Then both keys are gone
    assert not _exists(key_id)
    assert not _exists(leftover)


# --- GET /apikey --------------------------------------------------------------------------------------------


def test_the_key_value_is_shown_only_when_revealed(portal: SelfService) -> None:
    # Given a developer whose first sign-in issued a key
    from portal_common import keys

    key_id = keys.ensure_key(portal.dev.user_id, portal.dev.email, True)

    # When they look at it, and then reveal it
    hidden = portal.call("GET", "/apikey", portal.dev)
    shown = portal.call("GET", "/apikey", portal.dev, query={"reveal": "true"})

    # Then only the reveal carries the value, and neither may be cached
    assert hidden.status == shown.status == 200
    assert hidden.body["id"] == shown.body["id"] == key_id
    assert hidden.body["value"] is None
    assert shown.body["value"] == _key(key_id)["value"]
    assert hidden.headers["Cache-Control"] == shown.headers["Cache-Control"] == "no-store"


def test_looking_at_the_key_issues_it_when_the_sign_in_did_not(portal: SelfService) -> None:
    reply = portal.call("GET", "/apikey", portal.dev)

    assert reply.status == 200
    assert reply.body["id"] == portal.key_of(portal.dev)
    assert reply.body["enabled"] is True


def test_fails_when_the_key_was_deleted_outside_the_portal(portal: SelfService) -> None:
    from portal_common import keys

    key_id = keys.ensure_key(portal.dev.user_id, portal.dev.email, True)
    gateway().delete_api_key(apiKey=key_id)

    reply = portal.call("GET", "/apikey", portal.dev)

    assert reply.status == 404
    assert reply.body["message"] == (
        "Your API key was deleted outside the portal: rotate it (POST /apikey/rotate) to get a new one."
    )


@pytest.mark.parametrize(
    ("status", "advice"),
    [
        ("pending_request", "wait for an administrator to approve it."),
        ("denied", "it was declined; ask the portal's administrators why."),
    ],
)
def test_fails_when_the_account_may_not_hold_a_key(portal: SelfService, status: str, advice: str) -> None:
    waiting = portal.add(f"{status}@example.com", status=status)

    reply = portal.call("GET", "/apikey", waiting)

    assert reply.status == 403
    assert reply.body["message"] == f"Your account is {status}, so it has no API key or subscriptions: {advice}"
    assert portal.portal_keys_of(waiting) == []


def test_a_user_only_ever_sees_their_own_key(portal: SelfService) -> None:
    # Given two developers with keys
    mine = portal.call("GET", "/apikey", portal.dev).body["id"]

    # When the other asks for a key, naming the first developer wherever they can
    reply = portal.call(
        "GET", "/apikey", portal.other, query={"reveal": "true", "userId": portal.dev.user_id, "keyId": mine}
    )

    # Then they get their own
    assert reply.status == 200
    assert reply.body["id"] == portal.key_of(portal.other) != mine
    assert reply.body["value"] != _key(mine)["value"]


# --- rotation ----------------------------------------------------------------------------------------------


@pytest.fixture
def subscribed(portal: SelfService) -> tuple[str, list[str]]:
    """The developer's key, in Free (sample API) and Partner (another API)."""
    free = portal.plan("Free", [SAMPLE_API], quota={"limit": 1000, "period": "MONTH"})
    partner = portal.plan("Partner", [PARTNER_API])
    portal.publish({SAMPLE_API: "Sample API", PARTNER_API: "Partner API"}, [free, partner])
    for plan_id in (free, partner):
        assert portal.call("PUT", f"/subscriptions/{plan_id}", portal.dev).status == 200
    return portal.key_of(portal.dev), [free, partner]


def test_rotation_moves_the_subscriptions_to_a_new_key_and_deletes_the_old(
    portal: SelfService, subscribed: tuple[str, list[str]]
) -> None:
    old, plan_ids = subscribed

    # When the developer rotates their key
    reply = portal.call("POST", "/apikey/rotate", portal.dev)

    # Then the answer carries the new key's value, the new key is in both plans, and the old one is gone
    assert reply.status == 200, reply.body
    new = reply.body["key"]["id"]
    assert new != old
    assert reply.body["key"]["value"] == _key(new)["value"]
    assert reply.headers["Cache-Control"] == "no-store"
    assert sorted(reply.body["subscriptions"]) == sorted(plan_ids)
    assert reply.body["oldKeyRevoked"] is True
    assert reply.body["message"] == "Your new key works now and the old one no longer does."
    assert portal.plans_of(new) == ["Free", "Partner"]
    assert not _exists(old)
    assert portal.key_of(portal.dev) == new
    assert not portal.record(portal.dev).get("retiredApiKeyIds")
    assert [key["id"] for key in portal.portal_keys_of(portal.dev)] == [new]


ROTATION_STEPS = [
    pytest.param("GetUsagePlans", 1, id="reading-the-old-keys-plans"),
    pytest.param("CreateApiKey", 1, id="creating-the-new-key"),
    pytest.param("CreateUsagePlanKey", 1, id="adding-the-new-key-to-the-first-plan"),
    pytest.param("CreateUsagePlanKey", 2, id="adding-the-new-key-to-the-second-plan"),
    pytest.param("UpdateItem", 1, id="recording-the-new-key"),
]


@pytest.mark.parametrize(("operation", "call"), ROTATION_STEPS)
def test_fails_when_a_rotation_step_fails_and_the_old_key_keeps_working(
    portal: SelfService,
    subscribed: tuple[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
    operation: str,
    call: int,
) -> None:
    old, _ = subscribed

    # Given API Gateway or DynamoDB failing at one step of the rotation
    fail_call(monkeypatch, operation, on_calls=[call])

    # When the developer rotates their key
    reply = portal.call("POST", "/apikey/rotate", portal.dev)

    # Then they are told nothing changed, and they hold the old key alone, enabled, in both plans
    assert reply.status == 503
    assert reply.body["message"].startswith("Your key was not rotated and still works, with all its subscriptions")
    assert reply.body["message"].endswith("Try again.")
    assert portal.key_of(portal.dev) == old
    assert _key(old)["enabled"] is True
    assert portal.plans_of(old) == ["Free", "Partner"]
    assert [key["id"] for key in portal.portal_keys_of(portal.dev)] == [old]


def test_a_rotation_whose_old_key_cannot_be_deleted_yet_still_hands_over_the_new_key(
    portal: SelfService, subscribed: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    old, _ = subscribed

    # Given API Gateway failing to delete the old key once
    fail_call(monkeypatch, "DeleteApiKey", on_calls=[1])

    # When the developer rotates their key
    reply = portal.call("POST", "/apikey/rotate", portal.dev)

    # Then the new key is theirs and works, and the old one waits to be deleted
    assert reply.status == 200
    new = reply.body["key"]["id"]
    assert reply.body["oldKeyRevoked"] is False
    assert "the portal deletes it the next time you open your dashboard" in reply.body["message"]
    assert portal.key_of(portal.dev) == new
    assert portal.plans_of(new) == ["Free", "Partner"]
    assert portal.record(portal.dev)["retiredApiKeyIds"] == {old}

    # And when they next look at their key, the old one is deleted
    assert portal.call("GET", "/apikey", portal.dev).body["id"] == new
    assert not _exists(old)
    assert not portal.record(portal.dev).get("retiredApiKeyIds")


def test_fails_when_another_rotation_won_the_race(
    portal: SelfService, subscribed: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    old, _ = subscribed

    # Given another request replaces the key while this rotation is creating its new one
    original = botocore.client.BaseClient._make_api_call
    table = boto3.resource("dynamodb", region_name=REGION).Table("accounts")

    def make_api_call(aws: Any, operation: str, params: dict[str, Any]) -> Any:
        result = original(aws, operation, params)
        if operation == "CreateApiKey":
            table.update_item(
                Key={"userId": portal.dev.user_id},
                UpdateExpression="SET apiKeyId = :other",
                ExpressionAttributeValues={":other": "winner1234"},
            )
        return result

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", make_api_call)

    # When this rotation records its key
    reply = portal.call("POST", "/apikey/rotate", portal.dev)

    # Then it gives way, deleting the key it made, and the old key was not touched by it
    assert reply.status == 409
    assert reply.body["message"].startswith("Your key was rotated or deleted by another request just now: reload")
    assert [key["id"] for key in portal.portal_keys_of(portal.dev)] == [old]


def test_rotating_one_users_key_leaves_another_users_key_alone(
    portal: SelfService, subscribed: tuple[str, list[str]]
) -> None:
    # Given another user with a key
    theirs = portal.call("GET", "/apikey", portal.other).body["id"]
    mine, _ = subscribed

    # When the other user rotates, naming the developer in the body
    reply = portal.call("POST", "/apikey/rotate", portal.other, body={"userId": portal.dev.user_id})

    # Then only the other user's key changed
    assert reply.status == 200
    assert not _exists(theirs)
    assert portal.key_of(portal.dev) == mine
    assert _exists(mine)
    assert portal.plans_of(mine) == ["Free", "Partner"]
    assert reply.body["subscriptions"] == []
