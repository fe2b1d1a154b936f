"""cdk-nag acknowledgments, each with its reason, placed on the construct that causes the finding.

cdk-nag names a wildcard finding by the flattened statement value, for example
``AwsSolutions-IAM5[Resource::<BucketLogicalId.Arn>/*]``; these helpers build those names from the same
tokens the grants used, so an acknowledgment covers exactly the wildcard it explains and nothing else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from constructs import IConstruct

PACK = "AwsSolutions"
S3_READ_ACTIONS = ("s3:GetObject*", "s3:GetBucket*", "s3:List*")
S3_WRITE_ACTIONS = ("s3:DeleteObject*", "s3:Abort*")
S3_READ_WRITE_ACTIONS = S3_READ_ACTIONS + S3_WRITE_ACTIONS


def _flatten(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if "Ref" in value:
            return f"<{value['Ref']}>"
        if "Fn::GetAtt" in value:
            resource, attribute = value["Fn::GetAtt"]
            return f"<{resource}.{attribute}>"
        if "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
            return re.sub(r"\$\{([^}]+)\}", r"<\1>", value["Fn::Sub"])
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(_flatten(part) for part in parts)
    return json.dumps(value)


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge the AwsSolutions finding `rule` (``"IAM4"``, ``"IAM5[Resource::*]"``) on `scope`."""
    Validations.of(scope).acknowledge(Acknowledgment(id=f"{PACK}::{PACK}-{rule}", reason=reason))


BASIC_EXECUTION_ROLE = "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]"


def acknowledge_wildcards(
    scope: IConstruct,
    reason: str,
    *,
    actions: Iterable[str] = (),
    resources: Iterable[str] = (),
) -> None:
    """Acknowledge IAM5 for exactly these wildcard actions and resource ARNs (tokens allowed)."""
    stack = Stack.of(scope)
    for action in actions:
        acknowledge(scope, f"IAM5[Action::{action}]", reason)
    for resource in resources:
        acknowledge(scope, f"IAM5[Resource::{_flatten(stack.resolve(resource))}]", reason)
