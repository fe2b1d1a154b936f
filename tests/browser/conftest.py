"""The browser harness: real Chromium (Debian's, never downloaded) against `devportal preview`.

Fixtures for journeys:
- ``portal``: the preview with the default content, started once per session on a free port (a
  ``RunningPreview``: ``url``, ``admin_email``, ``admin_password``, ``outbox()``, ``latest_code(email)``,
  ``aws(service)``);
- ``launch_preview(*options)``: another preview, e.g. with ``--content DIR``, for a module's own fixture;
- ``page``: a fresh browser context and page. On failure its screenshot and console log are saved under
  ``test-artifacts/<test>/``, with the preview's log. ``page_errors(page)`` lists the console errors and
  uncaught exceptions seen so far, on this page or any other opened through ``browser``.

The preview runs in a subprocess, as `devportal preview` does: moto keeps its data per process, and the
journeys must not share it with the other tests.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class RunningPreview:
    url: str
    admin_email: str
    admin_password: str
    endpoint: str
    log: list[str] = field(default_factory=list)

    def outbox(self) -> list[dict[str, Any]]:
        """The emails the portal would have sent, newest first."""
        from devportal_constructs.preview.testing import outbox

        return outbox(self.url)

    def latest_code(self, email: str) -> str:
        from devportal_constructs.preview.testing import latest_code

        return latest_code(self.url, email)

    def emulation(self) -> dict[str, Any]:
        """Ids and names in the emulation: userPoolId, userPoolClientId, sampleApiId, buckets, tables."""
        with urllib.request.urlopen(f"{self.url}/_preview/emulation.json", timeout=10) as response:
            return dict(json.loads(response.read()))

    def aws(self, service: str) -> Any:
        import boto3

        return boto3.client(
            service,
            region_name="us-east-1",
            endpoint_url=self.endpoint,
            aws_access_key_id="preview",
            aws_secret_access_key="preview",
        )


@contextmanager
def launch_preview(*options: str) -> Iterator[RunningPreview]:
    """Run `devportal preview --port 0 *options` until the block ends."""
    command = subprocess.Popen(
        [sys.executable, "-m", "devportal_constructs.cli", "preview", "--port", "0", *options],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert command.stdout is not None
    lines: list[str] = []
    found: dict[str, str] = {}
    for line in command.stdout:
        lines.append(line)
        if match := re.search(r"is running at (\S+)", line):
            found["url"] = match.group(1)
        if match := re.search(r"Sign in as (\S+) with the password (\S+)", line):
            found["email"], found["password"] = match.groups()
        if match := re.search(r"AWS emulation: (\S+)", line):
            found["endpoint"] = match.group(1)
        if "Press Ctrl-C" in line:
            break
    if "url" not in found:
        command.kill()
        raise RuntimeError("devportal preview did not start:\n" + "".join(lines))
    running = RunningPreview(found["url"], found["email"], found["password"], found["endpoint"], lines)
    reader = threading.Thread(target=lambda: lines.extend(command.stdout or []), daemon=True)
    reader.start()
    try:
        yield running
    finally:
        command.terminate()
        command.wait(timeout=30)
        reader.join(timeout=5)


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}; install it with: apt-get update && apt-get install -y chromium"
            + (" (CI must install it: see .ci/run)" if os.environ.get("CI") else ""),
            pytrace=False,
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def portal() -> Iterator[RunningPreview]:
    with launch_preview() as running:
        yield running


def watch(page: Any) -> Any:
    """Record the page's console and its errors, for ``page_errors`` and the failure artifacts (once a page)."""
    if not hasattr(page, "devportal_errors"):
        console: list[str] = []
        errors: list[str] = []
        page.devportal_console, page.devportal_errors = console, errors

        def on_console(message: Any) -> None:
            console.append(f"[{message.type}] {message.text} ({message.location.get('url', '')})")
            if message.type == "error":
                errors.append(f"console: {message.text} ({message.location.get('url', '')})")

        page.on("console", on_console)
        page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    return page


class WatchedBrowser:
    """The browser, with every page of every context it opens watched, however a test opens the page."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser

    def new_context(self, **options: Any) -> Any:
        context = self._browser.new_context(**options)
        context.on("page", watch)
        return context

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_FLAGS, headless=True)
        yield WatchedBrowser(launched)
        launched.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"report_{report.when}", report)


def page_errors(page: Any) -> list[str]:
    """Console errors and uncaught exceptions the page has shown so far (any page the ``browser`` opened)."""
    if not hasattr(page, "devportal_errors"):
        raise AssertionError("this page was not opened through the `browser` fixture, so its errors are unknown")
    return list(page.devportal_errors)


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = watch(context.new_page())
    console: list[str] = opened.devportal_console
    yield opened
    failed = any(getattr(getattr(request.node, f"report_{when}", None), "failed", False) for when in ("setup", "call"))
    if failed:
        folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        try:
            opened.screenshot(path=str(folder / "screenshot.png"), full_page=True)
        except Exception as failure:  # the page may be gone; keep the console log anyway
            console.append(f"[harness] no screenshot: {failure}")
        (folder / "console.log").write_text("\n".join(console) + "\n")
        running = request.node.funcargs.get("portal") or request.node.funcargs.get("overlay_portal")
        if running is not None:
            (folder / "preview.log").write_text("".join(running.log))
    context.close()
