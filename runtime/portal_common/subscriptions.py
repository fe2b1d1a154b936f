"""Usage-plan subscriptions of a user's API key: list, subscribe (switching tier), unsubscribe, daily usage.

A subscription is the key's membership of a usage plan; API Gateway holds it, the portal keeps no copy.
Every question is asked about the user's own key, so the calls per request do not grow with the number of
usage plans in the account: ``GetUsagePlans(keyId=...)`` answers which plans the key is in.

API Gateway refuses a key in two plans that share a stage. Subscribing to a plan that shares a stage with
one the key is in (another tier of the same API) therefore removes the key from the old plan first, then
adds it to the new one, and puts it back in the old plan if adding fails.

Plans sold through AWS Marketplace (a ``productCode``, or mapped in ``MARKETPLACE_PRODUCT_CODES``) are
bought and cancelled on AWS Marketplace only: self-service neither joins them nor leaves them, and the
marketplace listener alone moves keys in and out of them.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from portal_common import clock
from portal_common.aws import AWS_FAILURES, client, error_code, is_not_found
from portal_common.catalog import Catalog, PlanTier, Quota, UsagePlan, plan_stage_ids, split_stage_id
from portal_common.errors import BadRequest, Conflict, NotFound, Unavailable
from portal_common.settings import settings

logger = Logger(child=True)

MAX_USAGE_DAYS = 90
"""The longest range one usage request may cover, in days, both ends included."""
_DAY_FORMAT_HELP = "a date written YYYY-MM-DD, such as 2026-01-31"


class SubscribedApi(BaseModel):
    id: str
    """The catalog id, ``{apiId}_{stage}``."""
    title: str
    apiId: str
    stage: str


class Subscription(PlanTier):
    """A usage plan the user's key is in, with its limits and the published APIs it opens."""

    apis: list[SubscribedApi] = Field(default_factory=list)
    marketplace: bool = False
    """Whether the plan is sold through AWS Marketplace, where the user cancels it (not in the portal)."""


class SubscriptionChange(BaseModel):
    subscription: Subscription
    replaced: list[str] = Field(default_factory=list)
    """Ids of the plans the key left because they share a stage with the new one (its other tiers)."""


class DailyUsage(BaseModel):
    date: str
    used: int
    remaining: int | None = None
    """Requests left in the quota period at the end of the day; None when the plan has no quota."""


class Usage(BaseModel):
    usagePlanId: str
    start: str
    end: str
    quota: Quota | None = None
    used: int
    """Requests made over the whole range."""
    remaining: int | None = None
    """Requests left in the quota period of the range's last day; None when the plan has no quota."""
    days: list[DailyUsage]


@dataclass(frozen=True)
class Plan:
    """A usage plan as API Gateway describes it."""

    tier: PlanTier
    stages: frozenset[str]
    """``{apiId}_{stage}`` of every stage the plan includes, published or not."""
    product_code: str = ""
    """The AWS Marketplace product the plan sells, if any."""

    @classmethod
    def from_gateway(cls, plan: dict[str, Any]) -> Plan:
        return cls(
            tier=PlanTier.from_gateway(plan),
            stages=frozenset(plan_stage_ids(plan)),
            product_code=str(plan.get("productCode") or ""),
        )

    @property
    def id(self) -> str:
        return self.tier.id

    @property
    def name(self) -> str:
        return self.tier.name

    @property
    def quota(self) -> Quota | None:
        return self.tier.quota

    @property
    def sold_on_marketplace(self) -> bool:
        return settings().sold_on_marketplace(self.id, self.product_code)


def require_self_service(plan: Plan, *, doing: str) -> None:
    """Refuse to `doing` (subscribe to, switch away from, unsubscribe from) a plan sold on AWS Marketplace."""
    if plan.sold_on_marketplace:
        raise Conflict(
            f"The usage plan {plan.name} is bought on AWS Marketplace, so the portal cannot {doing} it: "
            "subscribe to it or cancel it on AWS Marketplace, from the product's page."
        )


# --- the published catalog ---------------------------------------------------------------------------------


def published_plan(catalog: Catalog, plan_id: str) -> UsagePlan | None:
    """The plan, if the catalog offers it: it includes at least one published stage."""
    return next((plan for plan in catalog.usagePlans if plan.id == plan_id and plan.apis), None)


def subscription_view(plan: Plan, catalog: Catalog) -> Subscription:
    """The plan with the published APIs it opens; stages the catalog does not show stay unnamed."""
    titles = {entry.id: entry.title for entry in catalog.apis}
    apis = []
    for stage_id in sorted(plan.stages):
        parts = split_stage_id(stage_id)
        if stage_id in titles and parts is not None:
            apis.append(SubscribedApi(id=stage_id, title=titles[stage_id], apiId=parts[0], stage=parts[1]))
    apis.sort(key=lambda api: (api.title.lower(), api.id))
    return Subscription(**plan.tier.model_dump(), apis=apis, marketplace=plan.sold_on_marketplace)


# --- API Gateway -------------------------------------------------------------------------------------------


def _gateway() -> Any:
    return client("apigateway")


def plans_of_key(key_id: str) -> list[Plan]:
    """The usage plans this key is in, by name: one paginated call, whatever the number of plans."""
    plans: list[Plan] = []
    for page in _gateway().get_paginator("get_usage_plans").paginate(keyId=key_id):
        plans.extend(Plan.from_gateway(plan) for plan in page.get("items", []))
    return sorted(plans, key=lambda plan: (plan.name.lower(), plan.id))


def get_plan(plan_id: str) -> Plan:
    try:
        return Plan.from_gateway(_gateway().get_usage_plan(usagePlanId=plan_id))
    except ClientError as error:
        if is_not_found(error):
            raise NotFound(
                f"API Gateway has no usage plan {plan_id} any more: reload the API's page to see its plans."
            ) from None
        raise


def subscribed_plan(key_id: str, plan_id: str) -> Plan:
    """The plan, which the key must be in; NotFound otherwise."""
    for plan in plans_of_key(key_id):
        if plan.id == plan_id:
            return plan
    raise NotFound(f"You are not subscribed to usage plan {plan_id}: reload your subscriptions.")


def _add(plan_id: str, key_id: str) -> None:
    _gateway().create_usage_plan_key(usagePlanId=plan_id, keyId=key_id, keyType="API_KEY")


def _remove(plan_id: str, key_id: str) -> None:
    _gateway().delete_usage_plan_key(usagePlanId=plan_id, keyId=key_id)


def _names(plans: list[Plan]) -> str:
    return ", ".join(plan.name for plan in plans)


def subscribe(key_id: str, target: Plan, *, for_marketplace: bool = False) -> list[Plan]:
    """Put the key in `target`, taking it out of the plans that share a stage with it; return those.

    Never leaves the key in neither: when adding it to `target` fails, it goes back into every plan it
    left, and the error says where the user stands. Self-service (not `for_marketplace`) may neither join
    a plan sold on AWS Marketplace nor leave one for another tier.
    """
    if not for_marketplace:
        require_self_service(target, doing="subscribe you to")
    current = plans_of_key(key_id)
    if any(plan.id == target.id for plan in current):
        return []
    sharing = [plan for plan in current if plan.stages & target.stages]
    if not for_marketplace:
        for plan in sharing:
            require_self_service(plan, doing=f"switch you to {target.name} from")
    removed: list[Plan] = []
    try:
        for plan in sharing:
            _remove(plan.id, key_id)
            removed.append(plan)
        _add(target.id, key_id)
    except AWS_FAILURES as error:
        lost = _restore(key_id, removed)
        logger.exception("Could not subscribe a key", extra={"usagePlanId": target.id, "lost": len(lost)})
        if lost:
            raise Unavailable(
                f"Switching to {target.name} failed, and the portal could not put you back in "
                f"{_names(lost)}: subscribe to {_names(lost)} again, or to {target.name} in a minute."
            ) from None
        still = f"You are still subscribed to {_names(sharing)}" if sharing else "Nothing changed"
        if error_code(error) == "ConflictException":
            raise Conflict(
                f"API Gateway refused to add your key to {target.name}: it is already in another plan for "
                f"the same API. {still}; reload your subscriptions and try again."
            ) from None
        if is_not_found(error):
            raise NotFound(
                f"API Gateway has no usage plan {target.id} any more. {still}; reload the API's page."
            ) from None
        raise Unavailable(
            f"The portal could not subscribe you to {target.name} ({error_code(error)}). {still}; try again."
        ) from None
    return removed


def _restore(key_id: str, removed: list[Plan]) -> list[Plan]:
    """Put the key back in `removed`; return the plans it could not go back into."""
    lost = []
    for plan in removed:
        try:
            _add(plan.id, key_id)
        except AWS_FAILURES:
            logger.exception("Could not restore a subscription", extra={"usagePlanId": plan.id})
            lost.append(plan)
    return lost


def unsubscribe(key_id: str, plan_id: str) -> Plan:
    """Take the key out of a plan it is in; a plan sold on AWS Marketplace is cancelled there instead."""
    plan = subscribed_plan(key_id, plan_id)
    require_self_service(plan, doing="unsubscribe you from")
    try:
        _remove(plan.id, key_id)
    except ClientError as error:
        if not is_not_found(error):
            raise
    return plan


# --- usage -------------------------------------------------------------------------------------------------


def parse_day(name: str, value: str) -> date:
    shown = value if len(value) <= 40 else value[:40] + "..."
    if len(value) != 10:
        raise BadRequest(f"{name} must be {_DAY_FORMAT_HELP}; got {shown!r}.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name} must be {_DAY_FORMAT_HELP}; got {shown!r}.") from None


def usage_range(start: str | None, end: str | None, quota: Quota | None) -> tuple[date, date]:
    """The days to report: `start` to `end`, or by default the current quota period up to today."""
    if start is None and end is None:
        last = clock.today()
        return period_start(last, quota), last
    if start is None or end is None:
        raise BadRequest("Give both start and end (YYYY-MM-DD), or neither for the current quota period.")
    first, last = parse_day("start", start), parse_day("end", end)
    if first > last:
        raise BadRequest(f"start ({first}) is after end ({last}): swap them.")
    days = (last - first).days + 1
    if days > MAX_USAGE_DAYS:
        raise BadRequest(f"{first} to {last} is {days} days; ask for at most {MAX_USAGE_DAYS} days at a time.")
    return first, last


def period_start(day: date, quota: Quota | None) -> date:
    """The first day of the quota period `day` is in; the last 30 days when the plan has no quota.

    API Gateway counts a ``WEEK`` from the weekday `offset` names (0 = Sunday) and a ``MONTH`` from the day
    `offset` days after the first.
    """
    if quota is None:
        return day - timedelta(days=29)
    period = quota.period.upper()
    if period == "DAY":
        return day
    if period == "WEEK":
        days_since_sunday = (day.weekday() + 1) % 7
        return day - timedelta(days=(days_since_sunday - quota.offset) % 7)
    start = _month_start(day.year, day.month, quota.offset)
    if start > day:
        year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
        start = _month_start(year, month, quota.offset)
    return start


def _month_start(year: int, month: int, offset: int) -> date:
    return date(year, month, min(1 + offset, calendar.monthrange(year, month)[1]))


def _days(first: date, last: date) -> Iterator[date]:
    for index in range((last - first).days + 1):
        yield first + timedelta(days=index)


def usage(key_id: str, plan: Plan, first: date, last: date) -> Usage:
    """The key's requests in `plan` on every day from `first` to `last`, days without data filled in."""
    logs = _usage_logs(key_id, plan.id, first, last)
    days: list[DailyUsage] = []
    period: date | None = None
    remaining: int | None = None
    for index, day in enumerate(_days(first, last)):
        day_period = period_start(day, plan.quota)
        if day_period != period:
            period = day_period
            remaining = plan.quota.limit if plan.quota else None
        entry = logs[index] if index < len(logs) else None
        if isinstance(entry, list | tuple) and len(entry) == 2:
            used = int(entry[0])
            remaining = int(entry[1]) if plan.quota else None
        else:
            used = 0
        days.append(DailyUsage(date=day.isoformat(), used=used, remaining=remaining))
    return Usage(
        usagePlanId=plan.id,
        start=first.isoformat(),
        end=last.isoformat(),
        quota=plan.quota,
        used=sum(day.used for day in days),
        remaining=days[-1].remaining if days else None,
        days=days,
    )


def _usage_logs(key_id: str, plan_id: str, first: date, last: date) -> list[Any]:
    """The daily ``[used, remaining]`` pairs GetUsage returns for this key, in order from `first`."""
    arguments: dict[str, Any] = {
        "usagePlanId": plan_id,
        "keyId": key_id,
        "startDate": first.isoformat(),
        "endDate": last.isoformat(),
        "limit": 1000,
    }
    logs: list[Any] = []
    while True:
        try:
            response = _gateway().get_usage(**arguments)
        except ClientError as error:
            if error_code(error) == "BadRequestException":
                raise BadRequest(f"API Gateway has no usage for {first} to {last}: pick more recent days.") from None
            raise
        # Asked about one key, GetUsage answers under that key's id, or without it when it made no requests.
        logs.extend((response.get("items") or {}).get(key_id) or [])
        if not response.get("position"):
            return logs
        arguments["position"] = response["position"]
