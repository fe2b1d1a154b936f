"""devportal-constructs: a self-service API developer portal on AWS, as one CDK construct."""

from ._validation import DevPortalValidationError
from .backend import Backend
from .catalog import Catalog
from .custom_domain import CustomDomain, CustomDomainOptions
from .dev_portal import DevPortal
from .identity import Identity
from .marketplace import Marketplace, MarketplaceOptions

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
