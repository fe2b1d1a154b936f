"""Account journeys in open mode (the session's preview), the admin's accounts console, and the sign-in
mechanics: silent refresh and the managed login's PKCE redirect.

The steps at the top are shared with test_accounts_request.py and test_accounts_invite.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from devportal_constructs.preview.testing import sign_in as srp_sign_in
from tests.browser.conftest import RunningPreview, page_errors

pytestmark = pytest.mark.browser

PASSWORD = "Correct-Horse-42-Battery"


def new_email(name: str, domain: str = "example.com") -> str:
    """A fresh address: the session's preview keeps every account the journeys make."""
    return f"{name}-{uuid.uuid4().hex[:8]}@{domain}"


def register(page: Any, portal: RunningPreview, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{portal.url}/register")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Register").click()


def confirm(page: Any, portal: RunningPreview, email: str) -> None:
    expect(page.get_by_role("heading", name="Confirm your email address")).to_be_visible()
    page.get_by_label("Confirmation code").fill(portal.latest_code(email))
    page.get_by_role("button", name="Confirm").click()


def sign_in(page: Any, portal: RunningPreview, email: str, password: str, *, go: bool = True) -> None:
    if go:
        page.goto(f"{portal.url}/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in_as_admin(page: Any, portal: RunningPreview, then: str = "/admin/accounts") -> None:
    page.goto(f"{portal.url}/sign-in?next={then}")
    sign_in(page, portal, portal.admin_email, portal.admin_password, go=False)
    expect(page).to_have_url(f"{portal.url}{then}")


def registered_user(portal: RunningPreview, email: str, password: str = PASSWORD) -> None:
    """An account made the quick way, through Cognito's API (the triggers run as for the site)."""
    client_id = portal.emulation()["userPoolClientId"]
    cognito = portal.aws("cognito-idp")
    cognito.sign_up(ClientId=client_id, Username=email, Password=password)
    cognito.confirm_sign_up(ClientId=client_id, Username=email, ConfirmationCode=portal.latest_code(email))


def refusals_aside(page: Any, *statuses: int) -> list[str]:
    """The page's errors, without the browser's note on each call answered with one of `statuses`: the
    refusals the journey expects and the page shows."""
    notes = tuple(f"status of {status}" for status in statuses)
    return [error for error in page_errors(page) if not any(note in error for note in notes)]


def row(page: Any, email: str) -> Any:
    return page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=email))


def act_on(page: Any, action: str, email: str) -> None:
    """Click the row's action and confirm it in the dialog."""
    page.get_by_role("button", name=f"{action} {email}").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=action, exact=True).click()
    expect(dialog).to_have_count(0)


def open_tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")


# --- open mode -----------------------------------------------------------------------------------------------


def test_a_visitor_registers_confirms_signs_in_and_signs_out(page: Any, portal: RunningPreview) -> None:
    email = new_email("open")
    # Given the register page, which lists the password policy
    page.goto(f"{portal.url}/register")
    for rule in ("at least 12 characters", "an uppercase letter", "a lowercase letter", "a digit", "a symbol"):
        expect(page.get_by_role("listitem").filter(has_text=rule)).to_be_visible()
    # When they register, and confirm with the code from the outbox
    register(page, portal, email)
    expect(page).to_have_url(f"{portal.url}/confirm?email={email.replace('@', '%40')}")
    expect(page.get_by_role("status")).to_contain_text(email)
    confirm(page, portal, email)
    # Then they are asked to sign in, and signing in takes them to their dashboard
    expect(page.get_by_text("Your email address is confirmed. Sign in to continue.")).to_be_visible()
    expect(page.get_by_label("Email address")).to_have_value(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{portal.url}/dashboard")
    header = page.locator("#site-header")
    expect(page.get_by_role("heading", name="My Dashboard")).to_be_visible()
    expect(header).to_contain_text(email)
    expect(header.get_by_role("link", name="My Dashboard")).to_be_visible()
    expect(header.get_by_role("link", name="Admin")).to_have_count(0)
    refresh_token = json.loads(page.evaluate("sessionStorage.getItem('devportal.session')"))["refreshToken"]
    # When they sign out
    header.get_by_role("button", name="Sign out").click()
    # Then the navbar offers to sign in again, the tab forgets the tokens and Cognito refuses the refresh token
    expect(header.get_by_role("link", name="Sign in")).to_be_visible()
    expect(header.get_by_role("link", name="My Dashboard")).to_have_count(0)
    assert page.evaluate("sessionStorage.getItem('devportal.session')") is None
    with pytest.raises(Exception, match="revoked"):
        portal.aws("cognito-idp").initiate_auth(
            ClientId=portal.emulation()["userPoolClientId"],
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh_token},
        )
    assert page_errors(page) == []


def test_fails_when_the_password_misses_the_policy(page: Any, portal: RunningPreview) -> None:
    # When a visitor registers with a short, lowercase password
    register(page, portal, new_email("weak"), password="short")
    # Then the form says what the password lacks, and nothing was sent to Cognito
    expect(page.get_by_role("alert")).to_have_text(
        "Your password needs at least 12 characters, an uppercase letter, a digit, a symbol, such as ! # % or @."
    )
    expect(page).to_have_url(f"{portal.url}/register")
    assert page_errors(page) == []


def test_fails_when_the_password_is_wrong(page: Any, portal: RunningPreview) -> None:
    sign_in(page, portal, portal.admin_email, "Not-The-Password-1")
    expect(page.get_by_role("alert")).to_have_text("Incorrect username or password.")
    assert refusals_aside(page, 400) == []


def test_an_unconfirmed_user_is_sent_to_confirm_and_can_get_a_new_code(page: Any, portal: RunningPreview) -> None:
    # Given someone who registered but never confirmed
    email = new_email("unconfirmed")
    register(page, portal, email)
    expect(page).to_have_url(f"{portal.url}/confirm?email={email.replace('@', '%40')}")
    first = portal.latest_code(email)
    # When they try to sign in, then ask for a new code
    sign_in(page, portal, email, PASSWORD)
    expect(page.get_by_role("status")).to_contain_text("Your email address is not confirmed yet")
    page.get_by_role("button", name="Send me a new code").click()
    expect(page.get_by_role("status")).to_contain_text("We emailed a new code")
    # Then the new code (not the first) confirms the address
    assert len([mail for mail in portal.outbox() if mail["to"] == email]) == 2
    page.get_by_label("Confirmation code").fill(portal.latest_code(email))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Your email address is confirmed.")).to_be_visible()
    assert first is not None


def test_a_user_resets_a_forgotten_password(page: Any, portal: RunningPreview) -> None:
    email = new_email("forgetful")
    registered_user(portal, email)
    new_password = "Another-Horse-77-Staple"
    # When they ask for a code, then give it with a new password
    page.goto(f"{portal.url}/sign-in")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("status")).to_contain_text(f"If an account exists for {email}")
    page.get_by_label("Code from the email").fill(portal.latest_code(email))
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_role("button", name="Change password").click()
    # Then they sign in with the new password
    expect(page.get_by_text("Your password is changed.")).to_be_visible()
    page.get_by_label("Password", exact=True).fill(new_password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{portal.url}/dashboard")
    assert page_errors(page) == []


def test_a_page_that_needs_sign_in_comes_back_after_it(page: Any, portal: RunningPreview) -> None:
    email = new_email("returning")
    registered_user(portal, email)
    page.goto(f"{portal.url}/dashboard")
    expect(page).to_have_url(f"{portal.url}/sign-in?next=%2Fdashboard")
    sign_in(page, portal, email, PASSWORD, go=False)
    expect(page).to_have_url(f"{portal.url}/dashboard")
    # A reload keeps the session: the tokens are in this tab's sessionStorage
    page.reload()
    expect(page.locator("#site-header")).to_contain_text(email)


def test_fails_when_a_registered_user_opens_the_admin_console(page: Any, portal: RunningPreview) -> None:
    email = new_email("curious")
    registered_user(portal, email)
    page.goto(f"{portal.url}/sign-in?next=/admin/accounts")
    sign_in(page, portal, email, PASSWORD, go=False)
    expect(page.get_by_role("main")).to_contain_text("Only portal administrators may see this page.")
    expect(page.get_by_role("tab")).to_have_count(0)


def test_the_session_refreshes_silently_before_the_tokens_expire(page: Any, portal: RunningPreview) -> None:
    # Given a signed-in user, on a clock the test controls
    page.clock.install()
    email = new_email("lasting")
    registered_user(portal, email)
    sign_in(page, portal, email, PASSWORD)
    expect(page).to_have_url(f"{portal.url}/dashboard")
    page.wait_for_load_state("networkidle")
    before = json.loads(page.evaluate("sessionStorage.getItem('devportal.session')"))
    # When 56 of the ID token's 60 minutes pass
    with page.expect_request(
        lambda request: (
            request.headers.get("x-amz-target", "").endswith("InitiateAuth")
            and "REFRESH_TOKEN_AUTH" in (request.post_data or "")
        )
    ):
        page.clock.fast_forward("56:00")
    # Then the tab holds new tokens from the refresh token, and the API takes them
    # (wait_for_function would eval a string, which the portal's CSP forbids)
    stored = lambda: json.loads(page.evaluate("sessionStorage.getItem('devportal.session')"))  # noqa: E731
    deadline = time.monotonic() + 10
    while stored()["idToken"] == before["idToken"]:
        assert time.monotonic() < deadline, "the tab kept the old ID token after the refresh"
        time.sleep(0.05)
    assert stored()["refreshToken"] == before["refreshToken"]
    page.wait_for_load_state("networkidle")
    sent: list[str] = []
    page.on("request", lambda request: "/api/" in request.url and sent.append(request.headers.get("authorization", "")))
    # (the router navigates in the page, so network idle would not wait: wait for the dashboard's API call)
    with page.expect_response(lambda response: "/api/" in response.url):
        page.get_by_role("link", name="My Dashboard").click()
    expect(page.get_by_role("heading", name="My Dashboard")).to_be_visible()
    assert sent and set(sent) == {f"Bearer {stored()['idToken']}"}
    assert page_errors(page) == []


def test_sign_in_with_your_organization_uses_the_code_flow_with_pkce(page: Any, portal: RunningPreview) -> None:
    # Given a portal whose config names an identity provider
    def with_provider(route: Any) -> None:
        config = route.fetch().json()
        route.fulfill(json={**config, "identityProviders": ["AcmeSSO"]})

    page.route("**/config.json", with_provider)
    authorize: list[str] = []
    page.route(
        "**/_preview/cognito-domain/oauth2/authorize*",
        lambda route: (
            authorize.append(route.request.url),
            route.fulfill(body="managed login", content_type="text/plain"),
        ),
    )
    # When the visitor chooses to sign in with their organization
    page.goto(f"{portal.url}/sign-in?next=/dashboard")
    page.get_by_role("button", name="Sign in with your organization").click()
    page.wait_for_url("**/oauth2/authorize*")
    # Then the browser goes to the managed login with an S256 challenge of a verifier it kept
    query = {key: values[0] for key, values in parse_qs(urlparse(authorize[0]).query).items()}
    ids = portal.emulation()
    saved = json.loads(page.evaluate("sessionStorage.getItem('devportal.pkce')"))
    challenge = base64.urlsafe_b64encode(hashlib.sha256(saved["verifier"].encode()).digest()).rstrip(b"=").decode()
    assert query == {
        "response_type": "code",
        "client_id": ids["userPoolClientId"],
        "redirect_uri": f"{portal.url}/",
        "scope": "openid email profile",
        "state": saved["state"],
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "identity_provider": "AcmeSSO",
    }
    assert len(saved["verifier"]) >= 43

    # When Cognito sends them back with a code, the site redeems it with the verifier
    tokens = srp_sign_in(
        portal.aws("cognito-idp"),
        pool_id=ids["userPoolId"],
        client_id=ids["userPoolClientId"],
        email=portal.admin_email,
        password=portal.admin_password,
    )
    redeemed: list[dict[str, str]] = []

    def token_endpoint(route: Any) -> None:
        redeemed.append({key: values[0] for key, values in parse_qs(route.request.post_data).items()})
        route.fulfill(
            json={
                "id_token": tokens["IdToken"],
                "access_token": tokens["AccessToken"],
                "refresh_token": tokens["RefreshToken"],
                "expires_in": 3600,
                "token_type": "Bearer",
            }
        )

    page.route("**/_preview/cognito-domain/oauth2/token", token_endpoint)
    page.goto(f"{portal.url}/?code=the-code&state={saved['state']}")
    # Then they are signed in, on the page they asked for, and the code is gone from the address bar
    expect(page).to_have_url(f"{portal.url}/dashboard")
    expect(page.locator("#site-header")).to_contain_text(portal.admin_email)
    assert redeemed == [
        {
            "grant_type": "authorization_code",
            "client_id": ids["userPoolClientId"],
            "code": "the-code",
            "redirect_uri": f"{portal.url}/",
            "code_verifier": saved["verifier"],
        }
    ]


def test_fails_when_the_managed_login_returns_another_state(page: Any, portal: RunningPreview) -> None:
    page.goto(f"{portal.url}/?code=stolen-code&state=not-ours")
    expect(page).to_have_url(f"{portal.url}/sign-in")
    expect(page.get_by_text("its state did not match")).to_be_visible()
    expect(page.locator("#site-header").get_by_role("link", name="Sign in")).to_be_visible()


# --- the admin's accounts console ----------------------------------------------------------------------------


def test_the_admin_promotes_demotes_and_deletes_with_the_last_admin_guard(page: Any, portal: RunningPreview) -> None:
    # Given a registered developer
    email = new_email("bob")
    registered_user(portal, email)
    # When the admin opens Admin → Accounts from the navbar
    sign_in_as_admin(page, portal, then="/dashboard")
    page.locator("#site-header").get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Accounts").click()
    expect(page.get_by_role("heading", name="Accounts", exact=True)).to_be_visible()
    page.get_by_label("Search by email").fill(email)
    expect(row(page, email)).to_be_visible()
    # And promotes them
    act_on(page, "Promote", email)
    expect(page.get_by_role("status").filter(has_text="is now an administrator")).to_contain_text(email)
    open_tab(page, "Admins")
    expect(row(page, email)).to_be_visible()
    # And demotes them again
    act_on(page, "Demote", email)
    expect(page.get_by_role("status").filter(has_text="is no longer an administrator")).to_be_visible()
    expect(row(page, email)).to_have_count(0)
    # Then demoting the last admin is refused, with the reason shown
    page.get_by_label("Search by email").fill("")
    act_on(page, "Demote", portal.admin_email)
    expect(page.get_by_role("alert")).to_have_text(
        f"{portal.admin_email} is the last administrator: promote someone else before demoting them."
    )
    # And so is deleting yourself
    act_on(page, "Delete", portal.admin_email)
    expect(page.get_by_role("alert")).to_have_text(
        "You cannot delete your own account: ask another administrator to do it."
    )
    # When the admin deletes the developer
    open_tab(page, "Registered users")
    page.get_by_label("Search by email").fill(email)
    act_on(page, "Delete", email)
    # Then they are gone from the list and from Cognito
    expect(page.get_by_role("status").filter(has_text="is deleted")).to_contain_text(email)
    expect(page.get_by_role("cell", name=f"No account matches “{email}”.")).to_be_visible()
    with pytest.raises(Exception, match="UserNotFound"):
        portal.aws("cognito-idp").admin_get_user(UserPoolId=portal.emulation()["userPoolId"], Username=email)
    assert refusals_aside(page, 400, 409) == []


def test_cancelling_a_dialog_changes_nothing_and_returns_focus(page: Any, portal: RunningPreview) -> None:
    email = new_email("kept")
    registered_user(portal, email)
    sign_in_as_admin(page, portal)
    page.get_by_label("Search by email").fill(email)
    delete = page.get_by_role("button", name=f"Delete {email}")
    delete.click()
    dialog = page.get_by_role("dialog", name="Delete this account?")
    expect(dialog).to_contain_text(f"This deletes {email}'s sign-in")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(delete).to_be_focused()
    expect(row(page, email)).to_be_visible()


def test_the_accounts_tables_search_sort_and_page(page: Any, portal: RunningPreview) -> None:
    # Given twelve developers with one prefix
    prefix = f"pager-{uuid.uuid4().hex[:6]}"
    emails = sorted(f"{prefix}-{index:02d}@example.com" for index in range(12))
    for email in emails:
        registered_user(portal, email)
    sign_in_as_admin(page, portal)
    # When the admin searches for the prefix
    page.get_by_label("Search by email").fill(prefix)
    # Then ten show on the first of two pages, in email order
    body_rows = page.locator("tbody tr")
    expect(body_rows).to_have_count(10)
    expect(page.get_by_text("Page 1 of 2 · 12 accounts")).to_be_visible()
    expect(body_rows.first.get_by_role("rowheader")).to_have_text(emails[0])
    # When they sort by email descending, the last comes first; the next page holds the rest
    page.get_by_role("button", name="Email").click()
    expect(page.get_by_role("columnheader", name="Email")).to_have_attribute("aria-sort", "descending")
    expect(body_rows.first.get_by_role("rowheader")).to_have_text(emails[-1])
    page.get_by_role("button", name="Next").click()
    expect(body_rows).to_have_count(2)
    expect(body_rows.last.get_by_role("rowheader")).to_have_text(emails[0])
    # And the tabs answer the arrow keys
    page.get_by_role("tab", name="Registered users").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Admins")).to_be_focused()
    expect(page.get_by_role("tab", name="Admins")).to_have_attribute("aria-selected", "true")
    assert page_errors(page) == []


def test_the_admin_exports_the_accounts_as_csv(page: Any, portal: RunningPreview) -> None:
    email = new_email("exported")
    registered_user(portal, email)
    sign_in_as_admin(page, portal)
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    assert download.value.suggested_filename == "accounts.csv"
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("email,status,isAdmin")
    assert any(line.startswith(f"{email},registered,no") for line in lines)


def test_the_admin_invites_a_developer(page: Any, portal: RunningPreview) -> None:
    email = new_email("invited")
    sign_in_as_admin(page, portal)
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status").filter(has_text="is invited")).to_contain_text(email)
    open_tab(page, "Pending invites")
    page.get_by_label("Search by email").fill(email)
    expect(row(page, email)).to_be_visible()
    invitation = next(mail for mail in portal.outbox() if mail["to"] == email)
    assert invitation["kind"] == "invitation"
    act_on(page, "Resend invite", email)
    expect(page.get_by_role("status").filter(has_text="is sent again")).to_be_visible()
    assert len([mail for mail in portal.outbox() if mail["to"] == email]) == 2


@pytest.mark.parametrize(
    "path",
    [
        "/register",
        "/confirm?email=someone%40example.com",
        "/sign-in",
        "/forgot-password",
        "/account/pending",
        "/account/denied",
        "/admin/accounts",
    ],
)
def test_no_account_page_logs_a_console_error(page: Any, portal: RunningPreview, path: str) -> None:
    page.goto(f"{portal.url}{path}")
    expect(page.locator("main h1")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert page_errors(page) == []


def test_the_admin_console_logs_no_console_error(page: Any, portal: RunningPreview) -> None:
    sign_in_as_admin(page, portal)
    for tab in ("Admins", "Pending requests", "Pending invites", "Denied", "Registered users"):
        open_tab(page, tab)
        expect(page.get_by_role("tabpanel")).not_to_have_attribute("aria-busy", "true")
    assert page_errors(page) == []
