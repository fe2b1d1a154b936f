"""Developer self-service in the browser: the API key, subscriptions and tiers, usage, rotation, feedback.

One preview for the module, started with ``DevPortalAdminEmail`` so that the portal offers the feedback form.
The sample PetStore API (``devportal_constructs/preview/sample_api.py``) enforces keys as API Gateway does and
records the usage that the dashboard's charts read.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LIVE_STATUS, RunningPreview, page_errors

pytestmark = pytest.mark.browser

PASSWORD = "Developer-pass-1234"


# An admin email, so that the portal offers the feedback form.
PREVIEW_OPTIONS = ("-c", "DevPortalAdminEmail=admin@example.com")


def register_developer(portal: RunningPreview, email: str) -> None:
    """Sign up and confirm through the portal's Cognito endpoint, as the Register page does."""
    with urllib.request.urlopen(f"{portal.url}/config.json", timeout=10) as response:
        config = json.loads(response.read())
    cognito = boto3.client(
        "cognito-idp",
        region_name=config["region"],
        endpoint_url=config["cognitoIdpEndpoint"],
        aws_access_key_id="preview",
        aws_secret_access_key="preview",
    )
    client_id = config["userPoolClientId"]
    cognito.sign_up(
        ClientId=client_id, Username=email, Password=PASSWORD, UserAttributes=[{"Name": "email", "Value": email}]
    )
    cognito.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=portal.latest_code(email))


def sign_in(page: Any, portal: RunningPreview, email: str, password: str, next_path: str = "/dashboard") -> None:
    page.goto(f"{portal.url}/sign-in?next={next_path}")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{portal.url}{next_path}")


def call_sample_api(portal: RunningPreview, key: str, stage: str = "prod") -> int:
    """The status the sample API answers a program that sends `key`."""
    request = urllib.request.Request(f"{portal.url}/sample-api/{stage}/pets", headers={"x-api-key": key})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def open_sample_api(page: Any, portal: RunningPreview) -> None:
    page.goto(f"{portal.url}/apis/{portal.emulation()['sampleApiId']}_prod")
    expect(page.get_by_role("heading", name="Plans")).to_be_visible()


def try_it_out(page: Any, times: int = 1) -> list[int]:
    """Run GET /pets with Swagger UI's Try it out on the open API page; the statuses the sample API answered."""
    operation = page.locator("#operations-default-listPets")
    if not operation.get_by_role("button", name="Execute").count():
        operation.locator(".opblock-summary-control").click()
        operation.get_by_role("button", name="Try it out").click()
    statuses = []
    for _ in range(times):
        with page.expect_response(lambda response: "/sample-api/prod/pets" in response.url) as answered:
            operation.get_by_role("button", name="Execute").click()
        statuses.append(answered.value.status)
    expect(operation.locator(LIVE_STATUS)).to_have_text(str(statuses[-1]))
    return statuses


def revealed_key(page: Any) -> str:
    key = page.locator("#api-key-value")
    expect(key).to_be_visible()
    if "masked" in (key.get_attribute("class") or ""):
        page.get_by_role("button", name="Reveal").click()
    expect(page.get_by_role("button", name="Hide")).to_be_visible()
    expect(key).not_to_have_class(re.compile("masked"))
    return str(key.inner_text()).strip()


def plan_card(page: Any, name: str) -> Any:
    return page.locator("li.subscription").filter(has=page.get_by_role("heading", name=name, exact=True))


def test_a_developer_gets_a_key_subscribes_switches_tier_rotates_and_unsubscribes(
    page: Any, portal: RunningPreview
) -> None:
    # Given a registered developer
    email = "journey-developer@example.com"
    register_developer(portal, email)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=portal.url)

    # 1. When they sign in, then My Dashboard shows their key, hidden until they reveal it, and no subscriptions
    sign_in(page, portal, email, PASSWORD)
    expect(page.get_by_role("heading", name="Your API key")).to_be_visible()
    expect(page.locator("#api-key-value")).to_have_class(re.compile("masked"))
    expect(page.get_by_text("You have no subscriptions yet")).to_be_visible()
    key = revealed_key(page)
    assert re.fullmatch(r"[A-Za-z0-9]{20,}", key), key
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status").filter(has_text="copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == key
    assert call_sample_api(portal, key) == 403  # a key in no plan opens nothing

    # 2. When they subscribe to Free on the sample API's page
    open_sample_api(page, portal)
    page.get_by_role("button", name="Subscribe to Free").click()
    expect(page.get_by_role("status").filter(has_text="You are subscribed to Free.")).to_be_visible()

    # 3. Then Try it out answers 200, three times
    assert try_it_out(page, times=3) == [200, 200, 200]

    # 4. And on the dashboard, Free shows its limits, and its usage chart and table show those three calls
    page.get_by_role("link", name="My Dashboard").click()
    free = plan_card(page, "Free")
    expect(free).to_contain_text("10 requests a second, bursts of 20")
    expect(free).to_contain_text("1,000 requests a day")
    expect(free.get_by_role("link", name="PetStore")).to_have_count(2)  # its dev and prod stages

    today = datetime.now(UTC).date().isoformat()
    expect(free.locator("figcaption")).to_contain_text(f"3 requests from {today} to {today}")
    expect(free.locator(f"rect.chart-used[data-date='{today}']")).to_have_attribute("data-used", "3")
    table = free.get_by_role("table")
    expect(table).to_have_class(re.compile("visually-hidden"))  # there for screen readers
    free.get_by_role("button", name="Show the numbers").click()
    expect(table).to_be_visible()
    expect(table.get_by_role("row", name=today)).to_have_text(re.compile(rf"{today}\s*3\s*997"))
    # and a range that ends before it starts is refused with what to do
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    free.get_by_label("From").fill(tomorrow)
    free.get_by_role("button", name="Show", exact=True).click()
    expect(free.get_by_role("status")).to_have_text(f"From ({tomorrow}) is after To ({today}): swap them.")
    free.get_by_role("button", name="Current quota period").click()
    expect(free.locator("figcaption")).to_contain_text(f"3 requests from {today} to {today}")

    # 5. When they switch to Pro, then Pro replaces Free, and 25 quick calls pass (Free allows bursts of 20)
    free.get_by_role("button", name="Switch to Pro").click()
    expect(page.get_by_role("status").filter(has_text="You are subscribed to Pro instead of Free.")).to_be_visible()
    expect(plan_card(page, "Free")).to_have_count(0)
    pro = plan_card(page, "Pro")
    expect(pro).to_contain_text("100 requests a second, bursts of 200")
    expect(pro).to_contain_text("100,000 requests a month")
    assert {call_sample_api(portal, key) for _ in range(25)} == {200}
    assert call_sample_api(portal, key, stage="dev") == 403  # Pro covers the prod stage only
    page.reload()
    expect(plan_card(page, "Pro").locator("figcaption")).to_contain_text("25 requests from")

    # 6. When they rotate their key and confirm
    page.get_by_role("button", name="Rotate key").click()
    dialog = page.get_by_role("dialog", name="Rotate your API key?")
    dialog.get_by_role("button", name="Rotate key").click()
    # Then the new key shows, the old one is refused and the new one works, still under Pro
    expect(page.get_by_role("status").filter(has_text="Your new key works now")).to_be_visible()
    new_key = revealed_key(page)
    assert new_key != key
    assert call_sample_api(portal, key) == 403
    assert call_sample_api(portal, new_key) == 200
    expect(plan_card(page, "Pro")).to_be_visible()
    open_sample_api(page, portal)
    assert try_it_out(page) == [200]  # the API page sends the new key
    page.get_by_role("link", name="My Dashboard").click()

    # 7. When they unsubscribe from Pro and confirm, then the dashboard is empty and the key opens nothing
    plan_card(page, "Pro").get_by_role("button", name="Unsubscribe").click()
    page.get_by_role("dialog", name="Unsubscribe from Pro?").get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("status").filter(has_text="You are unsubscribed from Pro.")).to_be_visible()
    expect(page.get_by_text("You have no subscriptions yet")).to_be_visible()
    assert call_sample_api(portal, new_key) == 403
    assert page_errors(page) == []


def test_a_developer_sends_feedback_and_the_admin_reads_and_deletes_it(page: Any, portal: RunningPreview) -> None:
    # Given a signed-in developer on their dashboard
    email = "feedback-developer@example.com"
    register_developer(portal, email)
    sign_in(page, portal, email, PASSWORD)
    expect(page.get_by_role("heading", name="Your API key")).to_be_visible()

    # When they send feedback from the footer
    page.locator("footer").get_by_role("button", name="Send feedback").click()
    dialog = page.get_by_role("dialog", name="Send feedback")
    dialog.get_by_role("button", name="Send feedback").click()
    expect(dialog.get_by_role("alert")).to_have_text("Write your feedback before sending it.")
    dialog.get_by_label("Your feedback").fill("The usage chart is lovely.\nCould it show hours too?")
    dialog.get_by_role("button", name="Send feedback").click()
    expect(dialog.get_by_role("status")).to_contain_text("Thank you")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_have_count(0)

    # Then the admin is emailed, and sees it in Admin → Feedback, with who sent it and from which page
    mail = next(sent for sent in portal.outbox() if sent["to"] == portal.admin_email)
    assert "The usage chart is lovely." in json.dumps(mail)
    page.locator("header").get_by_role("button", name="Sign out").click()
    sign_in(page, portal, portal.admin_email, portal.admin_password, next_path="/admin")
    page.get_by_role("link", name="Feedback").click()
    row = page.get_by_role("row").filter(has_text="The usage chart is lovely.")
    expect(row).to_contain_text(email)
    expect(row.get_by_role("link", name="/dashboard")).to_be_visible()

    # And when the admin deletes it and confirms, it is gone
    row.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog", name="Delete this feedback?").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status").filter(has_text=f"The feedback from {email} is deleted.")).to_be_visible()
    expect(page.get_by_text("No feedback yet.")).to_be_visible()
    assert page_errors(page) == []


def test_a_non_admin_cannot_open_admin_feedback(page: Any, portal: RunningPreview) -> None:
    # Given a signed-in developer
    email = "curious-developer@example.com"
    register_developer(portal, email)
    sign_in(page, portal, email, PASSWORD)
    # When they open Admin → Feedback by its address
    page.goto(f"{portal.url}/admin/feedback")
    # Then they are told it is for administrators, and no feedback is shown
    expect(page.get_by_text("Only portal administrators may see this page.")).to_be_visible()
    expect(page.get_by_role("table")).to_have_count(0)
