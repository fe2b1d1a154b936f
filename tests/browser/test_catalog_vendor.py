"""The vendored Swagger UI is the one package.json pins, complete, and outside the site's own size budget."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.browser.conftest import ROOT

VENDOR = ROOT / "site" / "public" / "vendor" / "swagger-ui"


def load_vendoring() -> object:
    import importlib.util

    spec = importlib.util.spec_from_file_location("vendor_swagger_ui", ROOT / "site" / "vendor_swagger_ui.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_vendored_swagger_ui_is_the_pinned_version() -> None:
    # Given the pin in package.json and its lock
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["swagger-ui-dist"]
    locked = json.loads((ROOT / "package-lock.json").read_text())["packages"]["node_modules/swagger-ui-dist"]
    # Then the lock, the vendored copy's version file and the bundle itself all name that exact 5.x version
    assert re.fullmatch(r"5\.\d+\.\d+", pinned), f"pin swagger-ui-dist to an exact 5.x version, not {pinned!r}"
    assert locked["version"] == pinned
    assert (VENDOR / "version.txt").read_text().strip() == pinned
    bundle = (VENDOR / "swagger-ui-bundle.js").read_text(encoding="utf-8")
    assert f'PACKAGE_VERSION:"{pinned}"' in bundle, "run: npm ci --ignore-scripts && python site/vendor_swagger_ui.py"


def test_the_vendored_files_carry_their_licence_and_no_source_map_reference() -> None:
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE.txt", "NOTICE.txt"):
        assert (VENDOR / name).stat().st_size > 0, name
    for name in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert "sourceMappingURL" not in (VENDOR / name).read_text(encoding="utf-8")[-300:], name


def test_the_site_size_budget_leaves_swagger_ui_out() -> None:
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import site_size
    finally:
        sys.path.remove(str(ROOT / "bench"))
    counted = {path.relative_to(ROOT / "site").as_posix() for path in site_size.own_files()}
    assert "public/app/catalog.js" in counted
    assert not any(path.startswith("public/vendor/") for path in counted)


def test_fails_when_node_modules_holds_another_version(tmp_path: Path) -> None:
    # Given a node_modules copy of swagger-ui-dist that is not the pinned version
    source = tmp_path / "swagger-ui-dist"
    source.mkdir()
    (source / "package.json").write_text(json.dumps({"version": "4.0.0"}))
    vendoring = load_vendoring()
    # When it is vendored, then the script refuses and says to run npm ci
    with pytest.raises(
        SystemExit, match=r"holds swagger-ui-dist 4\.0\.0, package\.json pins 5\.\d+\.\d+; run `npm ci`"
    ):
        vendoring.vendor(source, tmp_path / "out")  # type: ignore[attr-defined]
