"""The built wheel carries runtime/ and site/: installed in a fresh venv outside the checkout, it synthesizes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

APP = textwrap.dedent(
    """
    import aws_cdk as cdk
    import devportal_constructs
    from devportal_constructs import DevPortal

    app = cdk.App(outdir="cdk.out")
    stack = cdk.Stack(app, "WheelStack")
    DevPortal(stack, "DevPortal")
    app.synth()
    print(devportal_constructs.__file__)
    """
)


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.slow
def test_the_wheel_installed_outside_the_checkout_synthesizes_a_portal(tmp_path: Path) -> None:
    # Given a wheel built from the checkout, installed into a fresh venv in another folder
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path / "dist"), str(ROOT)], ROOT)
    [wheel] = list((tmp_path / "dist").glob("devportal_constructs-*.whl"))
    run([sys.executable, "-m", "venv", str(tmp_path / "venv")], tmp_path)
    python = tmp_path / "venv" / "bin" / "python"
    run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], tmp_path)

    # When a small app there synthesizes DevPortal with real bundling
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(APP)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    installed_at = run([str(python), "app.py"], project, env=env).strip().splitlines()[-1]

    # Then the package came from the venv, not the checkout, and its bundle holds the same runtime
    assert str(tmp_path / "venv") in installed_at
    template = json.loads((project / "cdk.out" / "WheelStack.template.json").read_text())
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert any(f["Properties"]["Handler"] == "backend.handler.lambda_handler" for f in functions)
    [bundle] = [path for path in (project / "cdk.out").glob("asset.*") if (path / "backend" / "handler.py").exists()]
    assert (bundle / "aws_lambda_powertools").is_dir()
    assert (bundle / "portal_common").is_dir()
    site_assets = [path for path in (project / "cdk.out").glob("asset.*") if (path / "index.html").exists()]
    assert site_assets, "the site's files are not in the cloud assembly"
