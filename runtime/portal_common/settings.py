"""Configuration from environment variables, parsed once into a typed model."""

from __future__ import annotations

import os
from functools import cache

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


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


@cache
def settings() -> Settings:
    """The function's settings; call `settings.cache_clear()` after changing the environment."""
    env = os.environ
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
        allowed_origins=_split(env.get("ALLOWED_ORIGINS", "")),
        admins_group=env.get("ADMINS_GROUP", "admins"),
        registered_group=env.get("REGISTERED_GROUP", "registered"),
        catalog_requires_sign_in=env.get("CATALOG_REQUIRES_SIGN_IN", "false").lower() == "true",
        sign_up_approver=env.get("SIGN_UP_APPROVER", ""),
    )
