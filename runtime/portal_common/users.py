"""The portal's users as Cognito knows them: invitations, group membership, deletion."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from portal_common.aws import client, error_code
from portal_common.errors import BadRequest, Conflict, NotFound
from portal_common.settings import settings


def _cognito() -> Any:
    return client("cognito-idp")


def _pool() -> str:
    return settings().user_pool_id


def attribute(user: dict[str, Any], name: str) -> str:
    for item in user.get("Attributes") or user.get("UserAttributes") or []:
        if item["Name"] == name:
            return item["Value"]
    return ""


def invite(email: str) -> dict[str, Any]:
    """Create the user and have Cognito email them a temporary password; returns the new user."""
    try:
        return _cognito().admin_create_user(
            UserPoolId=_pool(),
            Username=email,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
            DesiredDeliveryMediums=["EMAIL"],
        )["User"]
    except ClientError as error:
        if error_code(error) in ("UsernameExistsException", "AliasExistsException"):
            raise Conflict(f"{email} already has an account: find it in the list of accounts.") from error
        if error_code(error) == "InvalidParameterException":
            raise BadRequest(f"Cognito refused the address {email}: {error.response['Error']['Message']}") from error
        raise


def resend_invitation(email: str) -> None:
    try:
        _cognito().admin_create_user(
            UserPoolId=_pool(), Username=email, MessageAction="RESEND", DesiredDeliveryMediums=["EMAIL"]
        )
    except ClientError as error:
        if error_code(error) == "UserNotFoundException":
            raise NotFound(f"{email} is no longer in the user pool; invite them again.") from error
        if error_code(error) == "UnsupportedUserStateException":
            raise Conflict(f"{email} has already accepted the invitation.") from error
        raise


def username_of(user_id: str) -> str | None:
    """The Cognito username of the user with this ``sub``, or None when there is none."""
    if '"' in user_id or "\\" in user_id:
        return None
    users = _cognito().list_users(UserPoolId=_pool(), Filter=f'sub = "{user_id}"', Limit=1)["Users"]
    return users[0]["Username"] if users else None


def group_members(group: str) -> list[dict[str, Any]]:
    members: list[dict[str, Any]] = []
    arguments: dict[str, Any] = {"UserPoolId": _pool(), "GroupName": group, "Limit": 60}
    while True:
        response = _cognito().list_users_in_group(**arguments)
        members.extend(response.get("Users", []))
        if not response.get("NextToken"):
            return members
        arguments["NextToken"] = response["NextToken"]


def group_page(group: str, *, limit: int, token: str | None) -> tuple[list[dict[str, Any]], str | None]:
    arguments: dict[str, Any] = {"UserPoolId": _pool(), "GroupName": group, "Limit": limit}
    if token:
        arguments["NextToken"] = token
    response = _cognito().list_users_in_group(**arguments)
    return response.get("Users", []), response.get("NextToken")


def admin_ids() -> set[str]:
    return {attribute(user, "sub") for user in group_members(settings().admins_group)}


def add_to_group(username: str, group: str) -> None:
    _cognito().admin_add_user_to_group(UserPoolId=_pool(), Username=username, GroupName=group)


def remove_from_group(username: str, group: str) -> None:
    _cognito().admin_remove_user_from_group(UserPoolId=_pool(), Username=username, GroupName=group)


def delete_user(username: str) -> None:
    try:
        _cognito().admin_delete_user(UserPoolId=_pool(), Username=username)
    except ClientError as error:
        if error_code(error) != "UserNotFoundException":
            raise
