"""`devportal synth` writes the cloud assembly and prints what is in it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devportal_constructs import cli
from tests.infrastructure.synth import SKIP_BUNDLING, cdk_json_context


def test_synth_writes_cdk_out_and_prints_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Given cdk.json's flags, with bundling skipped to keep the test fast
    cdk_json = tmp_path / "cdk.json"
    cdk_json.write_text(json.dumps({"context": {**cdk_json_context(), **SKIP_BUNDLING}}))
    # When the main command's synth step runs
    code = cli.main(["synth", "--output", str(tmp_path / "cdk.out"), "--cdk-json", str(cdk_json)])
    # Then the stack's template is in the assembly and the summary names it, its resources and outputs
    assert code == 0
    assert (tmp_path / "cdk.out" / "DevPortalStack.template.json").exists()
    printed = capsys.readouterr().out
    assert "Stack DevPortalStack:" in printed
    assert "AWS::Cognito::UserPool\n" in printed
    assert "WebsiteURL" in printed


def test_fails_when_a_context_value_has_no_equals_sign(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"-c takes KEY=VALUE, got 'AccountRegistrationMode'"):
        cli.main(["synth", "--output", str(tmp_path), "-c", "AccountRegistrationMode"])


def test_fails_with_the_validation_message_when_the_context_is_invalid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["synth", "--output", str(tmp_path), "-c", "AccountRegistrationMode=closed"])
    assert code == 1
    assert "account_registration_mode='closed': use one of 'open', 'request', 'invite'" in capsys.readouterr().err


def test_unknown_commands_are_refused_with_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["deploy"])
    assert "choose one of catalog, marketplace, preview, synth" in capsys.readouterr().err
