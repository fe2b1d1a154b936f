"""AWS Marketplace SaaS sign-up: the buyer's redirect from AWS Marketplace, and linking their subscription.

1. AWS Marketplace posts the buyer's browser to ``POST /marketplace-confirm/{usagePlanId}`` (public) with a
   form field ``x-amzn-marketplace-token``; it answers with a redirect to the portal's page
   ``/marketplace/{usagePlanId}``, the token in the URL's fragment (which browsers never send to a server,
   so it stays out of access logs).
2. Signed in, the page calls ``PUT /marketplace-subscriptions/{usagePlanId}`` with ``{"token": ...}``, which
   links the subscription to the caller and their API key.
3. ``GET /marketplace-subscriptions`` shows the caller's subscriptions: ``pending`` until AWS Marketplace
   confirms, then ``active``.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel, Field

from backend.identity import registered
from portal_common import marketplace
from portal_common.errors import BadRequest, Unavailable
from portal_common.settings import settings

router = APIGatewayRouter()

TOKEN_FIELD = "x-amzn-marketplace-token"
UsagePlanId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9]+$")]
# Registration tokens are opaque and a few hundred characters long; this bounds what is passed on.
MAX_TOKEN_LENGTH = 4096


class LinkRequest(BaseModel):
    token: str = Field(min_length=1, max_length=MAX_TOKEN_LENGTH, pattern=r"^\S+$")


class Subscription(BaseModel):
    """A marketplace subscription as its buyer sees it."""

    productCode: str
    usagePlanId: str
    status: marketplace.Status
    """``pending`` until AWS Marketplace confirms; ``active`` while the key may call the plan's APIs."""
    keyInPlan: bool
    linkedAt: str | None = None
    statusAt: str | None = None


class Subscriptions(BaseModel):
    subscriptions: list[Subscription]


def _view(item: dict[str, Any]) -> Subscription:
    return Subscription(
        productCode=item["productCode"],
        usagePlanId=item.get("usagePlanId", ""),
        status=marketplace.status_of(item),
        keyInPlan=bool(item.get("keyInPlan")),
        linkedAt=item.get("linkedAt"),
        statusAt=item.get("statusAt"),
    )


@router.post("/marketplace-confirm/<usage_plan_id>")
def confirm(usage_plan_id: UsagePlanId) -> Response[None]:
    event = router.current_event
    fields = parse_qs(event.decoded_body or "", keep_blank_values=True)
    tokens = [token.strip() for token in fields.get(TOKEN_FIELD, []) if token.strip()]
    if not tokens:
        raise BadRequest(
            f"The form has no {TOKEN_FIELD}. Open the product in AWS Marketplace and choose to set up your "
            "account; AWS Marketplace sends the token here."
        )
    token = tokens[0]
    if len(token) > MAX_TOKEN_LENGTH or any(character.isspace() for character in token):
        raise BadRequest(f"The {TOKEN_FIELD} is not one AWS Marketplace issues. Start again from AWS Marketplace.")
    website = settings().website_url
    if not website:
        raise Unavailable("The portal does not know its own address (WEBSITE_URL): tell the portal's operator.")
    location = f"{website}/marketplace/{usage_plan_id}#token={quote(token, safe='')}"
    return Response(status_code=303, headers={"Location": location, "Cache-Control": "no-store"})


@router.put("/marketplace-subscriptions/<usage_plan_id>")
def link(usage_plan_id: UsagePlanId, request: LinkRequest) -> Subscription:
    _, record = registered(router)
    item = marketplace.link(
        record=record,
        usage_plan_id=usage_plan_id,
        token=request.token,
        request_id=router.current_event.request_context.request_id,
    )
    return _view(item)


@router.get("/marketplace-subscriptions")
def list_subscriptions() -> Subscriptions:
    who, _ = registered(router)
    return Subscriptions(subscriptions=[_view(item) for item in marketplace.subscriptions_of(who.user_id)])
