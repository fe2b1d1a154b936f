"""AWS clients, created on first use so that tests and the local preview can point them anywhere, and the
few ways the portal reads what a failed AWS call says."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, user_agent_extra="devportal-constructs")

AWS_FAILURES = (ClientError, BotoCoreError)
"""What a failed AWS call raises: the service's refusal, or no answer at all."""


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


def error_code(error: BaseException) -> str:
    """The AWS error code, such as ``NotFoundException``, or the exception's name when AWS never answered.

    Messages shown to users carry this, never AWS's own message, which can name the account's resources.
    """
    if isinstance(error, ClientError):
        return str(error.response["Error"]["Code"])
    return type(error).__name__


def is_conditional_failure(error: BaseException) -> bool:
    return error_code(error) == "ConditionalCheckFailedException"


def is_not_found(error: BaseException) -> bool:
    return error_code(error) == "NotFoundException"


def is_missing_object(error: BaseException) -> bool:
    """Whether S3 said there is no such object (GetObject says NoSuchKey, HeadObject only 404)."""
    return error_code(error) in ("NoSuchKey", "404", "NotFound")
