"""First journeys: what a visitor sees on the portal before signing in."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, Previews, RunningPreview, page_errors

pytestmark = pytest.mark.browser


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x20\x60\xc0" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def overlay_portal(previews: Previews, tmp_path_factory: pytest.TempPathFactory) -> RunningPreview:
    content = tmp_path_factory.mktemp("content")
    (content / "content-fragments").mkdir()
    (content / "content-fragments" / "Home.md").write_text(
        "---\ntitle: Acme Developer Hub\ntagline: Pets as a service.\n---\n"
        "## Welcome to Acme\n\nEverything about our **pet APIs**.\n"
    )
    (content / "nav-logo.png").write_bytes(png(7, 3))
    return previews.get("--content", str(content))


def test_the_home_page_renders_the_content_fragments(page: Any, portal: RunningPreview) -> None:
    # When a visitor opens the portal
    page.goto(portal.url)
    # Then the Home fragment's Markdown shows, rendered
    expect(page.get_by_role("heading", name="Explore and build")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Subscribe to an API")
    assert page_errors(page) == []


def test_the_content_overlay_changes_the_logo_title_and_markdown(page: Any, overlay_portal: RunningPreview) -> None:
    # Given a preview started with --content holding another Home.md and nav-logo.png
    # When a visitor opens it
    page.goto(overlay_portal.url)
    # Then the navbar carries the overlay's title and logo, and the overlay's Markdown is the home page
    header = page.locator("#site-header")
    expect(header).to_contain_text("Acme Developer Hub")
    expect(page.get_by_role("heading", name="Welcome to Acme")).to_be_visible()
    expect(page.get_by_text("Explore and build")).to_have_count(0)
    logo = header.locator("img[src*='nav-logo']")
    expect(logo).to_be_visible()
    assert logo.evaluate("image => [image.naturalWidth, image.naturalHeight]") == [7, 3]


def test_navigation_reaches_each_page_and_back(page: Any, portal: RunningPreview) -> None:
    # Given the home page
    page.goto(portal.url)
    nav = page.locator("#site-header")
    # When the visitor follows Getting Started, then APIs, then the portal's name
    nav.get_by_role("link", name="Getting Started").click()
    expect(page).to_have_url(f"{portal.url}/getting-started")
    expect(page.locator("main h1, main h2").first).to_be_visible()
    nav.get_by_role("link", name="APIs", exact=True).click()
    expect(page).to_have_url(f"{portal.url}/apis")
    nav.get_by_role("link", name="Developer Portal").first.click()
    # Then each page shows, and home shows again at the end
    expect(page).to_have_url(f"{portal.url}/")
    expect(page.get_by_role("heading", name="Explore and build")).to_be_visible()


def test_an_unknown_route_shows_the_not_found_page(page: Any, portal: RunningPreview) -> None:
    page.goto(f"{portal.url}/no-such-page")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


def test_a_missing_file_answers_404_with_the_sites_404_page(page: Any, portal: RunningPreview) -> None:
    response = page.goto(f"{portal.url}/no-such-file.png")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


@pytest.mark.parametrize("path", ["/", "/getting-started", "/apis", "/no-such-page", "/_preview/outbox"])
def test_no_page_logs_a_console_error(page: Any, portal: RunningPreview, path: str) -> None:
    page.goto(f"{portal.url}{path}")
    page.wait_for_load_state("networkidle")
    assert page_errors(page) == []


def test_the_readme_screenshot_shows_the_running_portal(page: Any, portal: RunningPreview) -> None:
    # The README's picture of the portal is taken here, so it always shows what the preview serves.
    page.goto(portal.url)
    expect(page.get_by_role("heading", name="Explore and build")).to_be_visible()
    page.wait_for_load_state("networkidle")
    target = ROOT / "docs" / "preview.png"
    page.screenshot(path=str(target))
    assert target.stat().st_size > 10_000


def test_the_outbox_page_lists_a_sign_up_code(page: Any, portal: RunningPreview) -> None:
    # Given someone signed up through the emulated Cognito
    email = "visitor@example.com"
    ids = portal.emulation()
    try:
        portal.aws("cognito-idp").sign_up(
            ClientId=ids["userPoolClientId"], Username=email, Password="Correct-Horse-Battery-9"
        )
    except Exception as failure:  # a rerun against the same session finds the user
        assert "UsernameExists" in str(failure)
        portal.aws("cognito-idp").resend_confirmation_code(ClientId=ids["userPoolClientId"], Username=email)
    # When they open the outbox
    page.goto(f"{portal.url}/_preview/outbox")
    # Then the verification email with its code is listed
    code = portal.latest_code(email)
    expect(page.get_by_role("table")).to_contain_text(email)
    expect(page.get_by_role("table")).to_contain_text(code)
