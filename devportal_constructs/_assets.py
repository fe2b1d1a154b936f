"""Where the Lambda sources and the website live, in a checkout and in an installed wheel alike."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _locate(name: str) -> Path:
    # A wheel carries the folders inside the package (see pyproject.toml); a checkout has them beside it.
    for candidate in (_PACKAGE_DIR / "_bundled" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"devportal-constructs cannot find its {name}/ folder next to {_PACKAGE_DIR}; "
        "reinstall the package, or run from a complete checkout"
    )


def runtime_dir() -> Path:
    """The folder holding the Lambda functions' Python sources and their pinned requirements."""
    return _locate("runtime")


def site_dir() -> Path:
    """The folder holding the static website and its default custom content."""
    return _locate("site")
