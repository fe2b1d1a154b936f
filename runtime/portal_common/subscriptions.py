"""Usage-plan subscriptions of a user's API key: list, subscribe (switching tier), unsubscribe, daily usage.

A subscription is the key's membership of a usage plan; API Gateway holds it, the portal keeps no copy.
Every question is asked about the user's own key, so the calls per request do not grow with the number of
usage plans in the account: ``GetUsagePlans(keyId=...)`` answers which plans the key is in.

API Gateway refuses a key in two plans that share a stage. Subscribing to a plan that shares a stage with
one the key is in (another tier of the same API) therefore removes the key from the old plan first, then
adds it to the new one, and puts it back in the old plan if adding fails.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, Field

from portal_common.aws import client
from portal_common.catalog import Catalog, Quota, Throttle, UsagePlan, load_catalog, split_stage_id
from portal_common.errors import BadRequest, Conflict, NotFound, Unavailable

logger = Logger(child=True)

AWS_FAILURES = (ClientError, BotoCoreError)
MAX_USAGE_DAYS = 90
"""The longest range one usage request may cover, in days, both ends included."""
_DAY_FORMAT_HELP = "a date written YYYY-MM-DD, such as 2026-01-31"


class SubscribedApi(BaseModel):
    id: str
    """The catalog id, ``{apiId}_{stage}``."""
    title: str
    apiId: str
    stage: str


class Subscription(BaseModel):
    """A usage plan the user's key is in, with its limits and the published APIs it opens."""

    id: str
    name: str
    description: str = ""
    throttle: Throttle | None = None
    quota: Quota | None = None
    apis: list[SubscribedApi] = Field(default_factory=list)


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

    id: str
    name: str
    description: str
    throttle: Throttle | None
    quota: Quota | None
    stages: frozenset[str]
    """``{apiId}_{stage}`` of every stage the plan includes, published or not."""

    @classmethod
    def from_gateway(cls, plan: dict[str, Any]) -> Plan:
        return cls(
            id=str(plan["id"]),
            name=str(plan.get("name") or plan["id"]),
            description=str(plan.get("description") or ""),
            throttle=Throttle.model_validate(plan["throttle"]) if plan.get("throttle") else None,
            quota=Quota.model_validate(plan["quota"]) if plan.get("quota") else None,
            stages=frozenset(f"{stage['apiId']}_{stage['stage']}" for stage in plan.get("apiStages") or []),
        )


# --- the published catalog ---------------------------------------------------------------------------------


def published_catalog() -> Catalog:
    """The catalog the portal publishes; the only place this module reads it."""
    return load_catalog()


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
    return Subscription(
        id=plan.id,
        name=plan.name,
        description=plan.description,
        throttle=plan.throttle,
        quota=plan.quota,
        apis=apis,
    )


# --- API Gateway -------------------------------------------------------------------------------------------


def _gateway() -> Any:
    return client("apigateway")


def _code(error: BaseException) -> str:
    return str(error.response["Error"]["Code"]) if isinstance(error, ClientError) else type(error).__name__


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
        if _code(error) == "NotFoundException":
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


def subscribe(key_id: str, target: Plan) -> list[Plan]:
    """Put the key in `target`, taking it out of the plans that share a stage with it; return those.

    Never leaves the key in neither: when adding it to `target` fails, it goes back into every plan it
    left, and the error says where the user stands.
    """
    current = plans_of_key(key_id)
    if any(plan.id == target.id for plan in current):
        return []
    sharing = [plan for plan in current if plan.stages & target.stages]
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
        if _code(error) == "ConflictException":
            raise Conflict(
                f"API Gateway refused to add your key to {target.name}: it is already in another plan for "
                f"the same API. {still}; reload your subscriptions and try again."
            ) from None
        if _code(error) == "NotFoundException":
            raise NotFound(
                f"API Gateway has no usage plan {target.id} any more. {still}; reload the API's page."
            ) from None
        raise Unavailable(
            f"The portal could not subscribe you to {target.name} ({_code(error)}). {still}; try again."
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
    plan = subscribed_plan(key_id, plan_id)
    try:
        _remove(plan.id, key_id)
    except ClientError as error:
        if _code(error) != "NotFoundException":
            raise
    return plan


# --- usage -------------------------------------------------------------------------------------------------


def today() -> date:
    return datetime.now(UTC).date()


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
        last = today()
        return period_start(last, quota), last
    if start is None or end is None:
        raise BadRequest("Give both start and end (YYYY-MM-DD), or neither for the current quota period.")
    first, last = parse_day("start", start), parse_day("end", end)
    if first > last:
        raise BadRequest(f"start ({first}) is after end ({last}): swap them.")
    days = (last - first).days + 1
    if days > MAX_USAGE_DAYS:
        raise BadRequest(
            f"{first} to {last} is {days} days; ask for at most {MAX_USAGE_DAYS} days at a time."
        )
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
            if _code(error) == "BadRequestException":
                raise BadRequest(
                    f"API Gateway has no usage for {first} to {last}: pick more recent days."
                ) from None
            raise
        # Asked about one key, GetUsage answers under that key's id, or without it when it made no requests.
        logs.extend((response.get("items") or {}).get(key_id) or [])
        if not response.get("position"):
            return logs
        arguments["position"] = response["position"]
