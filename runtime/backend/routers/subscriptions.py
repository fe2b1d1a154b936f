"""The signed-in user's usage-plan subscriptions: list, subscribe or switch tier, unsubscribe, daily usage.

Every route works on the caller's own key, found from their account record; no route takes a user or key.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from backend.identity import registered
from portal_common import keys, subscriptions
from portal_common.catalog import load_catalog
from portal_common.errors import NotFound
from portal_common.subscriptions import Subscription, SubscriptionChange, Usage

router = APIGatewayRouter()

UsagePlanId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9]+$")]
Day = Annotated[str | None, Query(max_length=64)]


def _key() -> str:
    who, record = registered(router)
    return keys.own_key(record, who.email)[1]


@router.get("/subscriptions")
def list_subscriptions() -> list[Subscription]:
    key_id = _key()
    catalog = load_catalog()
    return [subscriptions.subscription_view(plan, catalog) for plan in subscriptions.plans_of_key(key_id)]


@router.put("/subscriptions/<usage_plan_id>")
def subscribe(usage_plan_id: UsagePlanId) -> SubscriptionChange:
    """Subscribe to a plan the catalog offers, leaving the caller's other tier of the same API if any.

    Plans sold on AWS Marketplace are refused, as joining one and switching away from one are.
    """
    key_id = _key()
    catalog = load_catalog()
    if subscriptions.published_plan(catalog, usage_plan_id) is None:
        raise NotFound(f"The catalog offers no usage plan {usage_plan_id}: pick one of the plans an API's page lists.")
    target = subscriptions.get_plan(usage_plan_id)
    replaced = subscriptions.subscribe(key_id, target)
    return SubscriptionChange(
        subscription=subscriptions.subscription_view(target, catalog), replaced=[plan.id for plan in replaced]
    )


@router.delete("/subscriptions/<usage_plan_id>")
def unsubscribe(usage_plan_id: UsagePlanId) -> Response[None]:
    """Leave a plan the key is in, whether or not the catalog still offers it."""
    subscriptions.unsubscribe(_key(), usage_plan_id)
    return Response(status_code=204)


@router.get("/subscriptions/<usage_plan_id>/usage")
def get_usage(usage_plan_id: UsagePlanId, start: Day = None, end: Day = None) -> Usage:
    """Requests per day from ``start`` to ``end`` (YYYY-MM-DD), by default over the current quota period."""
    key_id = _key()
    plan = subscriptions.subscribed_plan(key_id, usage_plan_id)
    first, last = subscriptions.usage_range(start, end, plan.quota)
    return subscriptions.usage(key_id, plan, first, last)
