"""AWS clients, created on first use so that tests and the local preview can point them anywhere."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, user_agent_extra="devportal-constructs")


@cache
def client(service: str) -> Any:
    """A boto3 client for `service`, honouring AWS_ENDPOINT_URL_* so the preview can redirect it."""
    return boto3.client(service, region_name=os.environ.get("AWS_REGION"), config=_CONFIG)


@cache
def resource(service: str) -> Any:
    return boto3.resource(service, region_name=os.environ.get("AWS_REGION"), config=_CONFIG)


def reset_clients() -> None:
    """Forget cached clients, so the next call builds them with the current environment."""
    client.cache_clear()
    resource.cache_clear()
