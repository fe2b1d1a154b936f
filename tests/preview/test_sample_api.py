"""The sample API refuses and counts requests as API Gateway does with API keys and usage plans."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import Any

from devportal_constructs.preview import Preview


def call(preview: Preview, stage: str, key: str | None) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(f"{preview.url}/sample-api/{stage}/pets")
    if key is not None:
        request.add_header("x-api-key", key)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def plan_named(preview: Preview, name: str) -> dict[str, Any]:
    return next(plan for plan in preview.aws("apigateway").get_usage_plans()["items"] if plan["name"] == name)


def new_key(preview: Preview, plan_id: str | None, *, enabled: bool = True) -> tuple[str, str]:
    apigateway = preview.aws("apigateway")
    key = apigateway.create_api_key(name=f"test-{uuid.uuid4().hex[:8]}", enabled=enabled)
    if plan_id is not None:
        apigateway.create_usage_plan_key(usagePlanId=plan_id, keyId=key["id"], keyType="API_KEY")
    return key["id"], key["value"]


def tight_plan(preview: Preview, *, throttle: dict[str, Any], quota: dict[str, Any] | None = None) -> str:
    extra = {} if quota is None else {"quota": quota}
    return preview.aws("apigateway").create_usage_plan(
        name=f"tight-{uuid.uuid4().hex[:8]}",
        apiStages=[{"apiId": preview.sample_api_id, "stage": "dev"}],
        throttle=throttle,
        **extra,
    )["id"]


def test_the_sample_api_has_two_stages_and_the_free_and_pro_plans(preview: Preview) -> None:
    # Given the seeded emulation
    apigateway = preview.aws("apigateway")
    # When its stages and plans are listed
    stages = {stage["stageName"] for stage in apigateway.get_stages(restApiId=preview.sample_api_id)["item"]}
    free, pro = plan_named(preview, "Free"), plan_named(preview, "Pro")
    # Then both stages exist, and the plans differ in throttle and quota
    assert stages == {"dev", "prod"}
    assert {s["stage"] for s in free["apiStages"]} == {"dev", "prod"}
    assert {s["stage"] for s in pro["apiStages"]} == {"prod"}
    assert free["throttle"]["rateLimit"] < pro["throttle"]["rateLimit"]
    assert free["quota"]["limit"] < pro["quota"]["limit"]


def test_a_key_in_a_plan_of_the_stage_gets_the_pets(preview: Preview) -> None:
    # Given a key in the Free plan
    _, value = new_key(preview, plan_named(preview, "Free")["id"])
    # When it calls the prod stage
    status, body = call(preview, "prod", value)
    # Then the pets come back
    assert status == 200
    assert {pet["type"] for pet in body} >= {"dog", "cat"}


def test_fails_when_no_key_is_sent(preview: Preview) -> None:
    assert call(preview, "prod", None) == (403, {"message": "Forbidden"})


def test_fails_when_the_key_is_unknown(preview: Preview) -> None:
    assert call(preview, "prod", "no-such-key-value-0123456789") == (403, {"message": "Forbidden"})


def test_fails_when_the_key_is_disabled(preview: Preview) -> None:
    # Given a disabled key in the Free plan
    _, value = new_key(preview, plan_named(preview, "Free")["id"], enabled=False)
    # Then API Gateway refuses it as if unknown
    assert call(preview, "prod", value) == (403, {"message": "Forbidden"})


def test_fails_when_the_keys_plan_does_not_include_the_stage(preview: Preview) -> None:
    # Given a key in the Pro plan, which includes prod only
    _, value = new_key(preview, plan_named(preview, "Pro")["id"])
    # When it calls dev, and then prod
    refused, accepted = call(preview, "dev", value), call(preview, "prod", value)
    # Then dev refuses it and prod takes it
    assert refused == (403, {"message": "Forbidden"})
    assert accepted[0] == 200


def test_fails_when_the_key_is_in_no_plan(preview: Preview) -> None:
    _, value = new_key(preview, None)
    assert call(preview, "dev", value) == (403, {"message": "Forbidden"})


def test_fails_when_the_throttle_is_exceeded(preview: Preview) -> None:
    # Given a plan with a burst of one request and a refill of one request every 1,000 seconds
    _, value = new_key(preview, tight_plan(preview, throttle={"rateLimit": 0.001, "burstLimit": 1}))
    # When the key calls twice in a row
    first, second = call(preview, "dev", value), call(preview, "dev", value)
    # Then the second call is throttled
    assert first[0] == 200
    assert second == (429, {"message": "Too Many Requests"})


def test_fails_when_the_quota_is_used_up(preview: Preview) -> None:
    # Given a plan that allows two requests a day
    plan = tight_plan(preview, throttle={"rateLimit": 100, "burstLimit": 100}, quota={"limit": 2, "period": "DAY"})
    _, value = new_key(preview, plan)
    # When the key calls three times
    results = [call(preview, "dev", value)[0] for _ in range(2)], call(preview, "dev", value)
    # Then the third call is over the limit
    assert results[0] == [200, 200]
    assert results[1] == (429, {"message": "Limit Exceeded"})


def test_usage_is_recorded_per_key_and_day_and_returned_by_get_usage(preview: Preview) -> None:
    # Given a key in the Free plan that made three accepted calls and one refused on another stage's plan
    free = plan_named(preview, "Free")
    key_id, value = new_key(preview, free["id"])
    for _ in range(3):
        assert call(preview, "prod", value)[0] == 200
    today = datetime.now(UTC).date().isoformat()
    # When the runtime's boto3 call asks for the usage (moto lacks GetUsage; the preview answers it)
    usage = preview.aws("apigateway").get_usage(usagePlanId=free["id"], keyId=key_id, startDate=today, endDate=today)
    # Then the day's count and the quota left are reported
    assert usage["usagePlanId"] == free["id"]
    assert usage["items"] == {key_id: [[3, free["quota"]["limit"] - 3]]}


def test_fails_when_get_usage_names_an_unknown_plan(preview: Preview) -> None:
    import pytest
    from botocore.exceptions import ClientError

    today = datetime.now(UTC).date().isoformat()
    with pytest.raises(ClientError, match="Invalid Usage Plan ID specified"):
        preview.aws("apigateway").get_usage(usagePlanId="nosuchplan", startDate=today, endDate=today)


def test_preflight_lets_swagger_ui_on_the_portal_origin_try_it_out(preview: Preview) -> None:
    request = urllib.request.Request(f"{preview.url}/sample-api/prod/pets", method="OPTIONS")
    request.add_header("Origin", "http://elsewhere.example")
    request.add_header("Access-Control-Request-Headers", "x-api-key")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "x-api-key" in response.headers["Access-Control-Allow-Headers"]
