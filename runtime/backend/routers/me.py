"""The signed-in user's own account, and the first-sign-in bootstrap that makes sure it is recorded."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel

from backend.identity import Caller, caller
from portal_common import accounts, keys, registration

router = APIGatewayRouter()


class Me(BaseModel):
    userId: str
    email: str
    isAdmin: bool
    groups: list[str]
    status: accounts.AccountStatus | None = None
    """None until the first sign-in has recorded the account."""
    registrationMethod: str | None = None
    dateRegistered: str | None = None


def _me(who: Caller, record: dict[str, Any] | None, groups: list[str]) -> Me:
    record = record or {}
    return Me(
        userId=who.user_id,
        email=record.get("email") or who.email,
        isAdmin=who.is_admin,
        groups=groups,
        status=record.get("status"),
        registrationMethod=record.get("registrationMethod"),
        dateRegistered=record.get("dateRegistered"),
    )


@router.get("/me")
def get_me() -> Me:
    who = caller(router)
    return _me(who, accounts.get_account(who.user_id), who.groups)


@router.post("/signin")
def sign_in() -> Me:
    """Idempotent first-sign-in bootstrap: records the account if the Cognito triggers have not, and
    issues its API key once, enabled only while the account is registered (admins count as registered)."""
    who = caller(router)
    record, groups = registration.ensure_account(
        user_id=who.user_id, username=who.username, email=who.email, groups=who.groups
    )
    keys.ensure_key(who.user_id, who.email, accounts.holds_keys(record, is_admin=who.is_admin))
    return _me(who, record, groups)
