"""Who may register and who may sign in: the rules the Cognito triggers and the backend share.

The site matches the sign-in refusals below, which Cognito shows as
``PreTokenGeneration failed with error <message>.``; change their text only together with the site.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from portal_common import accounts, clock
from portal_common.aws import client
from portal_common.settings import settings

SIGN_IN_PENDING = "Your registration is waiting for an administrator's approval."
SIGN_IN_DENIED = "Your registration was declined. Contact the portal's administrators."
SIGN_UP_INVITE_ONLY = "This portal is invitation only. Ask an administrator to invite you."
SIGN_UP_INVALID_EMAIL = "Enter a valid email address."
SIGN_UP_REFUSED = "Your registration was refused."
SIGN_UP_UNAVAILABLE = "Registration is unavailable right now. Try again in a few minutes."


_STATUS_DATES = {
    "registered": "dateRegistered",
    "pending_request": "dateRequested",
    "pending_invite": "dateInvited",
    "denied": "dateDenied",
}


class SignInRefused(Exception):
    """The account may not get tokens; the message is one of the SIGN_IN_* texts the site recognises."""


def status_for_new_account(groups: Sequence[str], decision: str | None = None) -> accounts.AccountStatus:
    """The status of an account recorded for the first time: the approver's decision, else the mode."""
    config = settings()
    if config.admins_group in groups or config.registered_group in groups or decision == "approve":
        return "registered"
    if decision == "pending" or config.registration_mode == "request":
        return "pending_request"
    return "registered"


def new_account(*, user_id: str, username: str, email: str, status: str, **extra: Any) -> dict[str, Any]:
    stamp = clock.now()
    item: dict[str, Any] = {
        "userId": user_id,
        "username": username,
        "email": email.lower(),
        "status": status,
        "registrationMethod": settings().registration_mode,
        "dateCreated": stamp,
        _STATUS_DATES.get(status, "dateRequested"): stamp,
    }
    item.update({key: value for key, value in extra.items() if value not in (None, "")})
    return item


def ensure_account(
    *,
    user_id: str,
    username: str,
    email: str,
    groups: Sequence[str],
    user_pool_id: str | None = None,
    decision: str | None = None,
    **extra: Any,
) -> tuple[dict[str, Any], list[str]]:
    """The caller's record, created when missing and activated when it is an accepted invitation.

    Idempotent: concurrent first sign-ins write one record (a conditional put), and a registered account
    is put in the registered group once. `decision` is the sign-up approver's, for a new record; `extra`
    fields are written only with a new record. Returns the record and the caller's groups afterwards.
    """
    config = settings()
    record = accounts.get_account(user_id)
    if record is None:
        candidate = new_account(
            user_id=user_id,
            username=username,
            email=email,
            status=status_for_new_account(groups, decision),
            **extra,
        )
        created = accounts.create_account(candidate)
        record = candidate if created else accounts.require_account(user_id)
    if record.get("status") == "pending_invite":
        # The invited user has signed in with the emailed password and chosen their own.
        stamp = clock.now()
        record = accounts.update_account(
            user_id,
            {"status": "registered", "dateRegistered": stamp, "dateInviteAccepted": stamp},
            only_from=("pending_invite", "registered"),
        )
    groups_after = list(groups)
    if record.get("status") == "registered" and config.registered_group not in groups:
        client("cognito-idp").admin_add_user_to_group(
            UserPoolId=user_pool_id or config.user_pool_id,
            Username=record.get("username") or username,
            GroupName=config.registered_group,
        )
        groups_after.append(config.registered_group)
    return record, groups_after


def check_may_sign_in(record: dict[str, Any]) -> None:
    status = record.get("status")
    if status == "pending_request":
        raise SignInRefused(SIGN_IN_PENDING)
    if status == "denied":
        raise SignInRefused(SIGN_IN_DENIED)
