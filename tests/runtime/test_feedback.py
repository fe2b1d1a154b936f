"""Feedback against moto: users send it, SNS tells the admin, only admins read or delete it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.runtime.events import REGION
from tests.runtime.self_service import FEEDBACK_TABLE, SelfService, fail_call, self_service


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch) -> Iterator[SelfService]:
    with mock_aws():
        yield self_service(monkeypatch)


@pytest.fixture
def inbox(portal: SelfService) -> str:
    """The admin's notifications: an SNS topic the backend publishes to, read through an SQS queue."""
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="feedback")["TopicArn"]
    queue = sqs.create_queue(QueueName="admin-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    portal.configure(FEEDBACK_TOPIC_ARN=topic)
    return queue


def _notifications(queue: str) -> list[dict[str, Any]]:
    messages = boto3.client("sqs", region_name=REGION).receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
    return [json.loads(message["Body"]) for message in messages.get("Messages", [])]


def _stored() -> list[dict[str, Any]]:
    return boto3.resource("dynamodb", region_name=REGION).Table(FEEDBACK_TABLE).scan()["Items"]


def _send(portal: SelfService, message: str, who: str = "dev") -> dict[str, Any]:
    reply = portal.call("POST", "/feedback", getattr(portal, who), body={"message": message})
    assert reply.status == 201, reply.body
    return reply.body["feedback"]


def test_feedback_is_stored_and_the_admin_notified(portal: SelfService, inbox: str) -> None:
    # When a developer sends feedback from an API's page
    reply = portal.call(
        "POST",
        "/feedback",
        portal.dev,
        body={"message": "  The Pro tier should allow bursts.  ", "page": "/apis"},
    )

    # Then it is stored with who sent it, and the admin is told, sender and message included
    assert reply.status == 201
    assert reply.body["notified"] is True
    [item] = _stored()
    assert item["message"] == "The Pro tier should allow bursts."
    assert (item["userId"], item["email"], item["page"]) == (portal.dev.user_id, portal.dev.email, "/apis")
    assert reply.body["feedback"]["feedbackId"] == item["feedbackId"]
    [note] = _notifications(inbox)
    assert note["Subject"] == "New feedback on your developer portal"
    assert note["Message"].startswith("dev@example.com wrote on /apis at ")
    assert "The Pro tier should allow bursts." in note["Message"]


def test_feedback_is_stored_without_notification_when_no_admin_email_is_set(portal: SelfService) -> None:
    reply = portal.call("POST", "/feedback", portal.dev, body={"message": "Nice docs."})

    assert reply.status == 201
    assert reply.body["notified"] is False
    assert [item["message"] for item in _stored()] == ["Nice docs."]


def test_feedback_is_kept_when_the_notification_fails(
    portal: SelfService, inbox: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given SNS failing
    fail_call(monkeypatch, "Publish", code="InternalError")

    # When a developer sends feedback
    reply = portal.call("POST", "/feedback", portal.dev, body={"message": "Search is slow."})

    # Then it is stored, and the answer says nobody was notified
    assert reply.status == 201
    assert reply.body["notified"] is False
    assert [item["message"] for item in _stored()] == ["Search is slow."]
    assert _notifications(inbox) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"message": "   "}, "body message: Value error, write your feedback before sending it"),
        ({"message": "x" * 4001}, "shorten your feedback to 4000 characters (it has 4001)"),
        ({"message": "Hi", "page": "https://elsewhere.example"}, "give the page as a path of this portal"),
        ({}, "body message: Field required"),
    ],
)
def test_fails_when_the_feedback_is_not_valid(portal: SelfService, body: dict[str, Any], message: str) -> None:
    reply = portal.call("POST", "/feedback", portal.dev, body=body)

    assert reply.status == 422
    assert message in reply.body["message"]
    assert _stored() == []


def test_fails_when_nobody_is_signed_in(portal: SelfService) -> None:
    reply = portal.call("POST", "/feedback", body={"message": "Hello"})

    assert reply.status == 401
    assert _stored() == []


# --- the admin's side ---------------------------------------------------------------------------------------


def test_admins_read_feedback_newest_first_page_by_page(portal: SelfService, monkeypatch: pytest.MonkeyPatch) -> None:
    from portal_common import clock

    # Given three messages sent a minute apart
    for minute, text in enumerate(["first", "second", "third"]):
        monkeypatch.setattr(clock, "now", lambda minute=minute: f"2026-03-01T10:0{minute}:00+00:00")
        _send(portal, text)

    # When an admin reads two at a time
    first = portal.call("GET", "/admin/feedback", portal.admin, query={"limit": "2"})
    second = portal.call(
        "GET", "/admin/feedback", portal.admin, query={"limit": "2", "nextToken": first.body["nextToken"]}
    )

    # Then they see the newest first, then the rest, and where the list ends
    assert first.status == second.status == 200
    assert [item["message"] for item in first.body["feedback"]] == ["third", "second"]
    assert [item["message"] for item in second.body["feedback"]] == ["first"]
    assert second.body["nextToken"] is None
    assert first.body["feedback"][0]["email"] == portal.dev.email


def test_admins_delete_feedback(portal: SelfService) -> None:
    # Given a message
    sent = _send(portal, "Please add a Go SDK.")

    # When an admin deletes it, twice
    deleted = portal.call("DELETE", f"/admin/feedback/{sent['feedbackId']}", portal.admin)
    again = portal.call("DELETE", f"/admin/feedback/{sent['feedbackId']}", portal.admin)

    # Then it is gone, and the second attempt says so
    assert deleted.status == 204
    assert _stored() == []
    assert again.status == 404
    assert again.body["message"] == (
        f"There is no feedback {sent['feedbackId']}: someone may have deleted it. Reload the list."
    )


@pytest.mark.parametrize(("method", "path"), [("GET", "/admin/feedback"), ("DELETE", "/admin/feedback/{id}")])
def test_fails_when_a_non_admin_reads_or_deletes_feedback(portal: SelfService, method: str, path: str) -> None:
    # Given feedback from another user
    sent = _send(portal, "Private thoughts.", who="other")

    # When a developer who is not an admin reads or deletes it
    reply = portal.call(method, path.format(id=sent["feedbackId"]), portal.dev)

    # Then they are refused and it stays
    assert reply.status == 403
    assert reply.body["message"] == "Only portal administrators may do this."
    assert len(_stored()) == 1


def test_fails_when_the_next_token_is_not_one_of_ours(portal: SelfService) -> None:
    from portal_common.accounts import encode_token

    for token in ("garbage!", encode_token({"kind": "scan:registered", "after": "x"})):
        reply = portal.call("GET", "/admin/feedback", portal.admin, query={"nextToken": token})

        assert reply.status == 400
        assert "ask for the first page again, without it" in reply.body["message"]
