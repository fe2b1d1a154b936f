"""Subscriptions against moto: list, subscribe, switch tier, unsubscribe, usage, and who may touch what.

API Gateway's rule that one key is in at most one plan per stage is taught to moto (``one_plan_per_stage``),
so a tier switch that did not leave the old plan first would fail here as it does in AWS. moto has no
``GetUsage``: the usage tests answer that one call with botocore's ``Stubber`` (``stub_get_usage``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from moto import mock_aws

from tests.runtime.self_service import (
    HIDDEN_API,
    PARTNER_API,
    SAMPLE_API,
    SelfService,
    count_calls,
    fail_call,
    gateway,
    one_plan_per_stage,
    self_service,
    stub_get_usage,
)

FREE_QUOTA = {"limit": 1000, "offset": 0, "period": "MONTH"}
PRO_QUOTA = {"limit": 100_000, "offset": 0, "period": "MONTH"}


@dataclass
class Plans:
    free: str
    pro: str
    partner: str
    hidden: str


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch) -> Iterator[SelfService]:
    with mock_aws():
        one_plan_per_stage(monkeypatch)
        yield self_service(monkeypatch)


@pytest.fixture
def plans(portal: SelfService) -> Plans:
    """Free and Pro tiers of the sample API, a Partner plan of another API, and a plan of a hidden API."""
    result = Plans(
        free=portal.plan("Free", [SAMPLE_API], quota=FREE_QUOTA, throttle={"rateLimit": 5.0, "burstLimit": 10}),
        pro=portal.plan("Pro", [SAMPLE_API], quota=PRO_QUOTA, throttle={"rateLimit": 100.0, "burstLimit": 200}),
        partner=portal.plan("Partner", [PARTNER_API]),
        hidden=portal.plan("Hidden", [HIDDEN_API]),
    )
    portal.publish(
        {SAMPLE_API: "Sample API", PARTNER_API: "Partner API"},
        [result.free, result.pro, result.partner, result.hidden],
    )
    return result


def _subscribe(portal: SelfService, plan_id: str, who: str = "dev") -> None:
    reply = portal.call("PUT", f"/subscriptions/{plan_id}", getattr(portal, who))
    assert reply.status == 200, reply.body


# --- listing and subscribing -------------------------------------------------------------------------------


def test_subscribing_lists_the_plan_with_its_limits_and_apis(portal: SelfService, plans: Plans) -> None:
    # Given a developer with no subscriptions
    assert portal.call("GET", "/subscriptions", portal.dev).body == []

    # When they subscribe to Free
    reply = portal.call("PUT", f"/subscriptions/{plans.free}", portal.dev)

    # Then the answer and their list show Free, its throttle and quota, and the API it opens
    assert reply.status == 200
    assert reply.body["replaced"] == []
    listed = portal.call("GET", "/subscriptions", portal.dev)
    assert listed.status == 200
    assert listed.body == [
        {
            "id": plans.free,
            "name": "Free",
            "description": "The Free tier",
            "throttle": {"burstLimit": 10, "rateLimit": 5.0},
            "quota": FREE_QUOTA,
            "apis": [{"id": SAMPLE_API, "title": "Sample API", "apiId": "abcde12345", "stage": "prod"}],
            "marketplace": False,
        }
    ]
    assert reply.body["subscription"] == listed.body[0]
    assert portal.plans_of(portal.key_of(portal.dev)) == ["Free"]


def test_subscribing_twice_changes_nothing(portal: SelfService, plans: Plans) -> None:
    # Given a developer subscribed to Free
    _subscribe(portal, plans.free)

    # When they subscribe to it again
    reply = portal.call("PUT", f"/subscriptions/{plans.free}", portal.dev)

    # Then it succeeds and they are in Free once
    assert reply.status == 200
    assert reply.body["replaced"] == []
    assert portal.plans_of(portal.key_of(portal.dev)) == ["Free"]


def test_switching_tier_leaves_the_old_plan_for_the_new(portal: SelfService, plans: Plans) -> None:
    # Given a developer on Free, and API Gateway's rule of one plan per stage for a key
    _subscribe(portal, plans.free)

    # When they subscribe to Pro, which serves the same stage
    reply = portal.call("PUT", f"/subscriptions/{plans.pro}", portal.dev)

    # Then they are on Pro alone, and the answer says Free was replaced
    assert reply.status == 200, reply.body
    assert reply.body["replaced"] == [plans.free]
    assert reply.body["subscription"]["name"] == "Pro"
    assert portal.plans_of(portal.key_of(portal.dev)) == ["Pro"]


def test_plans_of_other_apis_are_kept_when_switching_tier(portal: SelfService, plans: Plans) -> None:
    # Given a developer on Free and on Partner (another API)
    _subscribe(portal, plans.free)
    _subscribe(portal, plans.partner)

    # When they switch the sample API to Pro
    reply = portal.call("PUT", f"/subscriptions/{plans.pro}", portal.dev)

    # Then only Free was replaced
    assert reply.body["replaced"] == [plans.free]
    assert portal.plans_of(portal.key_of(portal.dev)) == ["Partner", "Pro"]


def test_a_failed_switch_keeps_the_old_tier(portal: SelfService, plans: Plans, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a developer on Free, and API Gateway failing to add keys to a plan once
    _subscribe(portal, plans.free)
    fail_call(monkeypatch, "CreateUsagePlanKey", on_calls=[1])

    # When they switch to Pro
    reply = portal.call("PUT", f"/subscriptions/{plans.pro}", portal.dev)

    # Then the switch fails, saying so, and they are back on Free
    assert reply.status == 503
    assert "You are still subscribed to Free; try again" in reply.body["message"]
    assert portal.plans_of(portal.key_of(portal.dev)) == ["Free"]


def test_fails_when_the_switch_and_the_restore_both_fail(
    portal: SelfService, plans: Plans, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a developer on Free, and API Gateway refusing to add keys twice: to Pro, then back to Free
    _subscribe(portal, plans.free)
    fail_call(monkeypatch, "CreateUsagePlanKey", on_calls=[1, 2])

    # When they switch to Pro
    reply = portal.call("PUT", f"/subscriptions/{plans.pro}", portal.dev)

    # Then the message does not pretend: it says to subscribe to Free again
    assert reply.status == 503
    assert "could not put you back in Free: subscribe to Free again" in reply.body["message"]
    assert portal.plans_of(portal.key_of(portal.dev)) == []


def test_fails_when_the_old_tier_cannot_be_left(
    portal: SelfService, plans: Plans, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a developer on Free, and API Gateway failing to remove keys from plans
    _subscribe(portal, plans.free)
    fail_call(monkeypatch, "DeleteUsagePlanKey", on_calls=[1])

    # When they switch to Pro
    reply = portal.call("PUT", f"/subscriptions/{plans.pro}", portal.dev)

    # Then nothing changed, and the message says so
    assert reply.status == 503
    assert "You are still subscribed to Free" in reply.body["message"]
    assert portal.plans_of(portal.key_of(portal.dev)) == ["Free"]


def test_fails_when_api_gateway_reports_a_conflicting_plan(
    portal: SelfService, plans: Plans, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given API Gateway refusing the key because another request put it in a plan of the same stage
    fail_call(monkeypatch, "CreateUsagePlanKey", code="ConflictException")

    # When the developer subscribes to Free
    reply = portal.call("PUT", f"/subscriptions/{plans.free}", portal.dev)

    # Then they are told to reload and try again
    assert reply.status == 409
    assert "already in another plan for the same API. Nothing changed; reload" in reply.body["message"]


@pytest.mark.parametrize("which", ["hidden", "missing"])
def test_fails_when_the_plan_is_not_in_the_catalog(portal: SelfService, plans: Plans, which: str) -> None:
    # Given a plan of an API the catalog does not show, or no plan at all
    plan_id = plans.hidden if which == "hidden" else "nosuch1"

    # When the developer subscribes to it
    reply = portal.call("PUT", f"/subscriptions/{plan_id}", portal.dev)

    # Then it is refused and their key is in no plan
    assert reply.status == 404
    assert f"The catalog offers no usage plan {plan_id}: pick one" in reply.body["message"]
    assert portal.plans_of(portal.key_of(portal.dev)) == []


def test_fails_when_the_plan_was_deleted_after_the_catalog_was_published(portal: SelfService, plans: Plans) -> None:
    # Given the catalog still offers Partner, which API Gateway no longer has
    gateway().delete_usage_plan(usagePlanId=plans.partner)

    # When the developer subscribes to it
    reply = portal.call("PUT", f"/subscriptions/{plans.partner}", portal.dev)

    # Then they are told to reload the API's page
    assert reply.status == 404
    assert "has no usage plan" in reply.body["message"]
    assert "reload the API's page" in reply.body["message"]


def test_fails_when_the_plan_id_is_malformed(portal: SelfService, plans: Plans) -> None:
    reply = portal.call("PUT", "/subscriptions/not-a-plan!", portal.dev)

    assert reply.status == 422
    assert reply.body["message"].startswith("Fix the request: path usage_plan_id")


# --- unsubscribing -----------------------------------------------------------------------------------------


def test_unsubscribing_leaves_the_plan(portal: SelfService, plans: Plans) -> None:
    # Given a developer on Free
    _subscribe(portal, plans.free)

    # When they unsubscribe
    reply = portal.call("DELETE", f"/subscriptions/{plans.free}", portal.dev)

    # Then they are in no plan
    assert reply.status == 204
    assert portal.call("GET", "/subscriptions", portal.dev).body == []
    assert portal.plans_of(portal.key_of(portal.dev)) == []


def test_unsubscribing_works_for_a_plan_the_catalog_no_longer_offers(portal: SelfService, plans: Plans) -> None:
    # Given a developer on Partner, whose API is then hidden from the catalog
    _subscribe(portal, plans.partner)
    portal.publish({SAMPLE_API: "Sample API"}, [plans.free, plans.pro])

    # When they list and unsubscribe
    listed = portal.call("GET", "/subscriptions", portal.dev).body
    reply = portal.call("DELETE", f"/subscriptions/{plans.partner}", portal.dev)

    # Then the plan was listed without the hidden API, and they left it
    assert [(item["name"], item["apis"]) for item in listed] == [("Partner", [])]
    assert reply.status == 204
    assert portal.plans_of(portal.key_of(portal.dev)) == []


def test_fails_when_unsubscribing_from_a_plan_one_is_not_in(portal: SelfService, plans: Plans) -> None:
    reply = portal.call("DELETE", f"/subscriptions/{plans.free}", portal.dev)

    assert reply.status == 404
    assert reply.body["message"] == f"You are not subscribed to usage plan {plans.free}: reload your subscriptions."


# --- usage --------------------------------------------------------------------------------------------------


def test_usage_fills_every_day_and_reports_the_remaining_quota(
    portal: SelfService, plans: Plans, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a developer on Free, and API Gateway's usage for the first two of four days (Stubber: moto has
    # no GetUsage), asked for the developer's own key only
    _subscribe(portal, plans.free)
    key_id = portal.key_of(portal.dev)
    stubber = stub_get_usage(monkeypatch)
    stubber.add_response(
        "get_usage",
        {
            "usagePlanId": plans.free,
            "startDate": "2026-03-01",
            "endDate": "2026-03-04",
            "items": {key_id: [[3, 997], [7, 990]]},
        },
        {
            "usagePlanId": plans.free,
            "keyId": key_id,
            "startDate": "2026-03-01",
            "endDate": "2026-03-04",
            "limit": 1000,
        },
    )

    # When they ask for those four days
    reply = portal.call(
        "GET",
        f"/subscriptions/{plans.free}/usage",
        portal.dev,
        query={"start": "2026-03-01", "end": "2026-03-04"},
    )

    # Then every day is there, the missing ones with no requests and the quota left as it was
    assert reply.status == 200, reply.body
    stubber.assert_no_pending_responses()
    assert reply.body["days"] == [
        {"date": "2026-03-01", "used": 3, "remaining": 997},
        {"date": "2026-03-02", "used": 7, "remaining": 990},
        {"date": "2026-03-03", "used": 0, "remaining": 990},
        {"date": "2026-03-04", "used": 0, "remaining": 990},
    ]
    assert (reply.body["used"], reply.body["remaining"]) == (10, 990)
    assert reply.body["quota"] == FREE_QUOTA


def test_usage_of_a_key_without_requests_is_all_zeros_and_resets_with_the_period(
    portal: SelfService, plans: Plans, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a key that made no requests: GetUsage leaves it out of its items
    _subscribe(portal, plans.free)
    stubber = stub_get_usage(monkeypatch)
    stubber.add_response(
        "get_usage",
        {"usagePlanId": plans.free, "startDate": "2026-02-27", "endDate": "2026-03-02", "items": {}},
    )

    # When the developer asks for days across the start of a month (Free's quota period)
    reply = portal.call(
        "GET",
        f"/subscriptions/{plans.free}/usage",
        portal.dev,
        query={"start": "2026-02-27", "end": "2026-03-02"},
    )

    # Then each day has no requests and the whole quota left
    assert reply.status == 200
    assert [(day["date"], day["used"], day["remaining"]) for day in reply.body["days"]] == [
        ("2026-02-27", 0, 1000),
        ("2026-02-28", 0, 1000),
        ("2026-03-01", 0, 1000),
        ("2026-03-02", 0, 1000),
    ]


def test_usage_defaults_to_the_current_quota_period(
    portal: SelfService, plans: Plans, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given today is 14 March and the developer is on Free (a monthly quota)
    from portal_common import clock

    monkeypatch.setattr(clock, "today", lambda: date(2026, 3, 14))
    _subscribe(portal, plans.free)
    key_id = portal.key_of(portal.dev)
    stubber = stub_get_usage(monkeypatch)
    stubber.add_response(
        "get_usage",
        {"usagePlanId": plans.free, "startDate": "2026-03-01", "endDate": "2026-03-14", "items": {}},
        {
            "usagePlanId": plans.free,
            "keyId": key_id,
            "startDate": "2026-03-01",
            "endDate": "2026-03-14",
            "limit": 1000,
        },
    )

    # When they ask for usage without dates
    reply = portal.call("GET", f"/subscriptions/{plans.free}/usage", portal.dev)

    # Then it covers 1 to 14 March
    assert reply.status == 200
    assert (reply.body["start"], reply.body["end"], len(reply.body["days"])) == (
        "2026-03-01",
        "2026-03-14",
        14,
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"start": "2026-3-1", "end": "2026-03-04"},
            "start must be a date written YYYY-MM-DD, such as 2026-01-31",
        ),
        ({"start": "2026-03-01", "end": "2026-02-30"}, "end must be a date written YYYY-MM-DD"),
        (
            {"start": "2026-03-05", "end": "2026-03-04"},
            "start (2026-03-05) is after end (2026-03-04): swap them.",
        ),
        ({"start": "2026-01-01", "end": "2026-06-30"}, "is 181 days; ask for at most 90 days at a time."),
        ({"start": "2026-03-01"}, "Give both start and end (YYYY-MM-DD), or neither"),
    ],
)
def test_fails_when_the_usage_dates_are_wrong(
    portal: SelfService, plans: Plans, monkeypatch: pytest.MonkeyPatch, query: dict[str, str], message: str
) -> None:
    # Given a developer on Free, and GetUsage stubbed with no answer queued: it must not be called
    _subscribe(portal, plans.free)
    stubber = stub_get_usage(monkeypatch)

    # When they ask for usage with these dates
    reply = portal.call("GET", f"/subscriptions/{plans.free}/usage", portal.dev, query=query)

    # Then the dates are refused, saying what to fix
    assert reply.status == 400
    assert message in reply.body["message"]
    stubber.assert_no_pending_responses()


def test_fails_when_asking_usage_of_a_plan_one_is_not_in(
    portal: SelfService, plans: Plans, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given GetUsage stubbed with nothing queued, so any call to it fails the test
    stub_get_usage(monkeypatch)

    # When a developer on no plan asks for Free's usage
    reply = portal.call("GET", f"/subscriptions/{plans.free}/usage", portal.dev)

    # Then they are told they are not subscribed
    assert reply.status == 404
    assert reply.body["message"].startswith(f"You are not subscribed to usage plan {plans.free}")


@pytest.mark.parametrize(
    ("day", "quota", "start"),
    [
        (date(2026, 3, 14), {"limit": 1, "offset": 0, "period": "DAY"}, date(2026, 3, 14)),
        # 14 March 2026 is a Saturday; offset 0 starts weeks on Sunday, 1 on Monday
        (date(2026, 3, 14), {"limit": 1, "offset": 0, "period": "WEEK"}, date(2026, 3, 8)),
        (date(2026, 3, 14), {"limit": 1, "offset": 1, "period": "WEEK"}, date(2026, 3, 9)),
        (date(2026, 3, 15), {"limit": 1, "offset": 0, "period": "WEEK"}, date(2026, 3, 15)),
        (date(2026, 3, 14), {"limit": 1, "offset": 0, "period": "MONTH"}, date(2026, 3, 1)),
        (date(2026, 3, 14), {"limit": 1, "offset": 19, "period": "MONTH"}, date(2026, 2, 20)),
        (date(2026, 1, 5), {"limit": 1, "offset": 9, "period": "MONTH"}, date(2025, 12, 10)),
        (date(2026, 3, 14), None, date(2026, 2, 13)),
    ],
)
def test_quota_periods_start_where_api_gateway_starts_them(day: date, quota: dict | None, start: date) -> None:
    from portal_common.catalog import Quota
    from portal_common.subscriptions import period_start

    assert period_start(day, None if quota is None else Quota.model_validate(quota)) == start


# --- who may touch what ------------------------------------------------------------------------------------


def test_a_user_never_sees_or_changes_another_users_subscriptions(
    portal: SelfService, plans: Plans, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given dev on Free, and GetUsage stubbed with nothing queued
    _subscribe(portal, plans.free)
    stub_get_usage(monkeypatch)
    other = portal.other

    # When another user lists, reads usage of and unsubscribes from Free, naming dev where they can
    listed = portal.call("GET", "/subscriptions", other, query={"userId": portal.dev.user_id})
    usage = portal.call("GET", f"/subscriptions/{plans.free}/usage", other)
    left = portal.call("DELETE", f"/subscriptions/{plans.free}", other, body={"userId": portal.dev.user_id})

    # Then they see only their own (none), and dev is still on Free
    assert listed.status == 200
    assert listed.body == []
    assert usage.status == 404
    assert left.status == 404
    assert portal.plans_of(portal.key_of(portal.dev)) == ["Free"]
    assert portal.key_of(other) != portal.key_of(portal.dev)


def test_fails_when_the_account_is_not_approved(portal: SelfService, plans: Plans) -> None:
    # Given an account waiting for approval (its token predates the request)
    waiting = portal.add("waiting@example.com", status="pending_request")

    # When it subscribes
    reply = portal.call("PUT", f"/subscriptions/{plans.free}", waiting)

    # Then it is refused and given no key
    assert reply.status == 403
    assert reply.body["message"] == (
        "Your account is pending_request, so it has no API key or subscriptions: "
        "wait for an administrator to approve it."
    )
    assert "apiKeyId" not in portal.record(waiting)


def test_fails_when_nobody_is_signed_in(portal: SelfService, plans: Plans) -> None:
    reply = portal.call("GET", "/subscriptions")

    assert reply.status == 401
    assert reply.body["message"] == "Sign in to do this."


# --- the cost of a request ---------------------------------------------------------------------------------


@pytest.mark.parametrize("account_plans", [5, 200])
def test_listing_subscriptions_costs_the_same_calls_with_5_or_200_usage_plans(
    portal: SelfService, monkeypatch: pytest.MonkeyPatch, account_plans: int
) -> None:
    # Given an account with this many usage plans, two of which the developer's key is in
    plan_ids = [portal.plan(f"Plan {index}", [f"api{index:07d}_prod"]) for index in range(account_plans)]
    portal.publish({f"api{index:07d}_prod": f"API {index}" for index in range(3)}, plan_ids[:3])
    _subscribe(portal, plan_ids[0])
    _subscribe(portal, plan_ids[1])

    # When the developer lists their subscriptions
    calls = count_calls(monkeypatch)
    reply = portal.call("GET", "/subscriptions", portal.dev)

    # Then three calls answer it, whatever the number of plans: the account, the key's plans, the catalog
    assert [item["name"] for item in reply.body] == ["Plan 0", "Plan 1"]
    assert calls == {"dynamodb:GetItem": 1, "apigateway:GetUsagePlans": 1, "s3:GetObject": 1}


# --- plans sold on AWS Marketplace -------------------------------------------------------------------------

MARKETPLACE_REFUSAL = (
    "The usage plan Gold is bought on AWS Marketplace, so the portal cannot {doing} it: "
    "subscribe to it or cancel it on AWS Marketplace, from the product's page."
)


def _gold(portal: SelfService, plans: Plans, *, product_code: str | None = "prod-gold-123") -> str:
    """A Gold tier of the sample API, sold on AWS Marketplace under `product_code` (None: no code on it)."""
    gold = portal.plan("Gold", [SAMPLE_API])
    if product_code is not None:
        gateway().update_usage_plan(
            usagePlanId=gold, patchOperations=[{"op": "replace", "path": "/productCode", "value": product_code}]
        )
    portal.publish({SAMPLE_API: "Sample API", PARTNER_API: "Partner API"}, [plans.free, plans.pro, plans.partner, gold])
    return gold


def _buy(portal: SelfService, plan_id: str) -> str:
    """What the marketplace listener does for a buyer: the developer's key, put in the plan directly."""
    from portal_common import keys

    key_id = keys.ensure_key(portal.dev.user_id, portal.dev.email, True)
    gateway().create_usage_plan_key(usagePlanId=plan_id, keyId=key_id, keyType="API_KEY")
    return key_id


def test_fails_when_the_plan_is_sold_on_aws_marketplace(portal: SelfService, plans: Plans) -> None:
    # Given a Gold tier with an AWS Marketplace product code, offered by the catalog
    gold = _gold(portal, plans)

    # When a developer subscribes to it in the portal
    reply = portal.call("PUT", f"/subscriptions/{gold}", portal.dev)

    # Then they are sent to AWS Marketplace, and their key is in no plan
    assert reply.status == 409
    assert reply.body["message"] == MARKETPLACE_REFUSAL.format(doing="subscribe you to")
    assert portal.plans_of(portal.key_of(portal.dev)) == []


def test_fails_when_the_operator_mapped_the_plan_to_a_marketplace_product(portal: SelfService, plans: Plans) -> None:
    # Given a Gold tier without a product code, which the operator mapped to a product
    gold = _gold(portal, plans, product_code=None)
    portal.configure(MARKETPLACE_PRODUCT_CODES=f"prod-gold-123={gold}")

    # When a developer subscribes to it in the portal
    reply = portal.call("PUT", f"/subscriptions/{gold}", portal.dev)

    # Then it is refused as a plan bought on AWS Marketplace
    assert reply.status == 409
    assert reply.body["message"] == MARKETPLACE_REFUSAL.format(doing="subscribe you to")


def test_fails_when_switching_away_from_a_plan_bought_on_aws_marketplace(portal: SelfService, plans: Plans) -> None:
    # Given a developer who bought Gold on AWS Marketplace
    gold = _gold(portal, plans)
    key_id = _buy(portal, gold)

    # When they switch to Free (the same API) or unsubscribe from Gold in the portal
    switched = portal.call("PUT", f"/subscriptions/{plans.free}", portal.dev)
    left = portal.call("DELETE", f"/subscriptions/{gold}", portal.dev)

    # Then both are refused, and they keep Gold, which their list marks as bought on AWS Marketplace
    assert switched.status == left.status == 409
    assert switched.body["message"] == MARKETPLACE_REFUSAL.format(doing="switch you to Free from")
    assert left.body["message"] == MARKETPLACE_REFUSAL.format(doing="unsubscribe you from")
    assert portal.plans_of(key_id) == ["Gold"]
    listed = portal.call("GET", "/subscriptions", portal.dev).body
    assert [(item["name"], item["marketplace"]) for item in listed] == [("Gold", True)]


def test_a_marketplace_plan_leaves_the_other_apis_to_self_service(portal: SelfService, plans: Plans) -> None:
    # Given a developer who bought Gold (the sample API) on AWS Marketplace
    gold = _gold(portal, plans)
    key_id = _buy(portal, gold)

    # When they subscribe to Partner, another API's plan
    reply = portal.call("PUT", f"/subscriptions/{plans.partner}", portal.dev)

    # Then they hold both
    assert (reply.status, reply.body["replaced"]) == (200, [])
    assert portal.plans_of(key_id) == ["Gold", "Partner"]
