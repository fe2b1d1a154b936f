"""The marketplace routes of the backend against moto: the buyer's redirect, linking, and their list.

moto has no AWS Marketplace Metering Service, so ResolveCustomer is answered by botocore's Stubber, and
only that call; DynamoDB and API Gateway are moto's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from tests.runtime.events import (
    REGION,
    Reply,
    accounts_table,
    call_backend,
    claims,
    lambda_context,
    subscriptions_table,
)

PRODUCT = "prodcode1234567890abcdefg"
OTHER_PRODUCT = "otherproduct0000000000000"
CUSTOMER = "cust-identifier-1"
BUYER_ACCOUNT = "845735284135"
TOKEN = "tok+en/with=special&chars"


@dataclass
class Market:
    """The portal's tables and one usage plan selling PRODUCT, in moto."""

    monkeypatch: pytest.MonkeyPatch
    plan_id: str
    dev: str = "11111111-1111-1111-1111-111111111111"
    other: str = "22222222-2222-2222-2222-222222222222"

    def configure(self, **env: str) -> None:
        from portal_common.settings import settings

        for name, value in env.items():
            self.monkeypatch.setenv(name, value)
        settings.cache_clear()

    def call(
        self, method: str, path: str, user: str | None = None, *, body: Any = None, form: str | None = None
    ) -> Reply:
        return call_backend(
            method,
            path,
            claims=None if user is None else claims(user, f"{user[:4]}@example.com"),
            body=form if form is not None else body,
            headers={} if form is None else {"Content-Type": "application/x-www-form-urlencoded"},
        )

    def link(
        self,
        user: str,
        *,
        product: str = PRODUCT,
        plan: str | None = None,
        resolves: bool = True,
        **resolved: str,
    ) -> Reply:
        """PUT /marketplace-subscriptions/{plan} with AWS Marketplace resolving TOKEN to this product.

        With ``resolves=False`` the route must refuse before it asks AWS Marketplace anything.
        """
        from portal_common.aws import client

        metering = client("meteringmarketplace")
        with Stubber(metering) as stub:
            if resolves:
                stub.add_response(
                    "resolve_customer",
                    {
                        "CustomerIdentifier": CUSTOMER,
                        "ProductCode": product,
                        "CustomerAWSAccountId": BUYER_ACCOUNT,
                        **resolved,
                    },
                    {"RegistrationToken": TOKEN},
                )
            reply = self.call("PUT", f"/marketplace-subscriptions/{plan or self.plan_id}", user, body={"token": TOKEN})
            stub.assert_no_pending_responses()
        return reply

    def add_account(self, user: str, **fields: Any) -> None:
        item = {"userId": user, "email": f"{user[:4]}@example.com", "status": "registered", **fields}
        boto3.resource("dynamodb", region_name=REGION).Table("accounts").put_item(Item=item)

    def account(self, user: str) -> dict[str, Any]:
        return boto3.resource("dynamodb", region_name=REGION).Table("accounts").get_item(Key={"userId": user})["Item"]

    def record(self, customer: str = CUSTOMER, product: str = PRODUCT) -> dict[str, Any] | None:
        table = boto3.resource("dynamodb", region_name=REGION).Table("subscriptions")
        return table.get_item(Key={"customerId": customer, "productCode": product}).get("Item")

    def keys_in_plan(self, plan: str | None = None) -> list[str]:
        gateway = boto3.client("apigateway", region_name=REGION)
        return sorted(key["id"] for key in gateway.get_usage_plan_keys(usagePlanId=plan or self.plan_id)["items"])

    def notify(self, action: str, *, message_id: str, sent: str, customer: str = CUSTOMER) -> None:
        """AWS Marketplace's SNS topic delivering one notification to the listener."""
        from marketplace_listener.handler import lambda_handler

        lambda_handler(sns_event(action, message_id=message_id, sent=sent, customer=customer), lambda_context())


def sns_event(
    action: str, *, message_id: str, sent: str, customer: str = CUSTOMER, product: str = PRODUCT
) -> dict[str, Any]:
    """What SNS hands the listener for one message on a product's aws-mp-subscription-notification topic."""
    message = {
        "action": action,
        "customer-identifier": customer,
        "product-code": product,
        "offer-identifier": "offer-abc",
        "isFreeTrialTermPresent": "false",
    }
    topic = "arn:aws:sns:us-east-1:287250355862:aws-mp-subscription-notification-" + product
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic}:0b4b0a4e-0000-4000-8000-000000000000",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": topic,
                    "Subject": None,
                    "Message": json.dumps(message),
                    "Timestamp": sent,
                    "SignatureVersion": "1",
                    "MessageAttributes": {},
                },
            }
        ]
    }


@pytest.fixture
def market(monkeypatch: pytest.MonkeyPatch) -> Iterator[Market]:
    with mock_aws():
        monkeypatch.setenv("ACCOUNTS_TABLE", accounts_table())
        monkeypatch.setenv("SUBSCRIPTIONS_TABLE", subscriptions_table())
        monkeypatch.setenv("WEBSITE_URL", "https://portal.example.com")
        monkeypatch.setenv("STACK_NAME", "DevPortalStack")
        for name in ("MARKETPLACE_PRODUCT_CODES", "MARKETPLACE_EVENT_SOURCE"):
            monkeypatch.delenv(name, raising=False)
        gateway = boto3.client("apigateway", region_name=REGION)
        plan_id = gateway.create_usage_plan(name="Gold")["id"]
        gateway.update_usage_plan(
            usagePlanId=plan_id, patchOperations=[{"op": "replace", "path": "/productCode", "value": PRODUCT}]
        )
        market = Market(monkeypatch=monkeypatch, plan_id=plan_id)
        market.add_account(market.dev)
        market.add_account(market.other)
        yield market


def at(second: int) -> str:
    """An SNS Timestamp, `second` seconds into the test's hour."""
    return datetime(2026, 3, 1, 12, 0, second, 123000, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# POST /marketplace-confirm/{usagePlanId}: AWS Marketplace's form post, redirected to the portal


def test_confirm_redirects_the_buyer_to_the_portal_with_the_token_in_the_fragment(market: Market) -> None:
    # When AWS Marketplace posts the buyer's browser to the fulfillment URL, signed out
    reply = market.call(
        "POST",
        f"/marketplace-confirm/{market.plan_id}",
        form=f"x-amzn-marketplace-token={quote(TOKEN, safe='')}",
    )
    # Then the browser is sent to the portal's marketplace page for the plan, token in the fragment
    assert reply.status == 303
    assert reply.headers["Location"] == (
        f"https://portal.example.com/marketplace/{market.plan_id}#token={quote(TOKEN, safe='')}"
    )
    assert reply.headers["Cache-Control"] == "no-store"


def test_fails_when_the_confirm_form_has_no_token(market: Market) -> None:
    reply = market.call("POST", f"/marketplace-confirm/{market.plan_id}", form="other=1")
    assert reply.status == 400
    assert "The form has no x-amzn-marketplace-token" in reply.body["message"]


def test_fails_when_the_confirm_token_has_spaces(market: Market) -> None:
    reply = market.call("POST", f"/marketplace-confirm/{market.plan_id}", form="x-amzn-marketplace-token=a%20b")
    assert reply.status == 400
    assert "is not one AWS Marketplace issues" in reply.body["message"]


def test_fails_when_the_portal_does_not_know_its_address(market: Market) -> None:
    market.configure(WEBSITE_URL="", ALLOWED_ORIGINS="*")
    reply = market.call("POST", f"/marketplace-confirm/{market.plan_id}", form="x-amzn-marketplace-token=abc")
    assert reply.status == 503
    assert "does not know its own address (WEBSITE_URL)" in reply.body["message"]


def test_the_portal_address_defaults_to_its_first_origin(market: Market) -> None:
    market.configure(WEBSITE_URL="", ALLOWED_ORIGINS="https://developer.example.com,https://d1.cloudfront.net")
    reply = market.call("POST", f"/marketplace-confirm/{market.plan_id}", form="x-amzn-marketplace-token=abc")
    assert reply.headers["Location"] == f"https://developer.example.com/marketplace/{market.plan_id}#token=abc"


def test_fails_when_the_usage_plan_id_is_not_one(market: Market) -> None:
    reply = market.call("POST", "/marketplace-confirm/not_a-plan", form="x-amzn-marketplace-token=abc")
    assert reply.status == 422
    assert "usage_plan_id" in reply.body["message"]


# PUT /marketplace-subscriptions/{usagePlanId}: resolve, check the product, link


def test_link_records_customer_user_and_key_and_waits_for_marketplace(market: Market) -> None:
    # Given a registered developer without an API key
    # When they link the subscription AWS Marketplace resolves the token to
    reply = market.link(market.dev, LicenseArn="arn:aws:license-manager::123456789012:license:l-abc")
    # Then the subscription is pending: linked to them and their new key, which is not in the plan yet
    assert reply.status == 200, reply.body
    assert reply.body["status"] == "pending" and reply.body["keyInPlan"] is False
    assert reply.body["productCode"] == PRODUCT and reply.body["usagePlanId"] == market.plan_id
    key_id = market.account(market.dev)["apiKeyId"]
    record = market.record()
    assert record is not None
    assert record["userId"] == market.dev and record["apiKeyId"] == key_id
    assert record["customerAwsAccountId"] == BUYER_ACCOUNT
    assert record["licenseArn"].endswith("l-abc")
    assert [entry["change"] for entry in record["history"]] == ["linked"]
    assert record["history"][0]["eventId"] and record["history"][0]["at"].startswith("20")
    assert market.keys_in_plan() == []


def test_link_keeps_an_existing_key(market: Market) -> None:
    gateway = boto3.client("apigateway", region_name=REGION)
    key_id = gateway.create_api_key(name="existing", enabled=True)["id"]
    market.add_account(market.dev, apiKeyId=key_id)
    reply = market.link(market.dev)
    assert reply.status == 200
    assert market.record()["apiKeyId"] == key_id  # type: ignore[index]
    assert len(gateway.get_api_keys()["items"]) == 1


def test_link_after_subscribe_success_puts_the_key_in_the_plan(market: Market) -> None:
    # Given AWS Marketplace confirmed the subscription before the buyer finished registering
    market.notify("subscribe-success", message_id="m-1", sent=at(1))
    assert market.keys_in_plan() == []
    # When the buyer links it
    reply = market.link(market.dev)
    # Then it is active at once, and their key is in the plan
    assert reply.body["status"] == "active" and reply.body["keyInPlan"] is True
    assert market.keys_in_plan() == [market.account(market.dev)["apiKeyId"]]


def test_link_twice_by_the_same_user_changes_nothing_but_the_history(market: Market) -> None:
    first = market.link(market.dev)
    second = market.link(market.dev)
    assert first.status == second.status == 200
    assert len(boto3.client("apigateway", region_name=REGION).get_api_keys()["items"]) == 1


def test_fails_when_the_product_code_does_not_match_the_usage_plan(market: Market) -> None:
    # When the token resolves to another product than the plan's productCode
    reply = market.link(market.dev, product=OTHER_PRODUCT)
    # Then the link is refused, saying which product the plan sells, and nothing is recorded
    assert reply.status == 409
    assert (
        f"sells AWS Marketplace product {PRODUCT}, but this subscription is to product {OTHER_PRODUCT}"
        in (reply.body["message"])
    )
    assert market.record(product=OTHER_PRODUCT) is None
    assert "apiKeyId" not in market.account(market.dev)


def test_fails_when_the_usage_plan_has_no_product_code_and_no_mapping(market: Market) -> None:
    plan = boto3.client("apigateway", region_name=REGION).create_usage_plan(name="Free")["id"]
    reply = market.link(market.dev, plan=plan)
    assert reply.status == 409
    assert f"devportal marketplace link --usage-plan {plan} --product-code {PRODUCT}" in reply.body["message"]


def test_a_mapped_plan_without_a_product_code_sells_the_mapped_product(market: Market) -> None:
    plan = boto3.client("apigateway", region_name=REGION).create_usage_plan(name="Silver")["id"]
    market.configure(MARKETPLACE_PRODUCT_CODES=f"{PRODUCT}={plan}")
    reply = market.link(market.dev, plan=plan)
    assert reply.status == 200 and reply.body["usagePlanId"] == plan


def test_fails_when_the_mapping_names_another_plan_for_the_product(market: Market) -> None:
    # Given the operator mapped the product to another plan, so the listener may only change that one
    market.configure(MARKETPLACE_PRODUCT_CODES=f"{PRODUCT}=otherplan")
    reply = market.link(market.dev)
    assert reply.status == 409
    assert f"product {PRODUCT} is not sold through the usage plan Gold" in reply.body["message"]


def test_fails_when_the_usage_plan_does_not_exist(market: Market) -> None:
    reply = market.link(market.dev, plan="nosuchplan")
    assert reply.status == 404
    assert "There is no usage plan nosuchplan" in reply.body["message"]


def test_fails_when_marketplace_refuses_the_token(market: Market) -> None:
    from portal_common.aws import client

    metering = client("meteringmarketplace")
    with Stubber(metering) as stub:
        stub.add_client_error("resolve_customer", "ExpiredTokenException", "expired", 400)
        reply = market.call("PUT", f"/marketplace-subscriptions/{market.plan_id}", market.dev, body={"token": TOKEN})
    assert reply.status == 400
    assert "has expired or was changed" in reply.body["message"]


def test_fails_when_the_subscription_belongs_to_another_user(market: Market) -> None:
    assert market.link(market.dev).status == 200
    reply = market.link(market.other)
    assert reply.status == 409
    assert "already linked to another portal account" in reply.body["message"]
    assert market.record()["userId"] == market.dev  # type: ignore[index]


def test_fails_when_the_caller_is_signed_out(market: Market) -> None:
    reply = market.call("PUT", f"/marketplace-subscriptions/{market.plan_id}", body={"token": TOKEN})
    assert reply.status == 401
    assert reply.body["message"] == "Sign in to do this."


def test_fails_when_the_account_is_not_registered(market: Market) -> None:
    market.add_account(market.dev, status="pending_request")
    reply = market.link(market.dev, resolves=False)
    assert reply.status == 403
    assert "Your account is pending_request" in reply.body["message"]


def test_fails_when_the_token_is_missing(market: Market) -> None:
    reply = market.call("PUT", f"/marketplace-subscriptions/{market.plan_id}", market.dev, body={})
    assert reply.status == 422
    assert "token" in reply.body["message"]


def test_with_eventbridge_the_subscription_is_keyed_by_the_buyers_account(market: Market) -> None:
    market.configure(MARKETPLACE_EVENT_SOURCE="eventbridge")
    assert market.link(market.dev).status == 200
    assert market.record(customer=BUYER_ACCOUNT) is not None
    assert market.record(customer=CUSTOMER) is None


# GET /marketplace-subscriptions: what the buyer's status page shows


def test_the_buyer_sees_pending_then_active(market: Market) -> None:
    market.link(market.dev)
    pending = market.call("GET", "/marketplace-subscriptions", market.dev)
    market.notify("subscribe-success", message_id="m-1", sent=at(1))
    active = market.call("GET", "/marketplace-subscriptions", market.dev)
    other = market.call("GET", "/marketplace-subscriptions", market.other)
    assert [item["status"] for item in pending.body["subscriptions"]] == ["pending"]
    assert [(item["status"], item["keyInPlan"]) for item in active.body["subscriptions"]] == [("active", True)]
    assert other.body == {"subscriptions": []}
