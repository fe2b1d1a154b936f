"""An account's API key follows the account: issued once at sign-in, enabled only while the account is
registered, disabled when it is denied or back to pending, deleted with it (with what rotations left).

Against moto. Failures of API Gateway are injected with ``fail_call``.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from tests.runtime.events import REGION, User
from tests.runtime.self_service import SelfService, fail_call, gateway, self_service


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch) -> Iterator[SelfService]:
    with mock_aws():
        portal = self_service(monkeypatch)
        portal.configure(REGISTRATION_MODE="request")
        yield portal


def _enabled(key_id: str) -> bool:
    return bool(gateway().get_api_key(apiKey=key_id)["enabled"])


def _exists(key_id: str) -> bool:
    return any(key["id"] == key_id for key in gateway().get_api_keys()["items"])


def _signed_in_applicant(portal: SelfService) -> tuple[User, str]:
    """An account waiting for approval that has signed in once; its key's id."""
    applicant = portal.add("applicant@example.com", status="pending_request")
    assert portal.call("POST", "/signin", applicant).status == 200
    return applicant, portal.key_of(applicant)


def test_signin_issues_a_registered_account_one_enabled_key(portal: SelfService) -> None:
    # When a registered developer's site runs the first-sign-in bootstrap twice
    first = portal.call("POST", "/signin", portal.dev)
    second = portal.call("POST", "/signin", portal.dev)

    # Then they hold exactly one key, enabled, and their account names it
    assert first.status == second.status == 200
    issued = portal.portal_keys_of(portal.dev)
    assert [(key["id"], key["enabled"]) for key in issued] == [(portal.key_of(portal.dev), True)]
    assert portal.record(portal.dev)["apiKeyEnabled"] is True


def test_signin_issues_a_pending_account_a_disabled_key(portal: SelfService) -> None:
    # When an account waiting for approval signs in
    applicant, key_id = _signed_in_applicant(portal)

    # Then its one key exists but does not work, and it may not look at it yet
    assert [key["id"] for key in portal.portal_keys_of(applicant)] == [key_id]
    assert _enabled(key_id) is False
    reply = portal.call("GET", "/apikey", applicant)
    assert reply.status == 403
    assert reply.body["message"] == (
        "Your account is pending_request, so it has no API key or subscriptions: "
        "wait for an administrator to approve it."
    )


def test_approving_an_account_enables_its_key(portal: SelfService) -> None:
    # Given an applicant whose sign-in issued a disabled key
    applicant, key_id = _signed_in_applicant(portal)

    # When an admin approves them
    reply = portal.call("POST", f"/admin/accounts/{applicant.user_id}/approve", portal.admin)

    # Then the same key works, and the applicant sees it enabled
    assert reply.status == 200
    assert _enabled(key_id) is True
    shown = portal.call("GET", "/apikey", applicant)
    assert (shown.status, shown.body["id"], shown.body["enabled"]) == (200, key_id, True)


def test_an_approval_that_could_not_enable_the_key_is_finished_by_the_next_look(
    portal: SelfService, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an applicant with a disabled key, and API Gateway failing the approval's UpdateApiKey
    applicant, key_id = _signed_in_applicant(portal)
    fail_call(monkeypatch, "UpdateApiKey")

    # When an admin approves them, and they then open their dashboard
    approved = portal.call("POST", f"/admin/accounts/{applicant.user_id}/approve", portal.admin)
    still_disabled = _enabled(key_id)
    shown = portal.call("GET", "/apikey", applicant)

    # Then the approval stands, and the look at the key enables it
    assert (approved.status, approved.body["status"]) == (200, "registered")
    assert still_disabled is False
    assert (shown.status, shown.body["enabled"]) == (200, True)
    assert _enabled(key_id) is True


def test_denying_an_account_disables_its_key(portal: SelfService) -> None:
    from portal_common import keys

    # Given an applicant whose key was left enabled
    applicant, key_id = _signed_in_applicant(portal)
    keys.set_key_enabled(applicant.user_id, True)

    # When an admin denies them
    reply = portal.call("POST", f"/admin/accounts/{applicant.user_id}/deny", portal.admin)

    # Then the key no longer works, and the account is told why it has none
    assert (reply.status, reply.body["status"]) == (200, "denied")
    assert _enabled(key_id) is False
    assert portal.record(applicant)["apiKeyEnabled"] is False
    assert portal.call("GET", "/apikey", applicant).body["message"] == (
        "Your account is denied, so it has no API key or subscriptions: "
        "it was declined; ask the portal's administrators why."
    )


def test_fails_when_the_key_of_a_denied_account_cannot_be_disabled(
    portal: SelfService, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an applicant with a key, and API Gateway failing UpdateApiKey
    applicant, _ = _signed_in_applicant(portal)
    fail_call(monkeypatch, "UpdateApiKey")

    # When an admin denies them
    reply = portal.call("POST", f"/admin/accounts/{applicant.user_id}/deny", portal.admin)

    # Then the denial is refused as a whole, so the admin can simply try again
    assert reply.status == 503
    assert reply.body["message"] == (
        "applicant@example.com is still pending: the portal could not disable their API key "
        "(TooManyRequestsException). Try again in a minute."
    )
    assert portal.record(applicant)["status"] == "pending_request"


def test_a_move_back_to_pending_disables_the_key(portal: SelfService) -> None:
    from portal_common import keys

    # Given a registered developer with a working key
    assert portal.call("POST", "/signin", portal.dev).status == 200
    key_id = portal.key_of(portal.dev)

    # When their account goes back to waiting for approval
    keys.follow_status({**portal.record(portal.dev), "status": "pending_request"})

    # Then the key stops working
    assert _enabled(key_id) is False
    assert portal.record(portal.dev)["apiKeyEnabled"] is False


def test_deleting_an_account_deletes_its_key_and_those_rotations_left(portal: SelfService) -> None:
    # Given a developer with a key, and an older key a rotation could not delete yet
    assert portal.call("POST", "/signin", portal.dev).status == 200
    key_id = portal.key_of(portal.dev)
    leftover = gateway().create_api_key(name="leftover", enabled=True)["id"]
    boto3.resource("dynamodb", region_name=REGION).Table("accounts").update_item(
        Key={"userId": portal.dev.user_id},
        UpdateExpression="ADD retiredApiKeyIds :old",
        ExpressionAttributeValues={":old": {leftover}},
    )

    # When an admin deletes the account
    reply = portal.call("DELETE", f"/admin/accounts/{portal.dev.user_id}", portal.admin)

    # Then both keys are gone with the account
    assert reply.status == 204
    assert not _exists(key_id)
    assert not _exists(leftover)
    assert "Item" not in boto3.resource("dynamodb", region_name=REGION).Table("accounts").get_item(
        Key={"userId": portal.dev.user_id}
    )
