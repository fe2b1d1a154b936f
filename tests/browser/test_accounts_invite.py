"""Invite mode: nobody signs up alone; an invited developer chooses their password at the first sign-in."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import RunningPreview, page_errors
from tests.browser.test_accounts import PASSWORD, new_email, open_tab, row, sign_in, sign_in_as_admin

pytestmark = pytest.mark.browser


PREVIEW_OPTIONS = ("-c", "AccountRegistrationMode=invite")


def test_fails_when_a_visitor_signs_up_without_an_invitation(page: Any, portal: RunningPreview) -> None:
    # When a visitor opens the register page, the portal says it is invitation only, with no form to fill
    page.goto(f"{portal.url}/register")
    expect(page.get_by_text("This portal is invitation only. Ask an administrator to invite you.")).to_be_visible()
    expect(page.get_by_role("button", name="Register")).to_have_count(0)
    expect(page.locator("#site-header").get_by_role("link", name="Register")).to_have_count(0)
    # And Cognito itself refuses a sign-up sent around the page
    with pytest.raises(Exception, match="This portal is invitation only"):
        portal.aws("cognito-idp").sign_up(
            ClientId=portal.emulation()["userPoolClientId"], Username=new_email("gatecrasher"), Password=PASSWORD
        )
    assert page_errors(page) == []


def test_an_invited_developer_signs_in_with_the_temporary_password_and_sets_their_own(
    page: Any, browser: Any, portal: RunningPreview
) -> None:
    email = new_email("invitee")
    # Given the admin invites them from Admin → Accounts
    admin_context = browser.new_context()
    admin = admin_context.new_page()
    sign_in_as_admin(admin, portal)
    admin.get_by_label("Email address").fill(email)
    admin.get_by_role("button", name="Send invitation").click()
    expect(admin.get_by_role("status").filter(has_text="is invited")).to_contain_text(email)
    invitation = next(mail for mail in portal.outbox() if mail["to"] == email)
    assert "temporary password" in invitation["body"]
    # When they sign in with the temporary password from the email
    sign_in(page, portal, email, invitation["code"])
    # Then they are asked to choose their own password, with the policy listed
    expect(page.get_by_role("heading", name="Choose your password")).to_be_focused()
    expect(page.get_by_role("listitem").filter(has_text="at least 12 characters")).to_be_visible()
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Set password and sign in").click()
    # And get in, and next time the new password works
    expect(page).to_have_url(f"{portal.url}/dashboard")
    expect(page.get_by_role("heading", name="My Dashboard")).to_be_visible()
    expect(page.locator("#site-header")).to_contain_text(email)
    page.locator("#site-header").get_by_role("button", name="Sign out").click()
    sign_in(page, portal, email, PASSWORD)
    expect(page).to_have_url(f"{portal.url}/dashboard")
    # And the admin sees them registered, no longer invited
    admin.reload()
    admin.get_by_label("Search by email").fill(email)
    expect(row(admin, email)).to_be_visible()
    open_tab(admin, "Pending invites")
    expect(row(admin, email)).to_have_count(0)
    assert page_errors(page) == []
    admin_context.close()
