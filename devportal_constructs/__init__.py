"""devportal-constructs: a self-service API developer portal on AWS, as one CDK construct."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._validation import DevPortalValidationError
    from .backend import Backend
    from .catalog import Catalog
    from .custom_domain import CustomDomain, CustomDomainOptions
    from .dev_portal import DevPortal
    from .identity import Identity
    from .marketplace import Marketplace, MarketplaceOptions

# The constructs import aws-cdk-lib, which starts a Node.js process. Importing them on first use keeps the
# parts that need no CDK (`devportal preview` from its cache, the catalog CLI) quick to start.
_MODULES = {
    "Backend": ".backend",
    "Catalog": ".catalog",
    "CustomDomain": ".custom_domain",
    "CustomDomainOptions": ".custom_domain",
    "DevPortal": ".dev_portal",
    "DevPortalValidationError": "._validation",
    "Identity": ".identity",
    "Marketplace": ".marketplace",
    "MarketplaceOptions": ".marketplace",
}

__all__ = [
    "Backend",
    "Catalog",
    "CustomDomain",
    "CustomDomainOptions",
    "DevPortal",
    "DevPortalValidationError",
    "Identity",
    "Marketplace",
    "MarketplaceOptions",
]


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULES[name], __name__), name)
    globals()[name] = value
    return value
