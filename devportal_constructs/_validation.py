"""Early validation of props: every problem is collected and raised once, naming what to change."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import Token
from constructs import Construct


class DevPortalValidationError(ValueError):
    """Raised at synth when props are invalid. Its message lists every problem found, one per line."""

    def __init__(self, construct_path: str, problems: list[str]) -> None:
        self.construct_path = construct_path
        self.problems = list(problems)
        lines = "\n".join(f"  - {problem}" for problem in problems)
        plural = "s" if len(problems) != 1 else ""
        super().__init__(f"{construct_path}: {len(problems)} invalid prop{plural}:\n{lines}")


@dataclass
class Problems:
    """Collects problems with props and raises them together as one DevPortalValidationError."""

    scope: Construct
    found: list[str] = field(default_factory=list)

    def add(self, prop: str, value: Any, fix: str) -> None:
        self.found.append(f"{prop}={value!r}: {fix}")

    def raise_if_any(self) -> None:
        if self.found:
            raise DevPortalValidationError(self.scope.node.path, self.found)


def is_token(value: Any) -> bool:
    """True for values CloudFormation resolves at deploy time; those cannot be checked at synth."""
    return isinstance(value, str) and Token.is_unresolved(value)


_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def bucket_name_problem(name: str) -> str | None:
    """Why S3 would refuse this bucket name, or None when it would accept it."""
    if not _BUCKET_NAME.match(name):
        return (
            "use 3 to 63 characters: lowercase letters, digits, dots and hyphens, "
            "starting and ending with a letter or digit"
        )
    if ".." in name or ".-" in name or "-." in name:
        return "remove adjacent dots, and dots next to hyphens"
    if _IP_ADDRESS.match(name):
        return "do not use an IP address as a bucket name"
    for prefix in ("xn--", "sthree-", "amzn-s3-demo-"):
        if name.startswith(prefix):
            return f"do not start the name with {prefix!r}, which S3 reserves"
    for suffix in ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"):
        if name.endswith(suffix):
            return f"do not end the name with {suffix!r}, which S3 reserves"
    return None


_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value))


def is_domain_name(value: str) -> bool:
    return bool(_DOMAIN.match(value.lower()))


_COGNITO_PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
COGNITO_RESERVED_WORDS = ("aws", "amazon", "cognito")


def cognito_prefix_problem(prefix: str) -> str | None:
    """Why Cognito would refuse this hosted-domain prefix, or None when it would accept it."""
    if not _COGNITO_PREFIX.match(prefix):
        return "use 1 to 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit"
    for word in COGNITO_RESERVED_WORDS:
        if word in prefix:
            return f"remove {word!r}: Cognito refuses prefixes that contain 'aws', 'amazon' or 'cognito'"
    return None


def one_of(problems: Problems, prop: str, value: str, allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    if value not in allowed:
        choices = ", ".join(repr(choice) for choice in allowed)
        problems.add(prop, value, f"use one of {choices}")
