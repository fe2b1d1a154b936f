"""The admin's accounts console: list, invite, approve or deny, promote or demote, delete, export.

Every route here checks the caller's admins group itself (``admin(router)``), whatever the gateway did.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel, field_validator

from backend.identity import Caller, admin
from portal_common import accounts, clock, keys, registration, users
from portal_common.aws import AWS_FAILURES, client, error_code
from portal_common.errors import BadRequest, Conflict, NotFound, Unavailable
from portal_common.settings import settings

router = APIGatewayRouter()
logger = Logger(child=True)

ListedStatus = Literal["registered", "admin", "pending_request", "pending_invite", "denied"]
UserId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[\w-]+$")]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EXPORT_COLUMNS = (
    "email",
    "status",
    "isAdmin",
    "registrationMethod",
    "dateRegistered",
    "dateRequested",
    "dateInvited",
    "datePromoted",
    "apiKeyId",
    "subscribedPlans",
)


class Account(BaseModel):
    """One portal account as the admin console shows it."""

    userId: str
    email: str
    status: accounts.AccountStatus
    isAdmin: bool
    registrationMethod: str | None = None
    dateCreated: str | None = None
    dateRegistered: str | None = None
    dateRequested: str | None = None
    dateInvited: str | None = None
    dateApproved: str | None = None
    dateDenied: str | None = None
    datePromoted: str | None = None
    inviterEmail: str | None = None
    approverEmail: str | None = None
    promoterEmail: str | None = None
    apiKeyId: str | None = None


class AccountPage(BaseModel):
    accounts: list[Account]
    nextToken: str | None = None


class Invitation(BaseModel):
    email: str

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = value.strip().lower()
        if not _EMAIL.match(value):
            raise ValueError("enter an email address such as dev@example.com")
        return value


def account_view(record: dict[str, Any], *, is_admin: bool) -> Account:
    fields = {name: record.get(name) for name in Account.model_fields if name not in ("isAdmin",)}
    return Account.model_validate({**fields, "isAdmin": is_admin, "email": record.get("email", "")})


def _stamp(who: Caller, role: str) -> dict[str, str]:
    return {f"{role}UserId": who.user_id, f"{role}Email": who.email}


def _username(record: dict[str, Any]) -> str:
    return record.get("username") or users.username_of(record["userId"]) or record.get("email", "")


@router.get("/admin/accounts")
def list_accounts(
    status: Annotated[ListedStatus, Query()] = "registered",
    limit: Annotated[int, Query(ge=1, le=60)] = 25,
    nextToken: Annotated[str | None, Query(max_length=2048)] = None,
) -> AccountPage:
    admin(router)
    if status == "admin":
        return _list_admins(limit, nextToken)
    kind = f"scan:{status}"
    start_after = None if nextToken is None else str(accounts.decode_token(nextToken, kind=kind).get("after"))
    items, after = accounts.list_accounts(status, limit=limit, start_after=start_after)
    admins = users.admin_ids()
    return AccountPage(
        accounts=[account_view(item, is_admin=item["userId"] in admins) for item in items],
        nextToken=None if after is None else accounts.encode_token({"kind": kind, "after": after}),
    )


def _list_admins(limit: int, token: str | None) -> AccountPage:
    kind = "group:admins"
    cognito_token = None if token is None else accounts.decode_token(token, kind=kind).get("cognito")
    members, next_cognito = users.group_page(settings().admins_group, limit=limit, token=cognito_token)
    records = accounts.get_accounts([users.attribute(member, "sub") for member in members])
    listed = []
    for member in members:
        user_id = users.attribute(member, "sub")
        record = records.get(user_id) or {
            "userId": user_id,
            "email": users.attribute(member, "email"),
            "status": "registered",
        }
        listed.append(account_view(record, is_admin=True))
    return AccountPage(
        accounts=listed,
        nextToken=None if not next_cognito else accounts.encode_token({"kind": kind, "cognito": next_cognito}),
    )


@router.post("/admin/accounts", status_code=201)
def invite_account(invitation: Invitation) -> Account:
    who = admin(router)
    user = users.invite(invitation.email)
    record = registration.new_account(
        user_id=users.attribute(user, "sub") or user["Username"],
        username=user["Username"],
        email=invitation.email,
        status="pending_invite",
        registrationMethod="invite",
        dateInvited=clock.now(),
        **_stamp(who, "inviter"),
    )
    if not accounts.create_account(record):
        record = accounts.require_account(record["userId"])
    return account_view(record, is_admin=False)


@router.post("/admin/accounts/<user_id>/resend-invite")
def resend_invitation(user_id: UserId) -> Account:
    admin(router)
    record = accounts.require_account(user_id)
    if record.get("status") != "pending_invite":
        raise Conflict(f"{record.get('email')} is {record.get('status')}, not invited: there is nothing to resend.")
    users.resend_invitation(record["email"])
    record = accounts.update_account(user_id, {"dateInviteResent": clock.now()}, only_from=("pending_invite",))
    return account_view(record, is_admin=False)


@router.post("/admin/accounts/<user_id>/approve")
def approve_account(user_id: UserId) -> Account:
    who = admin(router)
    record = _require_status(user_id, ("pending_request", "denied"), "approved")
    stamp = clock.now()
    fields = {"status": "registered", "dateApproved": stamp, **_stamp(who, "approver")}
    if not record.get("dateRegistered"):
        fields["dateRegistered"] = stamp
    record = accounts.update_account(user_id, fields, only_from=("pending_request", "denied"))
    # If these calls fail, the record already says registered: the next sign-in adds the group and
    # enables the key, and so does the user's next look at their key.
    users.add_to_group(_username(record), settings().registered_group)
    try:
        keys.follow_status(record)
    except AWS_FAILURES:
        logger.exception("Could not enable the API key of an approved account", extra={"userId": user_id})
    return account_view(record, is_admin=False)


@router.post("/admin/accounts/<user_id>/deny")
def deny_account(user_id: UserId) -> Account:
    who = admin(router)
    record = _require_status(user_id, ("pending_request",), "denied")
    # The key stops working before the record says denied, so a failure here leaves nothing to undo.
    try:
        keys.follow_status({**record, "status": "denied"})
    except AWS_FAILURES as error:
        logger.exception("Could not disable the API key of a denied account", extra={"userId": user_id})
        raise Unavailable(
            f"{record.get('email')} is still pending: the portal could not disable their API key "
            f"({error_code(error)}). Try again in a minute."
        ) from None
    record = accounts.update_account(
        user_id,
        {"status": "denied", "dateDenied": clock.now(), **_stamp(who, "denier")},
        only_from=("pending_request",),
    )
    return account_view(record, is_admin=False)


@router.post("/admin/accounts/<user_id>/promote")
def promote_account(user_id: UserId) -> Account:
    who = admin(router)
    record = _require_status(user_id, ("registered",), "promoted")
    if user_id in users.admin_ids():
        return account_view(record, is_admin=True)
    users.add_to_group(_username(record), settings().admins_group)
    record = accounts.update_account(user_id, {"datePromoted": clock.now(), **_stamp(who, "promoter")})
    return account_view(record, is_admin=True)


@router.post("/admin/accounts/<user_id>/demote")
def demote_account(user_id: UserId) -> Account:
    who = admin(router)
    record = accounts.require_account(user_id)
    admins = users.admin_ids()
    if user_id not in admins:
        raise Conflict(f"{record.get('email')} is not an administrator.")
    if admins == {user_id}:
        raise Conflict(f"{record.get('email')} is the last administrator: promote someone else before demoting them.")
    users.remove_from_group(_username(record), settings().admins_group)
    record = accounts.update_account(user_id, {"dateDemoted": clock.now(), **_stamp(who, "demoter")})
    return account_view(record, is_admin=False)


@router.delete("/admin/accounts/<user_id>")
def delete_account(user_id: UserId) -> Response[None]:
    who = admin(router)
    if user_id == who.user_id:
        raise BadRequest("You cannot delete your own account: ask another administrator to do it.")
    record = accounts.get_account(user_id)
    username = (record or {}).get("username") or users.username_of(user_id)
    if record is None and username is None:
        raise NotFound(f"There is no account {user_id}. Reload the list of accounts.")
    admins = users.admin_ids()
    if user_id in admins and admins == {user_id}:
        raise Conflict("This is the last administrator: promote someone else before deleting them.")
    if record is not None:
        keys.delete_keys(record)
    if username is not None:
        users.delete_user(username)
    accounts.delete_account(user_id)
    return Response(status_code=204)


def _require_status(user_id: str, allowed: tuple[str, ...], action: str) -> dict[str, Any]:
    record = accounts.require_account(user_id)
    if record.get("status") not in allowed:
        may = " or ".join(allowed)
        raise Conflict(f"{record.get('email')} is {record.get('status')}: only {may} accounts can be {action}.")
    return record


@router.get("/admin/accounts/export")
def export_accounts() -> Response[str]:
    admin(router)
    admins = users.admin_ids()
    records = list(accounts.all_accounts())
    plans = _plans_by_key() if any(record.get("apiKeyId") for record in records) else {}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for record in sorted(records, key=lambda item: str(item.get("email", ""))):
        row = {
            **{column: record.get(column, "") for column in EXPORT_COLUMNS},
            "isAdmin": "yes" if record["userId"] in admins else "no",
            "subscribedPlans": ";".join(sorted(plans.get(str(record.get("apiKeyId", "")), []))),
        }
        writer.writerow([_cell(row[column]) for column in EXPORT_COLUMNS])
    return Response(
        status_code=200,
        content_type="text/csv; charset=utf-8",
        body=buffer.getvalue(),
        headers={"Content-Disposition": 'attachment; filename="accounts.csv"'},
    )


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet would run a cell starting with these as a formula; a leading quote keeps it text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _plans_by_key() -> dict[str, list[str]]:
    apigateway = client("apigateway")
    by_key: dict[str, list[str]] = {}
    for page in apigateway.get_paginator("get_usage_plans").paginate():
        for plan in page.get("items", []):
            for members in apigateway.get_paginator("get_usage_plan_keys").paginate(usagePlanId=plan["id"]):
                for key in members.get("items", []):
                    by_key.setdefault(key["id"], []).append(plan.get("name") or plan["id"])
    return by_key
