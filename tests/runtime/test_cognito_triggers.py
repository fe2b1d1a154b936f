"""The Cognito triggers against moto: who may register, what is recorded, who may get tokens."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from moto import mock_aws

from tests.runtime.events import (
    REGION,
    accounts_table,
    add_user,
    lambda_context,
    post_confirmation_event,
    pre_sign_up_event,
    pre_token_generation_event,
    user_pool,
)

APPROVER_ARN = f"arn:aws:lambda:{REGION}:123456789012:function:approver"


@dataclass
class World:
    pool_id: str
    monkeypatch: pytest.MonkeyPatch

    def configure(self, **env: str) -> None:
        from portal_common.settings import settings

        for key, value in env.items():
            self.monkeypatch.setenv(key, value)
        settings.cache_clear()

    def record(self, user_id: str) -> dict[str, Any] | None:
        return (
            boto3.resource("dynamodb", region_name=REGION)
            .Table("accounts")
            .get_item(Key={"userId": user_id})
            .get("Item")
        )

    def groups_of(self, username: str) -> list[str]:
        cognito = boto3.client("cognito-idp", region_name=REGION)
        groups = cognito.admin_list_groups_for_user(UserPoolId=self.pool_id, Username=username)["Groups"]
        return [group["GroupName"] for group in groups]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with mock_aws():
        table = accounts_table()
        pool_id = user_pool()
        monkeypatch.setenv("ACCOUNTS_TABLE", table)
        monkeypatch.setenv("REGISTRATION_MODE", "open")
        monkeypatch.delenv("USER_POOL_ID", raising=False)  # triggers take the pool from the event
        yield World(pool_id=pool_id, monkeypatch=monkeypatch)


def approver_answers(answer: Any, *, function_error: bool = False) -> tuple[Stubber, dict[str, Any]]:
    """Stub the approver's Lambda invoke: moto runs functions only in Docker, which this machine lacks."""
    from portal_common.aws import client

    stubber = Stubber(client("lambda"))
    body = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
    response: dict[str, Any] = {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(body), len(body))}
    if function_error:
        response["FunctionError"] = "Unhandled"
    sent: dict[str, Any] = {}
    stubber.add_response("invoke", response)
    stubber.activate()

    def capture(params: dict[str, Any], **_: Any) -> None:
        sent.update(json.loads(params["Payload"]))

    client("lambda").meta.events.register("provide-client-params.lambda.Invoke", capture)
    return stubber, sent


# Pre sign-up


def test_open_mode_lets_anyone_register(world: World) -> None:
    from cognito_triggers.handler import pre_sign_up

    # Given an open portal
    event = pre_sign_up_event("dev@anywhere.example")
    # When someone signs up
    result = pre_sign_up(event, lambda_context())
    # Then Cognito may go on, unchanged
    assert result == pre_sign_up_event("dev@anywhere.example", username=event["userName"])


def test_fails_when_invite_mode_gets_a_self_sign_up(world: World) -> None:
    from cognito_triggers.handler import pre_sign_up
    from cognito_triggers.sign_up import SignUpRefused

    # Given an invitation-only portal
    world.configure(REGISTRATION_MODE="invite")
    # When someone signs up by themselves, Then they are told to ask for an invitation
    with pytest.raises(SignUpRefused, match=r"^This portal is invitation only\. Ask an administrator to invite you\.$"):
        pre_sign_up(pre_sign_up_event("dev@example.com"), lambda_context())


def test_fails_when_invite_mode_gets_a_first_federated_sign_in(world: World) -> None:
    from cognito_triggers.handler import pre_sign_up
    from cognito_triggers.sign_up import SignUpRefused

    # Given an invitation-only portal
    world.configure(REGISTRATION_MODE="invite")
    # When a user of an identity provider signs in for the first time, Then they are refused too
    with pytest.raises(SignUpRefused, match="invitation only"):
        pre_sign_up(pre_sign_up_event("dev@example.com", source="PreSignUp_ExternalProvider"), lambda_context())


def test_invite_mode_lets_administrators_create_users(world: World) -> None:
    from cognito_triggers.handler import pre_sign_up

    # Given an invitation-only portal with an allow-list the admin need not respect
    world.configure(REGISTRATION_MODE="invite", ALLOWED_EMAIL_DOMAINS="example.com")
    event = pre_sign_up_event("partner@elsewhere.example", source="PreSignUp_AdminCreateUser")
    # When an admin invites someone, Then Cognito may create the user
    assert pre_sign_up(event, lambda_context()) is event


def test_fails_when_the_email_domain_is_not_allowed(world: World) -> None:
    from cognito_triggers.handler import pre_sign_up
    from cognito_triggers.sign_up import SignUpRefused

    # Given a portal open to two domains
    world.configure(ALLOWED_EMAIL_DOMAINS="example.com, Example.org")
    # When someone at another domain signs up, Then the message names the domains allowed
    with pytest.raises(SignUpRefused, match=r"^Registration is open to addresses at example.com, example.org only.$"):
        pre_sign_up(pre_sign_up_event("dev@example.net"), lambda_context())


def test_allowed_domains_match_whatever_the_case(world: World) -> None:
    from cognito_triggers.handler import pre_sign_up

    # Given a portal open to example.com
    world.configure(ALLOWED_EMAIL_DOMAINS="example.com")
    event = pre_sign_up_event("Dev@EXAMPLE.com")
    # When someone signs up with capitals in the domain, Then they may
    assert pre_sign_up(event, lambda_context()) is event


def test_fails_when_a_subdomain_is_not_listed(world: World) -> None:
    from cognito_triggers.handler import pre_sign_up
    from cognito_triggers.sign_up import SignUpRefused

    # Given a portal open to example.com only
    world.configure(ALLOWED_EMAIL_DOMAINS="example.com")
    # When someone at a subdomain, or with the domain as a suffix, signs up, Then they are refused
    for email in ("dev@mail.example.com", "dev@notexample.com"):
        with pytest.raises(SignUpRefused, match=r"example\.com only"):
            pre_sign_up(pre_sign_up_event(email), lambda_context())


def test_fails_when_the_email_is_not_an_address(world: World) -> None:
    from cognito_triggers.handler import pre_sign_up
    from cognito_triggers.sign_up import SignUpRefused

    # When someone signs up without a valid address, Then they are told to enter one
    for email in ("", "dev", "dev@localhost", "@example.com"):
        with pytest.raises(SignUpRefused, match=r"^Enter a valid email address.$"):
            pre_sign_up(pre_sign_up_event(email), lambda_context())


def test_the_approver_is_asked_and_its_decision_kept_for_confirmation(world: World) -> None:
    from cognito_triggers.handler import pre_sign_up

    # Given a request-mode portal with an approver that approves
    world.configure(REGISTRATION_MODE="request", SIGN_UP_APPROVER=APPROVER_ARN)
    stubber, sent = approver_answers({"decision": "Approve", "message": "Welcome, partner"})
    event = pre_sign_up_event("dev@partner.example", username="u-1")
    # When someone signs up
    pre_sign_up(event, lambda_context())
    # Then the approver got the applicant's email and attributes, and its decision waits for confirmation
    stubber.assert_no_pending_responses()
    assert sent == {
        "email": "dev@partner.example",
        "attributes": {"email": "dev@partner.example"},
        "registrationMode": "request",
        "triggerSource": "PreSignUp_SignUp",
        "userPoolId": event["userPoolId"],
    }
    decision = world.record("applicant#u-1")
    assert decision is not None
    assert datetime.fromisoformat(decision.pop("dateDecided")).tzinfo is not None
    assert decision == {
        "userId": "applicant#u-1",
        "decision": "approve",
        "approverMessage": "Welcome, partner",
        "email": "dev@partner.example",
    }


def test_fails_when_the_approver_refuses(world: World) -> None:
    from cognito_triggers.handler import pre_sign_up
    from cognito_triggers.sign_up import SignUpRefused

    # Given an approver that refuses with its own message
    world.configure(SIGN_UP_APPROVER=APPROVER_ARN)
    approver_answers({"decision": "refuse", "message": "Use your company address."})
    # When someone signs up, Then the applicant sees the approver's message and nothing is kept
    with pytest.raises(SignUpRefused, match=r"^Use your company address.$"):
        pre_sign_up(pre_sign_up_event("dev@gmail.example", username="u-2"), lambda_context())
    assert world.record("applicant#u-2") is None


def test_fails_when_the_approver_refuses_without_a_message(world: World) -> None:
    from cognito_triggers.handler import pre_sign_up
    from cognito_triggers.sign_up import SignUpRefused

    world.configure(SIGN_UP_APPROVER=APPROVER_ARN)
    approver_answers({"decision": "refuse"})
    with pytest.raises(SignUpRefused, match=r"^Your registration was refused.$"):
        pre_sign_up(pre_sign_up_event("dev@example.com"), lambda_context())


@pytest.mark.parametrize(
    ("answer", "function_error"),
    [
        ({"errorMessage": "boom"}, True),
        ({"decision": "maybe"}, False),
        (b"not json", False),
        (None, False),
    ],
    ids=["approver-crashed", "unknown-decision", "not-json", "no-answer"],
)
def test_fails_when_the_approver_gives_no_usable_answer(world: World, answer: Any, function_error: bool) -> None:
    from cognito_triggers.handler import pre_sign_up
    from cognito_triggers.sign_up import SignUpRefused

    # Given an approver that fails or answers nonsense
    world.configure(SIGN_UP_APPROVER=APPROVER_ARN)
    approver_answers(answer, function_error=function_error)
    # When someone signs up, Then registration is refused for now rather than let through unchecked
    with pytest.raises(SignUpRefused, match=r"^Registration is unavailable right now. Try again in a few minutes.$"):
        pre_sign_up(pre_sign_up_event("dev@example.com"), lambda_context())


def test_the_allow_list_is_checked_before_the_approver_is_asked(world: World) -> None:
    from cognito_triggers.handler import pre_sign_up
    from cognito_triggers.sign_up import SignUpRefused

    # Given an allow-list and an approver that is never expected to be called
    world.configure(ALLOWED_EMAIL_DOMAINS="example.com", SIGN_UP_APPROVER=APPROVER_ARN)
    _, sent = approver_answers({"decision": "approve"})
    # When someone outside the list signs up, Then the list refuses them without asking the approver
    with pytest.raises(SignUpRefused, match=r"example\.com only"):
        pre_sign_up(pre_sign_up_event("dev@example.net"), lambda_context())
    assert sent == {}


# Post confirmation


def test_open_mode_records_the_confirmed_user_as_registered(world: World) -> None:
    from cognito_triggers.handler import post_confirmation

    # Given a user who has just confirmed their email in an open portal
    user = add_user(world.pool_id, "dev@example.com", status=None)
    event = post_confirmation_event(
        user_id=user.user_id, email="Dev@Example.com", username=user.username, user_pool_id=world.pool_id
    )
    # When Cognito calls post confirmation
    assert post_confirmation(event, lambda_context()) is event
    # Then the account is registered, in the registered group
    record = world.record(user.user_id)
    assert record is not None
    assert {key: record[key] for key in ("userId", "username", "email", "status", "registrationMethod")} == {
        "userId": user.user_id,
        "username": user.username,
        "email": "dev@example.com",
        "status": "registered",
        "registrationMethod": "open",
    }
    assert record["dateRegistered"] == record["dateCreated"]
    assert world.groups_of(user.username) == ["registered"]


def test_request_mode_records_the_confirmed_user_as_pending(world: World) -> None:
    from cognito_triggers.handler import post_confirmation

    # Given a request-mode portal
    world.configure(REGISTRATION_MODE="request")
    user = add_user(world.pool_id, "dev@example.com", status=None)
    event = post_confirmation_event(
        user_id=user.user_id, email=user.email, username=user.username, user_pool_id=world.pool_id
    )
    # When the user confirms their email
    post_confirmation(event, lambda_context())
    # Then the account waits for approval and is in no group
    record = world.record(user.user_id)
    assert record is not None
    assert (record["status"], record["registrationMethod"], "dateRequested" in record) == (
        "pending_request",
        "request",
        True,
    )
    assert world.groups_of(user.username) == []


def test_a_retried_confirmation_keeps_the_first_record(world: World) -> None:
    from cognito_triggers.handler import post_confirmation

    # Given a user whose record was written by the first delivery of the trigger
    user = add_user(world.pool_id, "dev@example.com", record={"dateCreated": "2026-01-01T00:00:00+00:00"})
    event = post_confirmation_event(
        user_id=user.user_id, email=user.email, username=user.username, user_pool_id=world.pool_id
    )
    # When Cognito delivers it again
    post_confirmation(event, lambda_context())
    # Then the record is the first one
    record = world.record(user.user_id)
    assert record is not None
    assert record["dateCreated"] == "2026-01-01T00:00:00+00:00"


def test_a_forgotten_password_confirmation_records_nothing(world: World) -> None:
    from cognito_triggers.handler import post_confirmation

    # Given a user who confirmed a new password
    user = add_user(world.pool_id, "dev@example.com", status=None)
    event = post_confirmation_event(
        user_id=user.user_id,
        email=user.email,
        username=user.username,
        user_pool_id=world.pool_id,
        source="PostConfirmation_ConfirmForgotPassword",
    )
    # When Cognito calls post confirmation, Then no account is created and no group set
    post_confirmation(event, lambda_context())
    assert world.record(user.user_id) is None
    assert world.groups_of(user.username) == []


@pytest.mark.parametrize(
    ("mode", "decision", "status", "groups"),
    [("request", "approve", "registered", ["registered"]), ("open", "pending", "pending_request", [])],
)
def test_the_approvers_decision_overrides_the_mode(
    world: World, mode: str, decision: str, status: str, groups: list[str]
) -> None:
    from cognito_triggers.handler import post_confirmation, pre_sign_up

    # Given an approver that decided when the user signed up
    world.configure(REGISTRATION_MODE=mode, SIGN_UP_APPROVER=APPROVER_ARN)
    user = add_user(world.pool_id, "dev@example.com", status=None)
    approver_answers({"decision": decision, "message": "noted"})
    pre_sign_up(pre_sign_up_event(user.email, username=user.username), lambda_context())
    # When the user confirms their email
    event = post_confirmation_event(
        user_id=user.user_id, email=user.email, username=user.username, user_pool_id=world.pool_id
    )
    post_confirmation(event, lambda_context())
    # Then the decision, not the mode, set the status; the decision was used up
    record = world.record(user.user_id)
    assert record is not None
    assert (record["status"], record["approverMessage"]) == (status, "noted")
    assert world.groups_of(user.username) == groups
    assert world.record(f"applicant#{user.username}") is None


# Pre token generation


def test_a_registered_user_gets_tokens_unchanged(world: World) -> None:
    from cognito_triggers.handler import pre_token_generation

    # Given a registered user in the registered group
    user = add_user(world.pool_id, "dev@example.com", groups=["registered"])
    event = pre_token_generation_event(
        user_id=user.user_id,
        email=user.email,
        username=user.username,
        groups=["registered"],
        user_pool_id=world.pool_id,
    )
    # When they sign in, Then Cognito issues the tokens it meant to
    assert pre_token_generation(event, lambda_context())["response"] == {}


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("pending_request", r"^Your registration is waiting for an administrator's approval.$"),
        ("denied", r"^Your registration was declined. Contact the portal's administrators.$"),
    ],
)
def test_fails_when_the_account_is_not_registered(world: World, status: str, message: str) -> None:
    from cognito_triggers.handler import pre_token_generation
    from portal_common.registration import SignInRefused

    # Given a pending or denied account
    user = add_user(world.pool_id, "dev@example.com", status=status)
    event = pre_token_generation_event(
        user_id=user.user_id, email=user.email, username=user.username, user_pool_id=world.pool_id
    )
    # When they sign in (or refresh their tokens), Then they get none, with the text the site shows
    for source in ("TokenGeneration_Authentication", "TokenGeneration_RefreshTokens"):
        event["triggerSource"] = source
        with pytest.raises(SignInRefused, match=message):
            pre_token_generation(event, lambda_context())
    record = world.record(user.user_id)
    assert record is not None and record["status"] == status


def test_an_invited_user_becomes_registered_at_first_sign_in(world: World) -> None:
    from cognito_triggers.handler import pre_token_generation

    # Given an invited user, with who invited them on record
    user = add_user(
        world.pool_id,
        "invitee@example.com",
        status="pending_invite",
        record={
            "registrationMethod": "invite",
            "inviterEmail": "admin@example.com",
            "dateInvited": "2026-02-01",
        },
    )
    event = pre_token_generation_event(
        user_id=user.user_id,
        email=user.email,
        username=user.username,
        user_pool_id=world.pool_id,
        source="TokenGeneration_NewPasswordChallenge",
    )
    # When they sign in with the temporary password and set their own
    result = pre_token_generation(event, lambda_context())
    # Then they are registered, in the group, and these very tokens carry the group
    record = world.record(user.user_id)
    assert record is not None
    assert (record["status"], record["inviterEmail"], record["dateInvited"]) == (
        "registered",
        "admin@example.com",
        "2026-02-01",
    )
    assert record["dateRegistered"] == record["dateInviteAccepted"]
    assert world.groups_of(user.username) == ["registered"]
    override = result["response"]["claimsAndScopeOverrideDetails"]["groupOverrideDetails"]
    assert override == {"groupsToOverride": ["registered"], "iamRolesToOverride": [], "preferredRole": None}


def test_fails_when_request_mode_meets_a_user_it_has_no_record_of(world: World) -> None:
    from cognito_triggers.handler import pre_token_generation
    from portal_common.registration import SignInRefused

    # Given a request-mode portal and a user of the pool it has never seen (a bring-your-own pool)
    world.configure(REGISTRATION_MODE="request")
    user = add_user(world.pool_id, "dev@example.com", status=None)
    event = pre_token_generation_event(
        user_id=user.user_id, email=user.email, username=user.username, user_pool_id=world.pool_id
    )
    # When they sign in, Then they wait for approval like any applicant, and the admin sees the request
    with pytest.raises(SignInRefused, match="waiting for an administrator's approval"):
        pre_token_generation(event, lambda_context())
    record = world.record(user.user_id)
    assert record is not None and record["status"] == "pending_request"


def test_request_mode_lets_in_an_unrecorded_admin(world: World) -> None:
    from cognito_triggers.handler import pre_token_generation

    # Given a request-mode portal and an admin the operator put in the group by hand
    world.configure(REGISTRATION_MODE="request")
    user = add_user(world.pool_id, "root@example.com", groups=["admins"], status=None)
    event = pre_token_generation_event(
        user_id=user.user_id,
        email=user.email,
        username=user.username,
        groups=["admins"],
        user_pool_id=world.pool_id,
    )
    # When they sign in, Then they are recorded as registered and get tokens with both groups
    result = pre_token_generation(event, lambda_context())
    record = world.record(user.user_id)
    assert record is not None and record["status"] == "registered"
    groups = result["response"]["claimsAndScopeOverrideDetails"]["groupOverrideDetails"]["groupsToOverride"]
    assert groups == ["admins", "registered"]
