"""The shape of the published catalog, shared by the updater that writes it and the routes that read it."""

from __future__ import annotations

from typing import Any

CATALOG_PREFIX = "catalog/"
CATALOG_KEY = "catalog.json"
CATALOG_VERSION = 1
SPEC_SUFFIXES = (".json", ".yaml", ".yml")


def empty_catalog() -> dict[str, Any]:
    return {"version": CATALOG_VERSION, "apis": [], "generic": [], "usagePlans": []}
