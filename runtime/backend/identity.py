"""Who is calling: the verified Cognito claims API Gateway's authorizer put on the request."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel

from portal_common import accounts
from portal_common.errors import Forbidden, Unauthorized
from portal_common.settings import settings


class Caller(BaseModel):
    user_id: str
    username: str
    email: str
    groups: list[str]

    @property
    def is_admin(self) -> bool:
        return settings().admins_group in self.groups


def caller(router: APIGatewayRouter) -> Caller:
    """The signed-in caller. Raises Unauthorized when the request carries no verified claims."""
    context = router.current_event.request_context
    claims = (context.authorizer.raw_event or {}).get("claims") if context.authorizer else None
    if not claims or not claims.get("sub"):
        raise Unauthorized("Sign in to do this.")
    raw_groups = claims.get("cognito:groups") or ""
    if isinstance(raw_groups, list):
        groups = [str(group) for group in raw_groups]
    else:
        # API Gateway flattens the list claim to "a,b" (or "[a b]" in some versions).
        groups = [part for part in raw_groups.strip("[]").replace(",", " ").split() if part]
    # ID tokens name the user in cognito:username, access tokens in username.
    username = claims.get("cognito:username") or claims.get("username") or claims["sub"]
    return Caller(user_id=claims["sub"], username=username, email=claims.get("email", ""), groups=groups)


def registered(router: APIGatewayRouter) -> tuple[Caller, dict[str, Any]]:
    """The caller and their account record, which must be registered: pending and denied accounts hold
    tokens but not keys or subscriptions. Admins count as registered.

    The account record decides, not the token's groups, so an approval takes effect at once and a denial
    does too. See ``accounts.require_registered`` for the refusals and their messages.
    """
    who = caller(router)
    return who, accounts.require_registered(who.user_id, is_admin=who.is_admin)


def admin(router: APIGatewayRouter) -> Caller:
    """The caller, who must be in the admins group; the gateway checked the token, this checks the role."""
    who = caller(router)
    if not who.is_admin:
        raise Forbidden("Only portal administrators may do this.")
    return who
