"""A portal for the self-service tests (keys, subscriptions, usage, feedback) in moto, and tools to probe it.

- ``SelfService``: the tables, bucket and user pool the backend needs, with two developers and an admin;
  ``call(...)`` sends a REST event to the backend, ``plan(...)`` makes a usage plan, ``publish(...)`` writes
  the catalog that offers plans.
- ``one_plan_per_stage(monkeypatch)``: teaches moto API Gateway's rule that a key may not be in two plans
  sharing a stage, and its NotFound for a key that is not in a plan (moto raises a KeyError).
- ``fail_call(monkeypatch, operation, ...)``: makes the n-th call of one AWS operation fail, to inject faults.
- ``count_calls(monkeypatch)``: counts every AWS call the code under test makes, by service and operation.
- ``stub_get_usage(monkeypatch)``: moto has no ``GetUsage``; this routes that one operation of the portal's
  API Gateway client to a botocore ``Stubber`` and leaves every other call to moto.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.client
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from tests.runtime.events import REGION, CallsBackend, User, accounts_table, add_user, user_pool

STACK = "portal-test"
BUCKET = "portal-artifacts"
FEEDBACK_TABLE = "feedback"
SAMPLE_API = "abcde12345_prod"
PARTNER_API = "fghij67890_prod"
HIDDEN_API = "zzzzz00000_prod"


@dataclass
class SelfService(CallsBackend):
    monkeypatch: pytest.MonkeyPatch
    pool_id: str
    admin: User
    dev: User
    other: User

    def add(self, email: str, **kwargs: Any) -> User:
        return add_user(self.pool_id, email, **kwargs)

    def configure(self, **env: str) -> None:
        from portal_common.settings import settings

        for key, value in env.items():
            self.monkeypatch.setenv(key, value)
        settings.cache_clear()

    # --- state, read straight from moto -----------------------------------------------------------------

    def record(self, user: User) -> dict[str, Any]:
        table = boto3.resource("dynamodb", region_name=REGION).Table("accounts")
        return table.get_item(Key={"userId": user.user_id})["Item"]

    def key_of(self, user: User) -> str:
        return str(self.record(user)["apiKeyId"])

    def portal_keys_of(self, user: User) -> list[dict[str, Any]]:
        """Every API key named after this user, as the portal names its keys."""
        items = gateway().get_api_keys(nameQuery=f"{STACK}-{user.user_id}", includeValues=True)["items"]
        return [item for item in items if item.get("name") == f"{STACK}-{user.user_id}"]

    def plans_of(self, key_id: str) -> list[str]:
        return sorted(plan["name"] for plan in gateway().get_usage_plans(keyId=key_id)["items"])

    # --- API Gateway and the catalog ----------------------------------------------------------------------

    def plan(
        self,
        name: str,
        stages: Iterable[str],
        *,
        quota: dict[str, Any] | None = None,
        throttle: dict[str, Any] | None = None,
    ) -> str:
        arguments: dict[str, Any] = {
            "name": name,
            "description": f"The {name} tier",
            "apiStages": [{"apiId": stage.split("_", 1)[0], "stage": stage.split("_", 1)[1]} for stage in stages],
        }
        if quota is not None:
            arguments["quota"] = quota
        if throttle is not None:
            arguments["throttle"] = throttle
        return str(gateway().create_usage_plan(**arguments)["id"])

    def publish(self, apis: dict[str, str], plan_ids: Iterable[str]) -> None:
        """Write catalog.json as the updater would: `apis` (id to title) and the plans that include them."""
        from portal_common.catalog import ApiEntry, Catalog, PlanTier, UsagePlan, split_stage_id

        tiers = [gateway().get_usage_plan(usagePlanId=plan_id) for plan_id in plan_ids]
        catalog = Catalog(generatedAt="2026-01-01T00:00:00+00:00")
        for api, title in apis.items():
            api_id, stage = split_stage_id(api) or ("", "")
            stage_plans = [
                PlanTier(id=tier["id"], name=tier["name"], quota=tier.get("quota"), throttle=tier.get("throttle"))
                for tier in tiers
                if {"apiId": api_id, "stage": stage} in tier.get("apiStages", [])
            ]
            catalog.apis.append(
                ApiEntry(
                    id=api,
                    kind="apiGateway",
                    apiId=api_id,
                    stage=stage,
                    title=title,
                    openapi="3.0.3",
                    plans=stage_plans,
                    logo=f"/custom-content/api-logos/{api}.png",
                    spec=f"catalog/{api}/spec",
                    source=f"catalog/{api}.json",
                    updatedAt="2026-01-01T00:00:00+00:00",
                )
            )
        for tier in tiers:
            stages = {f"{stage['apiId']}_{stage['stage']}" for stage in tier.get("apiStages", [])}
            published = sorted(stages & set(apis))
            if published:
                catalog.usagePlans.append(
                    UsagePlan(
                        id=tier["id"],
                        name=tier["name"],
                        quota=tier.get("quota"),
                        throttle=tier.get("throttle"),
                        apis=published,
                    )
                )
        boto3.client("s3", region_name=REGION).put_object(
            Bucket=BUCKET, Key="catalog.json", Body=catalog.model_dump_json(exclude_none=True).encode()
        )


def gateway() -> Any:
    return boto3.client("apigateway", region_name=REGION)


def self_service(monkeypatch: pytest.MonkeyPatch) -> SelfService:
    """Create the portal's resources; call inside ``mock_aws()``."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName=FEEDBACK_TABLE,
        KeySchema=[{"AttributeName": "feedbackId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "feedbackId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
    pool_id = user_pool()
    for key, value in {
        "ACCOUNTS_TABLE": accounts_table(),
        "FEEDBACK_TABLE": FEEDBACK_TABLE,
        "ARTIFACTS_BUCKET": BUCKET,
        "USER_POOL_ID": pool_id,
        "STACK_NAME": STACK,
        "FEEDBACK_TOPIC_ARN": "",
    }.items():
        monkeypatch.setenv(key, value)
    from portal_common.settings import settings

    settings.cache_clear()
    return SelfService(
        monkeypatch=monkeypatch,
        pool_id=pool_id,
        admin=add_user(pool_id, "admin@example.com", groups=["admins", "registered"]),
        dev=add_user(pool_id, "dev@example.com", groups=["registered"]),
        other=add_user(pool_id, "other@example.com", groups=["registered"]),
    )


# --- teaching moto API Gateway's rules ---------------------------------------------------------------------


def one_plan_per_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    """API Gateway refuses a key in two plans that share a stage; moto does not, until this is applied."""
    from moto.apigateway.exceptions import ConflictException, NotFoundException
    from moto.apigateway.models import APIGatewayBackend

    original_add = APIGatewayBackend.create_usage_plan_key
    original_remove = APIGatewayBackend.delete_usage_plan_key

    def stages(backend: APIGatewayBackend, plan_id: str) -> set[tuple[str, str]]:
        plan = backend.usage_plans[plan_id]
        return {(stage["apiId"], stage["stage"]) for stage in plan.api_stages or []}

    def create_usage_plan_key(self: APIGatewayBackend, usage_plan_id: str, payload: dict[str, Any]) -> Any:
        key_id = payload["keyId"]
        if usage_plan_id not in self.usage_plans:
            raise NotFoundException("Invalid Usage Plan ID specified")
        for plan_id, members in self.usage_plan_keys.items():
            if plan_id != usage_plan_id and key_id in members and stages(self, plan_id) & stages(self, usage_plan_id):
                raise ConflictException(
                    f"API Key {key_id} cannot reference multiple Usage Plans with the same API Stage"
                )
        return original_add(self, usage_plan_id, payload)

    def delete_usage_plan_key(self: APIGatewayBackend, usage_plan_id: str, key_id: str) -> None:
        if key_id not in self.usage_plan_keys.get(usage_plan_id, {}):
            raise NotFoundException("Invalid Usage Plan Key identifier specified")
        original_remove(self, usage_plan_id, key_id)

    monkeypatch.setattr(APIGatewayBackend, "create_usage_plan_key", create_usage_plan_key)
    monkeypatch.setattr(APIGatewayBackend, "delete_usage_plan_key", delete_usage_plan_key)


# --- probes ------------------------------------------------------------------------------------------------


def fail_call(
    monkeypatch: pytest.MonkeyPatch,
    operation: str,
    *,
    on_calls: Iterable[int] = (1,),
    code: str = "TooManyRequestsException",
) -> Counter[str]:
    """Make the listed calls (1 = the first) of `operation`, such as ``CreateUsagePlanKey``, fail.

    Returns the counter of calls per operation so far. The failure is raised above botocore's retries, as
    one that outlasted them would be.
    """
    failing = set(on_calls)
    seen: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def make_api_call(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        seen[operation_name] += 1
        if operation_name == operation and seen[operation_name] in failing:
            raise ClientError({"Error": {"Code": code, "Message": "injected failure"}}, operation_name)
        return original(client, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", make_api_call)
    return seen


def count_calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every AWS call from now on, counted as ``service:Operation``."""
    counted: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def make_api_call(client: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        counted[f"{client.meta.service_model.service_name}:{operation_name}"] += 1
        return original(client, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", make_api_call)
    return counted


def stub_get_usage(monkeypatch: pytest.MonkeyPatch) -> Stubber:
    """A Stubber answering the portal's GetUsage calls (moto lacks GetUsage); queue responses on it."""
    from portal_common.aws import client

    stubbed = boto3.client("apigateway", region_name=REGION)
    stubber = Stubber(stubbed)
    stubber.activate()
    monkeypatch.setattr(client("apigateway"), "get_usage", stubbed.get_usage)
    return stubber
