"""Request mode with an email-domain allow-list: registrations wait for an administrator's decision."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import RunningPreview, page_errors
from tests.browser.test_accounts import (
    PASSWORD,
    act_on,
    confirm,
    new_email,
    open_tab,
    refusals_aside,
    register,
    registered_user,
    row,
    sign_in,
    sign_in_as_admin,
)

pytestmark = pytest.mark.browser


PREVIEW_OPTIONS = ("-c", "AccountRegistrationMode=request", "-c", "AllowedEmailDomains=example.com")


@pytest.fixture
def admin_page(browser: Any, portal: RunningPreview) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    opened.devportal_errors = []
    opened.on("console", lambda message: message.type == "error" and opened.devportal_errors.append(message.text))
    opened.on("pageerror", lambda error: opened.devportal_errors.append(str(error)))
    sign_in_as_admin(opened, portal)
    yield opened
    context.close()


def test_a_request_waits_for_approval_then_the_user_gets_in(page: Any, admin_page: Any, portal: RunningPreview) -> None:
    email = new_email("applicant")
    # Given the register page says registrations are reviewed
    page.goto(f"{portal.url}/register")
    expect(page.get_by_text("An administrator reviews each registration.")).to_be_visible()
    # When a visitor registers and confirms their address
    register(page, portal, email)
    confirm(page, portal, email)
    # Then they see that their registration waits for approval, and signing in shows the same
    expect(page.get_by_role("heading", name="Your registration is waiting for approval")).to_be_visible()
    sign_in(page, portal, email, PASSWORD)
    expect(page.get_by_role("heading", name="Your registration is waiting for approval")).to_be_visible()
    expect(page.locator("#site-header").get_by_role("link", name="Sign in")).to_be_visible()
    # When the admin approves the request
    admin_page.reload()
    open_tab(admin_page, "Pending requests")
    admin_page.get_by_label("Search by email").fill(email)
    act_on(admin_page, "Approve", email)
    expect(admin_page.get_by_role("status").filter(has_text="is approved")).to_contain_text(email)
    expect(row(admin_page, email)).to_have_count(0)
    # Then the user signs in to their dashboard
    sign_in(page, portal, email, PASSWORD)
    expect(page).to_have_url(f"{portal.url}/dashboard")
    expect(page.get_by_role("heading", name="My Dashboard")).to_be_visible()
    expect(page.locator("#site-header")).to_contain_text(email)
    assert refusals_aside(page, 400) == []
    assert page_errors(admin_page) == []


def test_a_denied_user_stays_out(page: Any, admin_page: Any, portal: RunningPreview) -> None:
    # Given a confirmed request, which the admin denies
    email = new_email("unwelcome")
    registered_user(portal, email)
    admin_page.reload()
    open_tab(admin_page, "Pending requests")
    admin_page.get_by_label("Search by email").fill(email)
    act_on(admin_page, "Deny", email)
    expect(admin_page.get_by_role("status").filter(has_text="is denied")).to_contain_text(email)
    open_tab(admin_page, "Denied")
    expect(row(admin_page, email)).to_be_visible()
    # When the user signs in
    sign_in(page, portal, email, PASSWORD)
    # Then they are told their registration was declined, and stay signed out
    expect(page.get_by_role("heading", name="Your registration was declined")).to_be_visible()
    expect(page.locator("#site-header").get_by_role("link", name="Sign in")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('devportal.session')") is None
    assert refusals_aside(page, 400) == []


def test_fails_when_the_email_domain_is_not_allowed(page: Any, portal: RunningPreview) -> None:
    register(page, portal, new_email("outsider", domain="elsewhere.org"))
    expect(page.get_by_role("alert")).to_have_text("Registration is open to addresses at example.com only.")
    expect(page).to_have_url(f"{portal.url}/register")
    assert refusals_aside(page, 400) == []
