"""The browser harness: real Chromium (Debian's, never downloaded) against `devportal preview`.

Fixtures for journeys:
- ``portal``: the preview for the module's ``PREVIEW_OPTIONS`` (default: none), on a free port (a
  ``RunningPreview``: ``url``, ``admin_email``, ``admin_password``, ``outbox()``, ``latest_code(email)``,
  ``aws(service)``). A module that needs the stack synthesized with other context sets, e.g.,
  ``PREVIEW_OPTIONS = ("-c", "AccountRegistrationMode=invite")``;
- ``previews``: the session's previews, one per option set, shared by every module that asks for the same
  options and stopped when the session ends; ``previews.get("--content", DIR)`` for a module's own fixture.
  The first one synthesizes, in one process, the example stack for every module's ``PREVIEW_OPTIONS``: the
  previews then start from the cache instead of each starting CDK (seconds each, on a fresh machine);
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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
LIVE_STATUS = ".live-responses-table > tbody > tr.response > td.response-col_status"
"""The status of the call Swagger UI's Execute made (its only cell; the documented responses have others)."""
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
    _process: subprocess.Popen[str] = field(repr=False, kw_only=True)
    _reader: threading.Thread = field(repr=False, kw_only=True)

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


def start_preview_process(*options: str) -> RunningPreview:
    """Start `devportal preview --port 0 *options`; return once it prints its URL."""
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
        command.wait(timeout=30)
        raise RuntimeError("devportal preview did not start:\n" + "".join(lines))
    reader = threading.Thread(target=lambda: lines.extend(command.stdout or []), daemon=True)
    reader.start()
    return RunningPreview(
        found["url"], found["email"], found["password"], found["endpoint"], lines, _process=command, _reader=reader
    )


def stop_preview_processes(*previews: RunningPreview) -> None:
    """Stop the previews as Ctrl-C does, all at once (each takes a second to stop), and wait for them."""
    for running in previews:
        running._process.terminate()
    for running in previews:
        running._process.wait(timeout=30)
        running._reader.join(timeout=5)


@contextmanager
def launch_preview(*options: str) -> Iterator[RunningPreview]:
    """Run `devportal preview --port 0 *options` until the block ends."""
    running = start_preview_process(*options)
    try:
        yield running
    finally:
        stop_preview_processes(running)


def context_of(options: Sequence[str]) -> dict[str, str]:
    """The CDK context that `devportal preview *options` synthesizes the example stack with."""
    from devportal_constructs.preview.cli import parser

    known, _ = parser().parse_known_args(list(options))
    return dict(known.context)


class Previews:
    """The session's previews, one per option set, each started when a module first asks for it."""

    def __init__(self, option_sets: Sequence[tuple[str, ...]]) -> None:
        self._option_sets = option_sets
        self._running: dict[tuple[str, ...], RunningPreview] = {}
        self._synthesized = False

    def get(self, *options: str) -> RunningPreview:
        if not self._synthesized:
            self._synthesize()
        if options not in self._running:
            self._running[options] = start_preview_process(*options)
        return self._running[options]

    def _synthesize(self) -> None:
        # One process synthesizes the first stack in seconds and each further one in about one.
        from devportal_constructs.preview.blueprint import load_blueprint

        self._synthesized = True
        contexts = {json.dumps(context_of(options), sort_keys=True) for options in self._option_sets}
        for context in sorted(contexts):
            load_blueprint(json.loads(context))

    def close(self) -> None:
        stop_preview_processes(*self._running.values())


def require_chromium(path: Path) -> Path:
    """`path` if Chromium is there; otherwise the test fails (never skips) saying how to install it."""
    if not path.exists():
        pytest.fail(
            f"Chromium is missing at {path}; install it with: apt-get update && apt-get install -y chromium"
            + (" (CI must install it: see .ci/run)" if running_in_ci() else ""),
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def chromium() -> Path:
    return require_chromium(CHROMIUM)


@pytest.fixture(scope="session")
def previews(request: pytest.FixtureRequest) -> Iterator[Previews]:
    modules = {item.module for item in request.session.items if isinstance(item, pytest.Function)}
    option_sets = [tuple(getattr(module, "PREVIEW_OPTIONS", ())) for module in modules if "browser" in module.__name__]
    pool = Previews(option_sets)
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def portal(previews: Previews, request: pytest.FixtureRequest) -> RunningPreview:
    return previews.get(*getattr(request.module, "PREVIEW_OPTIONS", ()))


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
    if report.skipped and running_in_ci() and item.get_closest_marker("browser") is not None:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = (
            f"{item.nodeid} was skipped ({reason}), but CI runs every browser journey: "
            "remove the skip, or install what it lacks in .ci/run"
        )
    setattr(item, f"report_{report.when}", report)


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


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
