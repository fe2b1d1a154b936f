"""Events the portal's functions receive, built as AWS sends them, for any runtime test to reuse.

- ``rest_event``: an API Gateway REST proxy event for ``/api/...`` on stage ``prod``, with the claims the
  Cognito authorizer puts in ``requestContext.authorizer.claims`` (``claims(...)``), or none (anonymous).
- ``pre_sign_up_event``, ``post_confirmation_event``, ``pre_token_generation_event`` (version 2): Cognito
  user pool trigger events.
- ``lambda_context()``: the context object Powertools' decorators read.
- ``call_backend(...)``: one ``rest_event`` through the backend's handler, answered as a ``Reply``.
- ``accounts_table``, ``subscriptions_table``, ``user_pool``, ``add_user``, ``rest_api``: the moto resources
  the portal's code works with. Call them inside ``mock_aws()``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import boto3
from boto3.dynamodb.types import TypeSerializer

API_PREFIX = "/api"
STAGE = "prod"
REGION = "us-east-1"


@dataclass(frozen=True)
class LambdaContext:
    function_name: str = "devportal-test"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:devportal-test"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def lambda_context() -> LambdaContext:
    return LambdaContext()


def claims(user_id: str, email: str, *, groups: Iterable[str] = (), username: str | None = None) -> dict[str, str]:
    """The ID-token claims API Gateway's Cognito authorizer passes on; it flattens groups to "a,b"."""
    result = {
        "sub": user_id,
        "email": email,
        "email_verified": "true",
        "cognito:username": username or user_id,
        "token_use": "id",
    }
    groups = list(groups)
    if groups:
        result["cognito:groups"] = ",".join(groups)
    return result


def rest_event(
    method: str,
    path: str,
    *,
    claims: Mapping[str, str] | None = None,
    body: Any = None,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A REST API proxy event for `method` `path` (relative to ``/api``, e.g. ``/admin/accounts``)."""
    full_path = API_PREFIX + (path if path.startswith("/") else f"/{path}")
    all_headers = {
        "Host": "abc123.execute-api.us-east-1.amazonaws.com",
        "Origin": "https://portal.example.com",
    }
    if body is not None:
        all_headers["Content-Type"] = "application/json"
    all_headers.update(headers or {})
    request_context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "abc123",
        "domainName": all_headers["Host"],
        "httpMethod": method,
        "path": f"/{STAGE}{full_path}",
        "protocol": "HTTP/1.1",
        "requestId": str(uuid.uuid4()),
        "requestTimeEpoch": 1_700_000_000_000,
        "resourceId": "proxy1",
        "resourcePath": f"{API_PREFIX}/{{proxy+}}",
        "stage": STAGE,
        "identity": {"sourceIp": "192.0.2.10", "userAgent": "pytest"},
    }
    if claims is not None:
        request_context["authorizer"] = {"claims": dict(claims)}
    return {
        "resource": f"{API_PREFIX}/{{proxy+}}",
        "path": full_path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {key: [value] for key, value in all_headers.items()},
        "queryStringParameters": dict(query) if query else None,
        "multiValueQueryStringParameters": {key: [value] for key, value in query.items()} if query else None,
        "pathParameters": {"proxy": full_path[len(API_PREFIX) + 1 :]},
        "stageVariables": None,
        "requestContext": request_context,
        "body": None if body is None else (body if isinstance(body, str) else json.dumps(body)),
        "isBase64Encoded": False,
    }


@dataclass
class Reply:
    """The backend's answer: its status, its body (parsed when it is JSON) and its headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def call_backend(
    method: str,
    path: str,
    *,
    claims: Mapping[str, str] | None = None,
    body: Any = None,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """Send `method` `path` (relative to ``/api``) through the backend's handler, as `claims` (None: anonymous)."""
    from backend.handler import lambda_handler

    event = rest_event(method, path, claims=claims, body=body, query=query, headers=headers)
    response = lambda_handler(event, lambda_context())
    text = response.get("body") or ""
    # The REST resolver answers with multiValueHeaders; each of these has one value.
    answered = {name: values[0] for name, values in (response.get("multiValueHeaders") or {}).items()}
    is_json = answered.get("Content-Type", "").startswith("application/json")
    return Reply(response["statusCode"], json.loads(text) if is_json and text else text, answered)


def _trigger_event(
    source: str, *, username: str, user_pool_id: str, attributes: Mapping[str, str], version: str = "1"
) -> dict[str, Any]:
    return {
        "version": version,
        "triggerSource": source,
        "region": REGION,
        "userPoolId": user_pool_id,
        "userName": username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "webclient"},
        "request": {"userAttributes": dict(attributes)},
        "response": {},
    }


def pre_sign_up_event(
    email: str,
    *,
    source: str = "PreSignUp_SignUp",
    username: str | None = None,
    user_pool_id: str = f"{REGION}_testpool",
) -> dict[str, Any]:
    """What Cognito sends before it creates a user (``PreSignUp_SignUp``, ``_AdminCreateUser``, ...)."""
    event = _trigger_event(
        source, username=username or str(uuid.uuid4()), user_pool_id=user_pool_id, attributes={"email": email}
    )
    event["request"].update({"validationData": None, "clientMetadata": {}})
    event["response"] = {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False}
    return event


def _confirmed_attributes(user_id: str, email: str) -> dict[str, str]:
    return {"sub": user_id, "email": email, "email_verified": "true", "cognito:user_status": "CONFIRMED"}


def post_confirmation_event(
    *,
    user_id: str,
    email: str,
    username: str | None = None,
    source: str = "PostConfirmation_ConfirmSignUp",
    user_pool_id: str = f"{REGION}_testpool",
) -> dict[str, Any]:
    attributes = _confirmed_attributes(user_id, email)
    return _trigger_event(source, username=username or user_id, user_pool_id=user_pool_id, attributes=attributes)


def pre_token_generation_event(
    *,
    user_id: str,
    email: str,
    groups: Iterable[str] = (),
    username: str | None = None,
    source: str = "TokenGeneration_Authentication",
    user_pool_id: str = f"{REGION}_testpool",
) -> dict[str, Any]:
    """A version 2 pre token generation event, which carries the user's groups."""
    attributes = _confirmed_attributes(user_id, email)
    event = _trigger_event(
        source, username=username or user_id, user_pool_id=user_pool_id, attributes=attributes, version="2"
    )
    event["request"].update(
        {
            "groupConfiguration": {
                "groupsToOverride": list(groups),
                "iamRolesToOverride": [],
                "preferredRole": None,
            },
            "scopes": ["openid", "email", "profile"],
        }
    )
    return event


# The AWS the account code works with, in moto. Call these inside mock_aws().


@cache
def aws(service: str) -> Any:
    """A boto3 client for tests; moto intercepts it whenever a mock_aws() is active, so one serves all."""
    return boto3.client(service, region_name=REGION)


def accounts_table(name: str = "accounts") -> str:
    """Create the accounts table (partition key ``userId``); the test points ACCOUNTS_TABLE at it."""
    aws("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "userId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "userId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def subscriptions_table(name: str = "subscriptions") -> str:
    """Create the marketplace subscriptions table (``customerId``, ``productCode``; index ``byUser``)."""
    aws("dynamodb").create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "customerId", "KeyType": "HASH"},
            {"AttributeName": "productCode", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"} for name in ("customerId", "productCode", "userId")
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byUser",
                "KeySchema": [
                    {"AttributeName": "userId", "KeyType": "HASH"},
                    {"AttributeName": "productCode", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def rest_api(name: str = "pets", stage: str = "prod") -> str:
    """A REST API with one GET method, deployed to `stage`; returns its id."""
    gateway = aws("apigateway")
    api_id = gateway.create_rest_api(name=name)["id"]
    root = gateway.get_resources(restApiId=api_id)["items"][0]["id"]
    gateway.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    gateway.put_method_response(restApiId=api_id, resourceId=root, httpMethod="GET", statusCode="200")
    gateway.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
    gateway.create_deployment(restApiId=api_id, stageName=stage)
    return api_id


def user_pool(groups: Iterable[str] = ("admins", "registered")) -> str:
    """Create a pool that signs in by email, with the portal's groups; the test sets USER_POOL_ID."""
    cognito = aws("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName="portal", UsernameAttributes=["email"])["UserPool"]["Id"]
    for group in groups:
        cognito.create_group(UserPoolId=pool_id, GroupName=group)
    return pool_id


@dataclass(frozen=True)
class User:
    user_id: str
    username: str
    email: str
    groups: tuple[str, ...]

    def claims(self) -> dict[str, str]:
        return claims(self.user_id, self.email, groups=self.groups, username=self.username)


def add_user(
    pool_id: str,
    email: str,
    *,
    groups: Iterable[str] = (),
    status: str | None = "registered",
    record: Mapping[str, Any] | None = None,
    table: str = "accounts",
) -> User:
    """A Cognito user in `groups` and, unless `status` is None, their account record with that status."""
    cognito = aws("cognito-idp")
    created = cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )["User"]
    user_id = next(item["Value"] for item in created["Attributes"] if item["Name"] == "sub")
    for group in groups:
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=created["Username"], GroupName=group)
    if status is not None:
        item = {
            "userId": user_id,
            "username": created["Username"],
            "email": email,
            "status": status,
            "registrationMethod": "open",
            "dateCreated": "2026-01-01T00:00:00+00:00",
            **(record or {}),
        }
        aws("dynamodb").put_item(TableName=table, Item=_typed(item))
    return User(user_id=user_id, username=created["Username"], email=email, groups=tuple(groups))


def _typed(item: Mapping[str, Any]) -> dict[str, Any]:
    serializer = TypeSerializer()
    return {key: serializer.serialize(value) for key, value in item.items()}


class CallsBackend:
    """For test portals: `call` the backend as one of the portal's users, or anonymously."""

    def call(
        self,
        method: str,
        path: str,
        who: User | None = None,
        *,
        body: Any = None,
        query: dict[str, str] | None = None,
    ) -> Reply:
        return call_backend(method, path, claims=None if who is None else who.claims(), body=body, query=query)
