"""Measures the site's own JavaScript and CSS, uncompressed, against the 150 KB budget.

    python bench/site_size.py          # prints a table; exits 1 when over budget

Counted: every ``.js`` and ``.css`` file under ``site/public`` and the default ``site/custom-content``.
Not counted: third-party code under ``site/public/vendor/`` (Swagger UI, which only API pages load).
"""

from __future__ import annotations

import sys
from pathlib import Path

SITE = Path(__file__).resolve().parents[1] / "site"
BUDGET_BYTES = 150 * 1024
SUFFIXES = (".js", ".css")
EXCLUDED = ("public/vendor",)


def own_files(site: Path = SITE) -> list[Path]:
    files = []
    for folder in ("public", "custom-content"):
        for path in sorted((site / folder).rglob("*")):
            relative = path.relative_to(site).as_posix()
            if path.is_file() and path.suffix in SUFFIXES and not relative.startswith(EXCLUDED):
                files.append(path)
    return files


def main(site: Path = SITE, budget: int = BUDGET_BYTES) -> int:
    files = own_files(site)
    total = 0
    for path in files:
        size = path.stat().st_size
        total += size
        print(f"{size:>9,}  {path.relative_to(site).as_posix()}")
    verdict = "within" if total <= budget else "OVER"
    print(f"{total:>9,}  total of {len(files)} files, {verdict} the budget of {budget:,} bytes")
    return 0 if total <= budget else 1


if __name__ == "__main__":
    sys.exit(main())
