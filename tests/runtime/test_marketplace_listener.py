"""The marketplace listener against moto: every notification type, repeats, reordering and failures.

The buyer's link goes through the backend route, whose ResolveCustomer call botocore's Stubber answers
(moto has no AWS Marketplace Metering Service); everything else is moto's DynamoDB and API Gateway.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from tests.runtime import test_marketplace_routes as routes
from tests.runtime.events import REGION, lambda_context
from tests.runtime.test_marketplace_routes import BUYER_ACCOUNT, CUSTOMER, PRODUCT, Market, at, sns_event

market = routes.market


def changes(market: Market, customer: str = CUSTOMER) -> list[str]:
    record = market.record(customer=customer) or {}
    return [entry["change"] for entry in record.get("history", [])]


def linked_key(market: Market) -> str:
    assert market.link(market.dev).status == 200
    return str(market.account(market.dev)["apiKeyId"])


def eventbridge_event(detail_type: str, *, event_id: str, time: str, account: str = BUYER_ACCOUNT) -> dict[str, Any]:
    """An AWS Marketplace SaaS event as the default bus delivers it (source aws.agreement-marketplace)."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": detail_type,
        "source": "aws.agreement-marketplace",
        "account": "123456789012",
        "time": time,
        "region": "us-east-1",
        "resources": ["arn:aws:aws-marketplace::aws:agreement:agmt-abc"],
        "detail": {
            "requestId": "3d4c9f9b-b809-4f5e-9fac-a9ae98b05cbb",
            "catalog": "AWSMarketplace",
            "agreement": {"id": "agmt-abc"},
            "product": {"code": PRODUCT, "id": "prod-abc"},
            "license": {"arn": "aws:license-manager:us-east-1:123456789012:l-abc"},
            "acceptor": {"accountId": account},
            "proposer": {"accountId": "123456789012"},
            "offer": {"id": "offer-abc"},
        },
    }


# Each notification type


def test_subscribe_success_puts_the_linked_key_in_the_plan_and_records_it(market: Market) -> None:
    # Given a buyer who linked their subscription
    key = linked_key(market)
    # When AWS Marketplace confirms it
    market.notify("subscribe-success", message_id="m-1", sent=at(1))
    # Then their key is in the plan, and the record says when, and because of which event
    assert market.keys_in_plan() == [key]
    record = market.record()
    assert record is not None and record["status"] == "active" and record["keyInPlan"] is True
    assert changes(market) == ["linked", "subscribe-success", "key added to plan"]
    success, added = record["history"][1:]
    assert success["eventId"] == added["eventId"] == "m-1"
    assert success["sentAt"] == "2026-03-01T12:00:01.123000Z" and success["offerIdentifier"] == "offer-abc"
    assert success["at"] and added["at"]


def test_subscribe_fail_cleans_up(market: Market) -> None:
    # Given a linked subscription whose key got into the plan
    key = linked_key(market)
    market.notify("subscribe-success", message_id="m-1", sent=at(1))
    assert market.keys_in_plan() == [key]
    # When AWS Marketplace says the subscription failed after all (a later notification)
    market.notify("subscribe-fail", message_id="m-2", sent=at(2))
    # Then the key is out of the plan and the subscription is failed
    assert market.keys_in_plan() == []
    assert market.record()["status"] == "failed"  # type: ignore[index]
    assert changes(market)[-2:] == ["subscribe-fail", "key removed from plan"]


def test_subscribe_fail_before_any_key_was_added_only_records_it(market: Market) -> None:
    linked_key(market)
    market.notify("subscribe-fail", message_id="m-1", sent=at(1))
    assert market.keys_in_plan() == []
    assert market.record()["status"] == "failed"  # type: ignore[index]
    assert changes(market) == ["linked", "subscribe-fail"]


def test_unsubscribe_pending_is_recorded_and_keeps_the_key(market: Market) -> None:
    key = linked_key(market)
    market.notify("subscribe-success", message_id="m-1", sent=at(1))
    market.notify("unsubscribe-pending", message_id="m-2", sent=at(2))
    assert market.keys_in_plan() == [key]
    assert market.record()["status"] == "unsubscribing"  # type: ignore[index]
    assert changes(market)[-1] == "unsubscribe-pending"


def test_unsubscribe_complete_removes_the_key(market: Market) -> None:
    linked_key(market)
    market.notify("subscribe-success", message_id="m-1", sent=at(1))
    market.notify("unsubscribe-pending", message_id="m-2", sent=at(2))
    market.notify("unsubscribe-complete", message_id="m-3", sent=at(3))
    assert market.keys_in_plan() == []
    record = market.record()
    assert record is not None and record["status"] == "unsubscribed" and record["keyInPlan"] is False
    assert changes(market)[-2:] == ["unsubscribe-complete", "key removed from plan"]


def test_a_notification_before_the_link_is_kept_for_it(market: Market) -> None:
    # When AWS Marketplace confirms a subscription nobody has linked yet
    market.notify("subscribe-success", message_id="m-1", sent=at(1))
    # Then it is recorded, unlinked, and no key is touched
    record = market.record()
    assert record is not None and record["status"] == "active" and "userId" not in record
    assert market.keys_in_plan() == []


# Repeated and reordered deliveries


def test_a_repeated_subscribe_success_is_a_no_op(market: Market) -> None:
    key = linked_key(market)
    market.notify("subscribe-success", message_id="m-1", sent=at(1))
    before = market.record()
    # When SNS delivers the same message again, and AWS Marketplace re-sends it under a new id
    market.notify("subscribe-success", message_id="m-1", sent=at(1))
    market.notify("subscribe-success", message_id="m-2", sent=at(5))
    # Then nothing changed but the ids it has seen
    after = market.record()
    assert after is not None and before is not None
    assert after["history"] == before["history"]
    assert after["statusAt"] == before["statusAt"] and after["statusEventId"] == "m-1"
    assert after["eventIds"] == {"m-1", "m-2"}
    assert market.keys_in_plan() == [key]


def test_a_late_subscribe_success_does_not_undo_an_earlier_unsubscribe_complete(market: Market) -> None:
    # Given a linked subscription whose unsubscribe-complete overtook its subscribe-success
    linked_key(market)
    market.notify("unsubscribe-complete", message_id="m-2", sent=at(2))
    # When the older subscribe-success arrives
    market.notify("subscribe-success", message_id="m-1", sent=at(1))
    # Then the subscription stays unsubscribed, without the key, and the history says why
    record = market.record()
    assert record is not None and record["status"] == "unsubscribed" and record["statusEventId"] == "m-2"
    assert market.keys_in_plan() == []
    ignored = record["history"][-1]
    assert ignored["change"] == "ignored subscribe-success" and ignored["eventId"] == "m-1"
    assert "older than m-2" in ignored["reason"]


def test_a_later_subscribe_success_is_a_new_subscription(market: Market) -> None:
    key = linked_key(market)
    market.notify("subscribe-success", message_id="m-1", sent=at(1))
    market.notify("unsubscribe-complete", message_id="m-2", sent=at(2))
    market.notify("subscribe-success", message_id="m-3", sent=at(3))
    assert market.record()["status"] == "active"  # type: ignore[index]
    assert market.keys_in_plan() == [key]


def test_notifications_sent_in_the_same_millisecond_end_further_along(market: Market) -> None:
    linked_key(market)
    market.notify("unsubscribe-complete", message_id="m-2", sent=at(1))
    market.notify("unsubscribe-pending", message_id="m-1", sent=at(1))
    assert market.record()["status"] == "unsubscribed"  # type: ignore[index]


def test_a_replaced_key_takes_the_place_of_the_old_one(market: Market) -> None:
    # Given an active subscription
    old = linked_key(market)
    market.notify("subscribe-success", message_id="m-1", sent=at(1))
    # When the user has a new key, and AWS Marketplace says the subscription is winding down
    new = boto3.client("apigateway", region_name=REGION).create_api_key(name="new", enabled=True)["id"]
    market.add_account(market.dev, apiKeyId=new)
    market.notify("unsubscribe-pending", message_id="m-2", sent=at(2))
    # Then the new key is in the plan instead of the old one
    assert market.keys_in_plan() == [new]
    assert market.record()["apiKeyId"] == new != old  # type: ignore[index]


# EventBridge, the alternative source


def test_eventbridge_license_events_grant_and_revoke(market: Market) -> None:
    from marketplace_listener.handler import lambda_handler

    market.configure(MARKETPLACE_EVENT_SOURCE="eventbridge")
    key = linked_key(market)
    lambda_handler(
        eventbridge_event("License Updated - Manufacturer", event_id="e-1", time="2026-03-01T12:00:01Z"),
        lambda_context(),
    )
    assert market.keys_in_plan() == [key]
    lambda_handler(
        eventbridge_event("License Deprovisioned - Manufacturer", event_id="e-2", time="2026-03-01T12:00:02Z"),
        lambda_context(),
    )
    assert market.keys_in_plan() == []
    record = market.record(customer=BUYER_ACCOUNT)
    assert record is not None and record["status"] == "unsubscribed"
    assert record["history"][1]["licenseArn"].endswith("l-abc") and record["history"][1]["source"] == "eventbridge"


# Failures, which Lambda retries and then sends to the dead-letter queue


def test_fails_when_the_action_is_unknown(market: Market) -> None:
    from marketplace_listener.events import MalformedNotification

    with pytest.raises(MalformedNotification, match=r"action 'entitlement-updated'; expected one of subscribe-success"):
        market.notify("entitlement-updated", message_id="m-1", sent=at(1))
    assert market.record() is None


def test_fails_when_the_message_is_not_json(market: Market) -> None:
    from marketplace_listener.events import MalformedNotification
    from marketplace_listener.handler import lambda_handler

    event = sns_event("subscribe-success", message_id="m-1", sent=at(1))
    event["Records"][0]["Sns"]["Message"] = "subscribe-success"
    with pytest.raises(MalformedNotification, match="The SNS message m-1 is not JSON"):
        lambda_handler(event, lambda_context())


def test_fails_when_the_message_names_no_customer(market: Market) -> None:
    from marketplace_listener.events import MalformedNotification
    from marketplace_listener.handler import lambda_handler

    event = sns_event("subscribe-success", message_id="m-1", sent=at(1), customer="")
    with pytest.raises(MalformedNotification, match="The SNS message m-1 has no 'customer-identifier'"):
        lambda_handler(event, lambda_context())


def test_fails_when_the_eventbridge_event_is_another_kind(market: Market) -> None:
    from marketplace_listener.events import MalformedNotification
    from marketplace_listener.handler import lambda_handler

    event = eventbridge_event("Purchase Agreement Created - Proposer", event_id="e-1", time="2026-03-01T12:00:01Z")
    with pytest.raises(MalformedNotification, match="the listener handles 'License Updated - Manufacturer'"):
        lambda_handler(event, lambda_context())


def test_fails_when_api_gateway_refuses_and_the_retry_finishes_the_work(
    market: Market, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    from portal_common import marketplace

    # Given a linked subscription, and API Gateway refusing the next change to a usage plan
    key = linked_key(market)
    add_key_to_plan = marketplace.add_key_to_plan

    def refuse_once(plan_id: str, key_id: str) -> None:
        monkeypatch.setattr(marketplace, "add_key_to_plan", add_key_to_plan)
        raise ClientError(
            {"Error": {"Code": "TooManyRequestsException", "Message": "Rate exceeded"}}, "CreateUsagePlanKey"
        )

    monkeypatch.setattr(marketplace, "add_key_to_plan", refuse_once)
    # When AWS Marketplace confirms the subscription, the listener fails, so Lambda retries it
    with pytest.raises(ClientError, match="Rate exceeded"):
        market.notify("subscribe-success", message_id="m-1", sent=at(1))
    assert market.keys_in_plan() == []
    # Then the retry of the same message puts the key in the plan
    market.notify("subscribe-success", message_id="m-1", sent=at(1))
    assert market.keys_in_plan() == [key]
    assert changes(market) == ["linked", "subscribe-success", "key added to plan"]


def test_subscribe_success_moves_the_key_out_of_a_free_plan_on_the_same_stage(market: Market) -> None:
    # Given a free plan and a marketplace plan for the same API stage, and the buyer's key in the free one
    gateway = boto3.client("apigateway", region_name=REGION)
    stages = [{"apiId": "api123", "stage": "prod"}]
    free = gateway.create_usage_plan(name="Free", apiStages=stages)["id"]
    paid = gateway.create_usage_plan(name="Paid", apiStages=stages)["id"]
    gateway.update_usage_plan(
        usagePlanId=paid, patchOperations=[{"op": "replace", "path": "/productCode", "value": PRODUCT}]
    )
    key = gateway.create_api_key(name="dev", enabled=True)["id"]
    market.add_account(market.dev, apiKeyId=key, apiKeyEnabled=True)
    gateway.create_usage_plan_key(usagePlanId=free, keyId=key, keyType="API_KEY")
    assert market.link(market.dev, plan=paid).status == 200
    # When AWS Marketplace confirms the subscription
    market.notify("subscribe-success", message_id="m-1", sent=at(1))
    # Then the key is in the paid plan only, as API Gateway allows one plan per stage and key
    assert market.keys_in_plan(paid) == [key]
    assert market.keys_in_plan(free) == []
