"""The AWS Marketplace journey: a buyer comes from AWS Marketplace, registers, and their key follows the billing.

The preview runs with the marketplace on (one product topic); its simulated AWS Marketplace at
``/_preview/marketplace/`` posts the buyer to the fulfillment URL and publishes the SNS notifications, which
the real listener applies.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import RunningPreview, page_errors

pytestmark = pytest.mark.browser

PRODUCT_CODE = "petstoregold"
TOPIC = f"arn:aws:sns:us-east-1:287250355862:aws-mp-subscription-notification-{PRODUCT_CODE}"
PASSWORD = "Correct-Horse-42-Battery"
# The status page checks every few seconds; this bounds the wait for it, it measures nothing.
UPDATE_WAIT_MS = 20_000


PREVIEW_OPTIONS = ("-c", f"MarketplaceSubscriptionTopicArns={TOPIC}")


def call_sample_api(portal: RunningPreview, key: str) -> int:
    request = urllib.request.Request(f"{portal.url}/sample-api/prod/pets", headers={"x-api-key": key})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def api_key_of(page: Any) -> str:
    """The signed-in user's key, read as the dashboard reads it (GET /apikey?reveal=true with their token)."""
    return str(
        page.evaluate(
            """async () => {
                const session = JSON.parse(sessionStorage.getItem("devportal.session"));
                const response = await fetch("/api/apikey?reveal=true", {
                    headers: { Authorization: `Bearer ${session.idToken}` },
                });
                return (await response.json()).value;
            }"""
        )
    )


def notify(marketplace: Any, action: str) -> None:
    """Press the notification's button in the simulated AWS Marketplace, on the one buyer's row."""
    marketplace.reload()
    row = marketplace.get_by_role("row").filter(has_text=PRODUCT_CODE)
    expect(row).to_have_count(1)
    row.get_by_role("button", name=action, exact=True).click()
    expect(marketplace.get_by_role("status")).to_contain_text(f"Sent {action}")


def test_a_buyer_from_aws_marketplace_registers_and_their_key_follows_the_subscription(
    page: Any, portal: RunningPreview
) -> None:
    email = f"buyer-{uuid.uuid4().hex[:8]}@example.com"
    # Given a buyer who subscribed on AWS Marketplace and chose to set up their account
    marketplace = page.context.new_page()
    marketplace.goto(f"{portal.url}/_preview/marketplace/")
    page.goto(f"{portal.url}/_preview/marketplace/")
    page.get_by_role("button", name=f"Subscribe to {PRODUCT_CODE} and set up your account").click()
    # When AWS Marketplace's redirect lands them on the portal
    expect(page.get_by_role("heading", name="Set up your subscription")).to_be_visible()
    expect(page.get_by_text("Thank you for subscribing to Marketplace Gold on AWS Marketplace.")).to_be_visible()
    # Then the token left the address bar
    assert "token=" not in page.url
    assert "/marketplace/" in page.url

    # When they register, confirm their address and sign in
    page.locator("#main").get_by_role("link", name="Register").click()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="Confirm your email address")).to_be_visible()
    page.get_by_label("Confirmation code").fill(portal.latest_code(email))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Then the portal brings them back to confirm the subscription for their new account
    expect(page.get_by_role("heading", name="Confirm your subscription")).to_be_visible()
    expect(page.locator("#main")).to_contain_text(f"to the portal account {email}")

    # When they link it
    page.get_by_role("button", name="Link subscription").click()
    # Then it is pending until AWS Marketplace confirms, and their key cannot call the plan's API yet
    status = page.locator(".marketplace-status")
    expect(status).to_have_text("Pending")
    key = api_key_of(page)
    assert call_sample_api(portal, key) == 403

    # When AWS Marketplace sends subscribe-success
    notify(marketplace, "subscribe-success")
    # Then the status page turns active by itself, and the key calls the sample API
    expect(status).to_have_text("Active", timeout=UPDATE_WAIT_MS)
    expect(page.get_by_text("Your subscription is active")).to_be_visible()
    assert call_sample_api(portal, key) == 200
    # And My Dashboard lists the plan among their subscriptions
    page.get_by_role("link", name="Go to My Dashboard").click()
    expect(page.locator("#main")).to_contain_text("Marketplace Gold")
    # (the dashboard loads the plan's usage next: let its chart show before the plan is taken away; the
    # router navigates in the page, so waiting for network idle would return at once)
    gold = page.locator("li.subscription").filter(has=page.get_by_role("heading", name="Marketplace Gold"))
    expect(gold.locator("figcaption")).to_contain_text(re.compile(r"\d+ requests? from"))
    page.go_back()

    # When AWS Marketplace sends unsubscribe-complete
    notify(marketplace, "unsubscribe-complete")
    # Then the subscription has ended and the sample API refuses the key
    page.reload()
    expect(status).to_have_text("Ended")
    assert call_sample_api(portal, key) == 403
    assert page_errors(page) == []


def test_a_signed_out_visitor_without_a_token_is_asked_to_sign_in(page: Any, portal: RunningPreview) -> None:
    # Given the simulated marketplace's plan, and a visitor who did not come from AWS Marketplace
    with urllib.request.urlopen(
        urllib.request.Request(
            f"{portal.url}/_preview/marketplace/tokens",
            data=json.dumps({"productCode": PRODUCT_CODE}).encode(),
            headers={"Content-Type": "application/json"},
        ),
        timeout=10,
    ) as response:
        plan_id = json.loads(response.read())["usagePlanId"]
    # When they open the landing page
    page.goto(f"{portal.url}/marketplace/{plan_id}")
    # Then it asks them to sign in, and says where subscriptions start
    expect(page.get_by_text("Sign in to see your AWS Marketplace subscription.")).to_be_visible()
    expect(page.locator("#main").get_by_role("link", name="Sign in")).to_have_attribute(
        "href", f"/sign-in?next=%2Fmarketplace%2F{plan_id}"
    )
    assert page_errors(page) == []
