"""The Lambda bundle is built for real without Docker, once: a second synth with the same sources reuses it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from devportal_constructs import DevPortal, _bundling
from tests.infrastructure.synth import cdk_json_context

ELF_MACHINE_AARCH64 = 0xB7


def synth_with_bundling(outdir: Path) -> dict[str, Any]:
    app = cdk.App(outdir=str(outdir), context=cdk_json_context())
    stack = cdk.Stack(app, "BundledStack", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    DevPortal(stack, "DevPortal")
    app.synth()
    return json.loads((outdir / "BundledStack.assets.json").read_text())


def bundle_dirs(outdir: Path, assets: dict[str, Any]) -> list[Path]:
    return [
        outdir / asset["source"]["path"]
        for asset in assets["files"].values()
        if (outdir / asset["source"]["path"] / "backend" / "handler.py").exists()
    ]


@pytest.mark.slow
def test_synth_bundles_the_runtime_for_arm64_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an empty bundle cache and a counter on the step that runs pip
    monkeypatch.setenv(_bundling.CACHE_ENV, str(tmp_path / "cache"))
    builds: list[Path] = []
    real_build = _bundling.build_bundle

    def counting_build(root: Path, destination: Path) -> None:
        builds.append(root)
        real_build(root, destination)

    monkeypatch.setattr(_bundling, "build_bundle", counting_build)

    # When the app is synthesized with bundling on
    first_out = tmp_path / "first"
    assets = synth_with_bundling(first_out)

    # Then one bundle holds the handlers, the shared code and the dependencies built for arm64
    [bundle] = bundle_dirs(first_out, assets)
    for handler in ("backend", "catalog_updater", "cognito_triggers", "content_renderer", "site_deployment"):
        assert (bundle / handler / "handler.py").exists()
    assert (bundle / "portal_common").is_dir()
    assert (bundle / "aws_lambda_powertools").is_dir()
    assert not list(bundle.glob("requirements.*")) and not (bundle / ".complete").exists()
    [native] = list((bundle / "pydantic_core").glob("*.so"))
    assert "cpython-314-aarch64" in native.name
    assert int.from_bytes(native.read_bytes()[18:20], "little") == ELF_MACHINE_AARCH64
    assert len(builds) == 1

    # And a second synth of unchanged sources into a fresh folder does not run pip again
    second_out = tmp_path / "second"
    [again] = bundle_dirs(second_out, synth_with_bundling(second_out))
    assert again.name == bundle.name
    assert len(builds) == 1


def test_fails_with_a_clear_message_when_a_pin_has_no_arm64_wheel(tmp_path: Path) -> None:
    root = tmp_path / "runtime"
    root.mkdir()
    (root / "requirements.txt").write_text("devportal-constructs-no-such-package==0.0.1\n")
    with pytest.raises(RuntimeError, match=r"pip could not install .*requirements.txt for Python 3.14 on arm64"):
        _bundling.build_bundle(root, tmp_path / "out")


def test_bundle_hash_changes_with_the_sources_and_not_with_caches(tmp_path: Path) -> None:
    root = tmp_path / "runtime"
    (root / "fn").mkdir(parents=True)
    (root / "fn" / "handler.py").write_text("x = 1\n")
    before = _bundling.bundle_hash(root)
    (root / "fn" / "__pycache__").mkdir()
    (root / "fn" / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"\0")
    assert _bundling.bundle_hash(root) == before
    (root / "fn" / "handler.py").write_text("x = 2\n")
    assert _bundling.bundle_hash(root) != before
