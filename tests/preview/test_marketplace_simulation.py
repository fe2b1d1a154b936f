"""The preview's simulated AWS Marketplace: its plan, ResolveCustomer, the redirect and the SNS notifications.

ResolveCustomer is answered by the preview itself (the emulation lacks it); these tests call it through boto3,
as the backend does.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from devportal_constructs.preview import Preview, start_preview
from devportal_constructs.preview.testing import latest_code, sign_in

PRODUCT_CODE = "petstoregold"
TOPIC = f"arn:aws:sns:us-east-1:287250355862:aws-mp-subscription-notification-{PRODUCT_CODE}"
PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture(scope="module")
def preview() -> Iterator[Preview]:
    running = start_preview(port=0, context={"MarketplaceSubscriptionTopicArns": TOPIC})
    yield running
    running.stop()


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_: Any, **__: Any) -> None:
        return None


def call(
    preview: Preview, path: str, *, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    data = None
    headers = dict(headers or {})
    if isinstance(body, dict):
        data = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        data = body.encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    request = urllib.request.Request(f"{preview.url}{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.build_opener(_Stay).open(request, timeout=30) as response:
            status, answer_headers, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as refused:
        status, answer_headers, raw = refused.code, dict(refused.headers), refused.read()
    try:
        return status, answer_headers, json.loads(raw)
    except ValueError:
        return status, answer_headers, raw.decode()


def mint(preview: Preview) -> dict[str, Any]:
    status, _, token = call(preview, "/_preview/marketplace/tokens", method="POST", body={"productCode": PRODUCT_CODE})
    assert status == 201
    return dict(token)


def notify(preview: Preview, action: str, customer_id: str) -> None:
    status, _, answer = call(
        preview,
        "/_preview/marketplace/notifications",
        method="POST",
        body={"action": action, "customerId": customer_id, "productCode": PRODUCT_CODE},
    )
    assert status == 202, answer


def registered_buyer(preview: Preview, email: str) -> dict[str, str]:
    cognito = preview.aws("cognito-idp")
    client = preview.user_pool_client_id
    cognito.sign_up(
        ClientId=client, Username=email, Password=PASSWORD, UserAttributes=[{"Name": "email", "Value": email}]
    )
    cognito.confirm_sign_up(ClientId=client, Username=email, ConfirmationCode=latest_code(preview.url, email))
    tokens = sign_in(cognito, pool_id=preview.user_pool_id, client_id=client, email=email, password=PASSWORD)
    return {"Authorization": f"Bearer {tokens['IdToken']}"}


def sample_api_status(preview: Preview, key: str) -> int:
    status, _, _ = call(preview, "/sample-api/prod/pets", headers={"x-api-key": key})
    return status


def test_the_marketplace_gold_plan_sells_the_product_of_the_topic(preview: Preview) -> None:
    # Given the preview with one product topic
    plans = preview.aws("apigateway").get_usage_plans()["items"]
    # When its usage plans are listed
    gold = [plan for plan in plans if plan["name"] == "Marketplace Gold"]
    # Then one plan sells the product named in the topic, on the sample API's prod stage
    assert len(gold) == 1
    assert gold[0]["productCode"] == PRODUCT_CODE
    assert gold[0]["apiStages"] == [{"apiId": preview.sample_api_id, "stage": "prod"}]
    assert mint(preview)["usagePlanId"] == gold[0]["id"]


def test_resolve_customer_names_the_customer_and_product_of_a_minted_token(preview: Preview) -> None:
    # Given a token the simulated marketplace minted
    minted = mint(preview)
    # When the Metering Service resolves it
    answer = preview.aws("meteringmarketplace").resolve_customer(RegistrationToken=minted["token"])
    # Then it names that customer, product and AWS account
    assert answer["CustomerIdentifier"] == minted["customerId"]
    assert answer["ProductCode"] == PRODUCT_CODE
    assert answer["CustomerAWSAccountId"] == minted["customerAwsAccountId"]


def test_fails_when_the_token_was_changed(preview: Preview) -> None:
    # Given a minted token with one character changed
    token = mint(preview)["token"]
    changed = token[:-1] + ("0" if token[-1] != "0" else "1")
    # When the Metering Service resolves it, then it refuses the token as AWS does
    with pytest.raises(ClientError, match="InvalidTokenException"):
        preview.aws("meteringmarketplace").resolve_customer(RegistrationToken=changed)


def test_the_fulfillment_url_redirects_the_buyer_to_the_landing_page_with_the_token(preview: Preview) -> None:
    # Given a buyer's token
    minted = mint(preview)
    # When AWS Marketplace posts their browser to the fulfillment URL
    form = urllib.parse.urlencode({"x-amzn-marketplace-token": minted["token"]})
    status, headers, _ = call(preview, minted["fulfillmentPath"], method="POST", body=form)
    # Then the portal sends them to its landing page, the token in the fragment
    assert status == 303
    assert headers["Location"] == (
        f"{preview.url}/marketplace/{minted['usagePlanId']}#token={urllib.parse.quote(minted['token'], safe='')}"
    )


def test_notifications_published_to_the_topic_reach_the_listener_and_move_the_key(preview: Preview) -> None:
    # Given a registered buyer who linked their subscription
    minted = mint(preview)
    auth = registered_buyer(preview, "linked-buyer@example.com")
    status, _, linked = call(
        preview,
        f"/api/marketplace-subscriptions/{minted['usagePlanId']}",
        method="PUT",
        body={"token": minted["token"]},
        headers=auth,
    )
    assert (status, linked["status"], linked["keyInPlan"]) == (200, "pending", False)
    _, _, key = call(preview, "/api/apikey?reveal=true", headers=auth)
    assert sample_api_status(preview, key["value"]) == 403

    # When AWS Marketplace publishes subscribe-success
    notify(preview, "subscribe-success", minted["customerId"])
    # Then the subscription is active and the key calls the sample API
    _, _, listed = call(preview, "/api/marketplace-subscriptions", headers=auth)
    assert [(item["status"], item["keyInPlan"]) for item in listed["subscriptions"]] == [("active", True)]
    assert sample_api_status(preview, key["value"]) == 200

    # When it publishes unsubscribe-complete
    notify(preview, "unsubscribe-complete", minted["customerId"])
    # Then the subscription has ended and the sample API refuses the key
    _, _, listed = call(preview, "/api/marketplace-subscriptions", headers=auth)
    assert [(item["status"], item["keyInPlan"]) for item in listed["subscriptions"]] == [("unsubscribed", False)]
    assert sample_api_status(preview, key["value"]) == 403
    # And the simulated marketplace's page shows the buyer with the status the listener recorded
    _, _, page = call(preview, "/_preview/marketplace/")
    assert minted["customerId"] in page
    assert "<td>unsubscribed</td>" in page


def test_fails_when_the_notification_is_not_one_aws_marketplace_sends(preview: Preview) -> None:
    # Given the simulated marketplace
    # When a notification with an unknown action is asked for
    status, _, answer = call(
        preview,
        "/_preview/marketplace/notifications",
        method="POST",
        body={"action": "subscribe-maybe", "customerId": "c1", "productCode": PRODUCT_CODE},
    )
    # Then it is refused with the actions it knows
    assert status == 400
    assert "subscribe-maybe" in answer["message"]
    assert "use one of subscribe-success, subscribe-fail" in answer["message"]


def test_fails_when_the_product_is_not_the_previews(preview: Preview) -> None:
    # Given the simulated marketplace
    # When a token for another product is asked for
    status, _, answer = call(
        preview, "/_preview/marketplace/tokens", method="POST", body={"productCode": "someoneelses"}
    )
    # Then it is refused with the products it has
    assert status == 400
    assert answer["message"] == "no product 'someoneelses' in the preview; it has petstoregold"
