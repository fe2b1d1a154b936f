"""Who is calling: the verified Cognito claims API Gateway's authorizer put on the request."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from portal_common.errors import Forbidden, Unauthorized
from portal_common.settings import settings
from pydantic import BaseModel


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


def registered(router: APIGatewayRouter) -> Caller:
    """The caller, whose registration must be complete: pending and denied accounts hold tokens but not keys.

    Admins count as registered. The account record decides, not the token, so an approval takes effect at
    once and a denial does too.
    """
    from portal_common.accounts import get_account

    who = caller(router)
    if who.is_admin or settings().registered_group in who.groups:
        return who
    account = get_account(who.user_id)
    if account is None or account.get("status") != "registered":
        raise Forbidden("Your registration is not complete yet; this needs an approved account.")
    return who


def admin(router: APIGatewayRouter) -> Caller:
    """The caller, who must be in the admins group; the gateway checked the token, this checks the role."""
    who = caller(router)
    if not who.is_admin:
        raise Forbidden("Only portal administrators may do this.")
    return who
