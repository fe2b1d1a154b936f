"""The harness itself: without Chromium the journeys fail saying how to install it, and CI never skips one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.conftest import ROOT, context_of, require_chromium

SKIPPING_JOURNEY = """
import pytest

pytestmark = pytest.mark.browser


def test_a_journey_that_skips():
    pytest.skip("no browser here")
"""


def run_journey(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    """Run a browser journey that skips itself, with this harness loaded, as CI or a person would."""
    (tmp_path / "test_journey.py").write_text(SKIPPING_JOURNEY)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    browser: a journey\n")
    environment = {name: value for name, value in os.environ.items() if name != "CI"}
    if ci is not None:
        environment["CI"] = ci
    harness = ["-p", "no:cacheprovider", "-p", "tests.browser.conftest", "-c", str(tmp_path / "pytest.ini")]
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *harness, "--rootdir", str(tmp_path), str(tmp_path / "test_journey.py")],
        cwd=ROOT,
        env={**environment, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_fails_when_chromium_is_missing(tmp_path: Path) -> None:
    # Given no Chromium where the harness looks for it
    # When a journey asks for the browser, then it fails (it is not skipped) saying how to install it
    with pytest.raises(pytest.fail.Exception, match=r"apt-get update && apt-get install -y chromium"):
        require_chromium(tmp_path / "chromium")


def test_fails_when_a_browser_journey_skips_in_ci(tmp_path: Path) -> None:
    # Given a browser journey that skips itself
    # When it runs in CI, then the run fails and says that CI runs every journey
    result = run_journey(tmp_path, ci="true")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "CI runs every browser journey" in result.stdout
    assert "1 failed" in result.stdout


def test_a_browser_journey_may_skip_outside_ci(tmp_path: Path) -> None:
    # When the same journey runs on a person's machine, then it is reported as skipped
    result = run_journey(tmp_path, ci=None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout


def test_the_context_of_preview_options_is_what_the_preview_synthesizes_with() -> None:
    # Given a module's options, with context pairs among other options
    options = ("--content", "/tmp/x", "-c", "AccountRegistrationMode=request", "--context", "AllowedEmailDomains=a.b")
    # Then the context is the pairs, which the session synthesizes once for every module that shares them
    assert context_of(options) == {"AccountRegistrationMode": "request", "AllowedEmailDomains": "a.b"}
    assert context_of(()) == {}
