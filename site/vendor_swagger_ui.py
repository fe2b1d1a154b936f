"""Copies Swagger UI from npm's swagger-ui-dist into ``public/vendor/swagger-ui/``, where the API pages load it.

    npm ci --ignore-scripts && python site/vendor_swagger_ui.py

The copies are committed: the site is deployed as it is, the wheel carries ``site/``, and a fresh clone runs
the preview and the tests without Node. Run this after changing the version pinned in ``package.json``.
The source-map comments are dropped (the maps are not shipped); the licence files go along.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "node_modules" / "swagger-ui-dist"
TARGET = ROOT / "site" / "public" / "vendor" / "swagger-ui"
# Each file keeps an extension: the site serves extension-less paths as app routes.
FILES = {
    "swagger-ui-bundle.js": "swagger-ui-bundle.js",
    "swagger-ui.css": "swagger-ui.css",
    "swagger-ui-bundle.js.LICENSE.txt": "swagger-ui-bundle.js.LICENSE.txt",
    "LICENSE": "LICENSE.txt",
    "NOTICE": "NOTICE.txt",
}
_SOURCE_MAP = re.compile(r"\n?/[/*]# sourceMappingURL=[^\n]*$")


def pinned_version() -> str:
    return str(json.loads((ROOT / "package.json").read_text())["devDependencies"]["swagger-ui-dist"])


def vendor(source: Path = SOURCE, target: Path = TARGET) -> str:
    if not (source / "package.json").is_file():
        raise SystemExit(f"{source} is missing; run `npm ci --ignore-scripts` at {ROOT} first.")
    version = str(json.loads((source / "package.json").read_text())["version"])
    if version != pinned_version():
        raise SystemExit(
            f"node_modules holds swagger-ui-dist {version}, package.json pins {pinned_version()}; run `npm ci`."
        )
    target.mkdir(parents=True, exist_ok=True)
    for name, copy in FILES.items():
        text = (source / name).read_text(encoding="utf-8")
        if name.endswith((".js", ".css")):
            text = _SOURCE_MAP.sub("", text.rstrip()) + "\n"
        (target / copy).write_text(text, encoding="utf-8")
    (target / "version.txt").write_text(f"{version}\n")
    return version


if __name__ == "__main__":
    print(f"Vendored swagger-ui-dist {vendor()} into {TARGET.relative_to(ROOT)}")
    sys.exit(0)
