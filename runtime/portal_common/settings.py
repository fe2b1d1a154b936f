"""Configuration from environment variables, parsed once into a typed model."""

from __future__ import annotations

import os
from functools import cache
from typing import Literal

from pydantic import BaseModel, Field


class Settings(BaseModel):
    accounts_table: str = ""
    feedback_table: str = ""
    subscriptions_table: str = ""
    artifacts_bucket: str = ""
    site_bucket: str = ""
    user_pool_id: str = ""
    feedback_topic_arn: str = ""
    catalog_updater: str = ""
    stack_name: str = "devportal"
    registration_mode: str = "open"
    allowed_email_domains: list[str] = Field(default_factory=list)
    allowed_origins: list[str] = Field(default_factory=list)
    admins_group: str = "admins"
    registered_group: str = "registered"
    catalog_requires_sign_in: bool = False
    sign_up_approver: str = ""
    website_url: str = ""
    """The portal's address without a trailing slash: WEBSITE_URL, else the first allowed origin but ``*``."""
    marketplace_event_source: Literal["sns", "eventbridge"] = "sns"
    marketplace_product_codes: dict[str, str] = Field(default_factory=dict)
    """AWS Marketplace product code to the id of the usage plan that sells it, as the operator mapped them."""

    def sold_on_marketplace(self, usage_plan_id: str, product_code: str = "") -> bool:
        """Whether the plan is bought on AWS Marketplace: it has a product code, or the operator mapped one."""
        return bool(product_code) or usage_plan_id in self.marketplace_product_codes.values()


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _pairs(value: str) -> dict[str, str]:
    """``a=1,b=2`` as a mapping; a part without both sides is left out."""
    pairs = {}
    for part in _split(value):
        name, _, mapped = part.partition("=")
        if name.strip() and mapped.strip():
            pairs[name.strip()] = mapped.strip()
    return pairs


@cache
def settings() -> Settings:
    """The function's settings; call `settings.cache_clear()` after changing the environment."""
    env = os.environ
    origins = _split(env.get("ALLOWED_ORIGINS", ""))
    website = env.get("WEBSITE_URL", "") or next((origin for origin in origins if origin != "*"), "")
    return Settings(
        accounts_table=env.get("ACCOUNTS_TABLE", ""),
        feedback_table=env.get("FEEDBACK_TABLE", ""),
        subscriptions_table=env.get("SUBSCRIPTIONS_TABLE", ""),
        artifacts_bucket=env.get("ARTIFACTS_BUCKET", ""),
        site_bucket=env.get("SITE_BUCKET", ""),
        user_pool_id=env.get("USER_POOL_ID", ""),
        feedback_topic_arn=env.get("FEEDBACK_TOPIC_ARN", ""),
        catalog_updater=env.get("CATALOG_UPDATER", ""),
        stack_name=env.get("STACK_NAME", "devportal"),
        registration_mode=env.get("REGISTRATION_MODE", "open"),
        allowed_email_domains=[domain.lower() for domain in _split(env.get("ALLOWED_EMAIL_DOMAINS", ""))],
        allowed_origins=origins,
        admins_group=env.get("ADMINS_GROUP", "admins"),
        registered_group=env.get("REGISTERED_GROUP", "registered"),
        catalog_requires_sign_in=env.get("CATALOG_REQUIRES_SIGN_IN", "false").lower() == "true",
        sign_up_approver=env.get("SIGN_UP_APPROVER", ""),
        website_url=website.rstrip("/"),
        marketplace_event_source="eventbridge" if env.get("MARKETPLACE_EVENT_SOURCE") == "eventbridge" else "sns",
        marketplace_product_codes=_pairs(env.get("MARKETPLACE_PRODUCT_CODES", "")),
    )
