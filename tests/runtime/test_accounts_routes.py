"""The account routes of the backend against moto: first sign-in, /me and the admin's accounts console."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.runtime.events import REGION, CallsBackend, User, accounts_table, add_user, user_pool


@dataclass
class Portal(CallsBackend):
    pool_id: str
    monkeypatch: pytest.MonkeyPatch
    admin: User
    dev: User

    def configure(self, **env: str) -> None:
        from portal_common.settings import settings

        for key, value in env.items():
            self.monkeypatch.setenv(key, value)
        settings.cache_clear()

    def record(self, user_id: str) -> dict[str, Any] | None:
        table = boto3.resource("dynamodb", region_name=REGION).Table("accounts")
        return table.get_item(Key={"userId": user_id}).get("Item")

    def groups_of(self, user: User) -> list[str]:
        cognito = boto3.client("cognito-idp", region_name=REGION)
        groups = cognito.admin_list_groups_for_user(UserPoolId=self.pool_id, Username=user.username)["Groups"]
        return sorted(group["GroupName"] for group in groups)

    def add(self, email: str, **kwargs: Any) -> User:
        return add_user(self.pool_id, email, **kwargs)


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch) -> Iterator[Portal]:
    with mock_aws():
        monkeypatch.setenv("ACCOUNTS_TABLE", accounts_table())
        pool_id = user_pool()
        monkeypatch.setenv("USER_POOL_ID", pool_id)
        monkeypatch.setenv("REGISTRATION_MODE", "open")
        admin = add_user(pool_id, "admin@example.com", groups=["admins", "registered"])
        dev = add_user(pool_id, "dev@example.com", groups=["registered"])
        yield Portal(pool_id=pool_id, monkeypatch=monkeypatch, admin=admin, dev=dev)


# GET /me and POST /signin


def test_me_describes_the_caller(portal: Portal) -> None:
    # When a registered user and an admin ask who they are
    dev = portal.call("GET", "/me", portal.dev)
    admin = portal.call("GET", "/me", portal.admin)
    # Then each sees their own account, and only the admin is one
    assert (dev.status, dev.body["userId"], dev.body["status"], dev.body["isAdmin"]) == (
        200,
        portal.dev.user_id,
        "registered",
        False,
    )
    assert (admin.body["email"], admin.body["isAdmin"]) == ("admin@example.com", True)


def test_signin_records_a_new_account_once(portal: Portal) -> None:
    # Given a user of the pool the portal has no record of
    newcomer = portal.add("new@example.com", status=None)
    # When their site calls the first-sign-in bootstrap twice
    first = portal.call("POST", "/signin", newcomer)
    second = portal.call("POST", "/signin", newcomer)
    # Then one registered record exists, they are in the registered group, and both answers agree
    assert (first.status, first.body["status"], first.body["groups"]) == (200, "registered", ["registered"])
    assert second.body == first.body
    record = portal.record(newcomer.user_id)
    assert record is not None and record["email"] == "new@example.com"
    assert portal.groups_of(newcomer) == ["registered"]


def test_signin_in_request_mode_leaves_a_newcomer_pending(portal: Portal) -> None:
    # Given a request-mode portal whose triggers have not seen this user
    portal.configure(REGISTRATION_MODE="request")
    newcomer = portal.add("new@example.com", status=None)
    # When they call the bootstrap
    reply = portal.call("POST", "/signin", newcomer)
    # Then they are recorded as waiting for approval, and get no group
    assert (reply.status, reply.body["status"]) == (200, "pending_request")
    assert portal.groups_of(newcomer) == []


def test_signin_accepts_an_invitation_keeping_every_field(portal: Portal) -> None:
    # Given an invited user
    invitee = portal.add(
        "invitee@example.com",
        status="pending_invite",
        record={
            "dateInvited": "2026-02-01",
            "inviterEmail": "admin@example.com",
            "registrationMethod": "invite",
        },
    )
    # When they call the bootstrap
    reply = portal.call("POST", "/signin", invitee)
    # Then they are registered, and who invited them is still on record
    assert reply.body["status"] == "registered"
    record = portal.record(invitee.user_id)
    assert record is not None
    assert (record["inviterEmail"], record["dateInvited"], record["registrationMethod"]) == (
        "admin@example.com",
        "2026-02-01",
        "invite",
    )


# GET /admin/accounts


def test_lists_registered_accounts_with_their_admin_flag(portal: Portal) -> None:
    # Given a pending user besides the admin and the developer
    portal.add("waiting@example.com", status="pending_request")
    # When the admin lists registered accounts
    reply = portal.call("GET", "/admin/accounts", portal.admin)
    # Then both registered accounts are there, flagged, and the pending one is not
    listed = {account["email"]: account["isAdmin"] for account in reply.body["accounts"]}
    assert (reply.status, listed, reply.body["nextToken"]) == (
        200,
        {"admin@example.com": True, "dev@example.com": False},
        None,
    )


@pytest.mark.parametrize("status", ["pending_request", "pending_invite", "denied"])
def test_lists_accounts_by_status(portal: Portal, status: str) -> None:
    # Given one account of each non-registered status
    for other in ("pending_request", "pending_invite", "denied"):
        portal.add(f"{other.replace('_', '-')}@example.com", status=other)
    # When the admin lists one status
    reply = portal.call("GET", "/admin/accounts", portal.admin, query={"status": status})
    # Then only that account is listed
    assert [account["status"] for account in reply.body["accounts"]] == [status]


def test_lists_admins_from_the_admins_group(portal: Portal) -> None:
    # Given a second admin the portal has no record of
    portal.add("root@example.com", groups=["admins"], status=None)
    # When the admin lists admins
    reply = portal.call("GET", "/admin/accounts", portal.admin, query={"status": "admin"})
    # Then both are listed as admins
    assert sorted((account["email"], account["isAdmin"]) for account in reply.body["accounts"]) == [
        ("admin@example.com", True),
        ("root@example.com", True),
    ]


@pytest.mark.parametrize("status", ["registered", "admin"])
def test_pages_follow_next_token_to_the_end(portal: Portal, status: str) -> None:
    # Given five registered accounts, four of them admins
    for index in range(3):
        portal.add(f"more{index}@example.com", groups=["admins", "registered"])
    seen: list[str] = []
    token: str | None = None
    # When the admin reads pages of two
    for _ in range(10):
        query = {"status": status, "limit": "2", **({"nextToken": token} if token else {})}
        reply = portal.call("GET", "/admin/accounts", portal.admin, query=query)
        assert reply.status == 200 and len(reply.body["accounts"]) <= 2
        seen += [account["email"] for account in reply.body["accounts"]]
        token = reply.body["nextToken"]
        if token is None:
            break
    # Then every account came exactly once
    assert len(seen) == len(set(seen)) == {"registered": 5, "admin": 4}[status]


def test_fails_when_the_status_is_unknown(portal: Portal) -> None:
    reply = portal.call("GET", "/admin/accounts", portal.admin, query={"status": "everyone"})
    assert reply.status == 422
    assert reply.body["message"].startswith("Fix the request: query status: Input should be 'registered', 'admin'")


def test_fails_when_the_next_token_is_not_ours(portal: Portal) -> None:
    reply = portal.call("GET", "/admin/accounts", portal.admin, query={"nextToken": "garbage!"})
    assert (reply.status, reply.body) == (
        400,
        {"message": "nextToken is not valid: ask for the first page again, without it."},
    )


def test_fails_when_the_next_token_belongs_to_another_list(portal: Portal) -> None:
    # Given a token from the pending list
    for index in range(3):
        portal.add(f"wait{index}@example.com", status="pending_request")
    first = portal.call("GET", "/admin/accounts", portal.admin, query={"status": "pending_request", "limit": "1"})
    # When it is used for the registered list, Then it is refused
    reply = portal.call("GET", "/admin/accounts", portal.admin, query={"nextToken": first.body["nextToken"]})
    assert (reply.status, reply.body["message"]) == (
        400,
        "nextToken belongs to another list: ask for the first page again, without it.",
    )


# POST /admin/accounts (invite) and resend-invite


def test_invites_by_email(portal: Portal) -> None:
    # When the admin invites an address
    reply = portal.call("POST", "/admin/accounts", portal.admin, body={"email": " Partner@Example.COM "})
    # Then Cognito has the user, and the account waits for them, recording who invited them
    assert (reply.status, reply.body["status"], reply.body["email"]) == (
        201,
        "pending_invite",
        "partner@example.com",
    )
    record = portal.record(reply.body["userId"])
    assert record is not None
    assert (record["inviterEmail"], record["inviterUserId"], record["registrationMethod"]) == (
        "admin@example.com",
        portal.admin.user_id,
        "invite",
    )
    cognito = boto3.client("cognito-idp", region_name=REGION)
    user = cognito.admin_get_user(UserPoolId=portal.pool_id, Username="partner@example.com")
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"


def test_fails_when_the_invited_address_has_an_account(portal: Portal) -> None:
    reply = portal.call("POST", "/admin/accounts", portal.admin, body={"email": "dev@example.com"})
    assert (reply.status, reply.body["message"]) == (
        409,
        "dev@example.com already has an account: find it in the list of accounts.",
    )


def test_fails_when_the_invited_address_is_not_one(portal: Portal) -> None:
    reply = portal.call("POST", "/admin/accounts", portal.admin, body={"email": "not-an-address"})
    assert reply.status == 422
    assert reply.body["message"] == (
        "Fix the request: body email: Value error, enter an email address such as dev@example.com."
    )


def test_resends_an_invitation(portal: Portal) -> None:
    invited = portal.call("POST", "/admin/accounts", portal.admin, body={"email": "partner@example.com"}).body
    reply = portal.call("POST", f"/admin/accounts/{invited['userId']}/resend-invite", portal.admin)
    assert (reply.status, reply.body["status"]) == (200, "pending_invite")
    record = portal.record(invited["userId"])
    assert record is not None and "dateInviteResent" in record


def test_fails_when_resending_to_a_registered_account(portal: Portal) -> None:
    reply = portal.call("POST", f"/admin/accounts/{portal.dev.user_id}/resend-invite", portal.admin)
    assert (reply.status, reply.body["message"]) == (
        409,
        "dev@example.com is registered, not invited: there is nothing to resend.",
    )


# approve and deny


def test_approves_a_request_keeping_every_field(portal: Portal) -> None:
    # Given a pending request
    waiting = portal.add(
        "waiting@example.com",
        status="pending_request",
        record={"dateRequested": "2026-03-01", "approverMessage": "x"},
    )
    # When the admin approves it
    reply = portal.call("POST", f"/admin/accounts/{waiting.user_id}/approve", portal.admin)
    # Then the account is registered and in the group, and nothing recorded before is lost
    assert (reply.status, reply.body["status"], reply.body["approverEmail"]) == (
        200,
        "registered",
        "admin@example.com",
    )
    record = portal.record(waiting.user_id)
    assert record is not None
    assert (record["dateRequested"], record["approverMessage"], record["registrationMethod"]) == (
        "2026-03-01",
        "x",
        "open",
    )
    assert portal.groups_of(waiting) == ["registered"]


def test_denies_a_request_and_may_approve_it_later(portal: Portal) -> None:
    waiting = portal.add("waiting@example.com", status="pending_request", record={"dateRequested": "2026-03-01"})
    denied = portal.call("POST", f"/admin/accounts/{waiting.user_id}/deny", portal.admin)
    assert (denied.status, denied.body["status"]) == (200, "denied")
    assert portal.groups_of(waiting) == []
    approved = portal.call("POST", f"/admin/accounts/{waiting.user_id}/approve", portal.admin)
    assert approved.body["status"] == "registered"
    record = portal.record(waiting.user_id)
    assert record is not None
    assert (record["dateRequested"], record["denierEmail"], "dateDenied" in record) == (
        "2026-03-01",
        "admin@example.com",
        True,
    )


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (
            "approve",
            "dev@example.com is registered: only pending_request or denied accounts can be approved.",
        ),
        ("deny", "dev@example.com is registered: only pending_request accounts can be denied."),
    ],
)
def test_fails_when_the_account_is_not_pending(portal: Portal, action: str, message: str) -> None:
    reply = portal.call("POST", f"/admin/accounts/{portal.dev.user_id}/{action}", portal.admin)
    assert (reply.status, reply.body["message"]) == (409, message)


def test_fails_when_the_account_does_not_exist(portal: Portal) -> None:
    reply = portal.call("POST", "/admin/accounts/00000000-aaaa-bbbb-cccc-000000000000/approve", portal.admin)
    assert (reply.status, reply.body["message"]) == (
        404,
        "There is no account 00000000-aaaa-bbbb-cccc-000000000000. Reload the list of accounts.",
    )


def test_fails_when_the_account_id_is_malformed(portal: Portal) -> None:
    reply = portal.call("POST", "/admin/accounts/a%22b/approve", portal.admin)
    assert reply.status == 422
    assert reply.body["message"].startswith("Fix the request: path user_id: String should match pattern")


# promote and demote


def test_promotes_a_registered_user(portal: Portal) -> None:
    reply = portal.call("POST", f"/admin/accounts/{portal.dev.user_id}/promote", portal.admin)
    assert (reply.status, reply.body["isAdmin"], reply.body["promoterEmail"]) == (
        200,
        True,
        "admin@example.com",
    )
    assert portal.groups_of(portal.dev) == ["admins", "registered"]
    again = portal.call("POST", f"/admin/accounts/{portal.dev.user_id}/promote", portal.admin)
    assert (again.status, again.body["isAdmin"]) == (200, True)


def test_fails_when_promoting_a_pending_user(portal: Portal) -> None:
    waiting = portal.add("waiting@example.com", status="pending_request")
    reply = portal.call("POST", f"/admin/accounts/{waiting.user_id}/promote", portal.admin)
    assert (reply.status, reply.body["message"]) == (
        409,
        "waiting@example.com is pending_request: only registered accounts can be promoted.",
    )


def test_demotes_an_admin_keeping_who_promoted_them(portal: Portal) -> None:
    portal.call("POST", f"/admin/accounts/{portal.dev.user_id}/promote", portal.admin)
    reply = portal.call("POST", f"/admin/accounts/{portal.dev.user_id}/demote", portal.admin)
    assert (reply.status, reply.body["isAdmin"], reply.body["promoterEmail"]) == (
        200,
        False,
        "admin@example.com",
    )
    assert portal.groups_of(portal.dev) == ["registered"]
    record = portal.record(portal.dev.user_id)
    assert record is not None and record["demoterEmail"] == "admin@example.com"


def test_fails_when_demoting_the_last_admin(portal: Portal) -> None:
    # When the only admin demotes themselves, Then it is refused and they stay an admin
    reply = portal.call("POST", f"/admin/accounts/{portal.admin.user_id}/demote", portal.admin)
    assert (reply.status, reply.body["message"]) == (
        409,
        "admin@example.com is the last administrator: promote someone else before demoting them.",
    )
    assert portal.groups_of(portal.admin) == ["admins", "registered"]


def test_fails_when_demoting_someone_who_is_not_an_admin(portal: Portal) -> None:
    reply = portal.call("POST", f"/admin/accounts/{portal.dev.user_id}/demote", portal.admin)
    assert (reply.status, reply.body["message"]) == (409, "dev@example.com is not an administrator.")


# DELETE /admin/accounts/{id}


def test_deletes_the_user_their_record_and_their_api_key(portal: Portal) -> None:
    # Given a developer holding an API key
    apigateway = boto3.client("apigateway", region_name=REGION)
    key_id = apigateway.create_api_key(name="dev", enabled=True)["id"]
    holder = portal.add("holder@example.com", groups=["registered"], record={"apiKeyId": key_id})
    # When the admin deletes the account
    reply = portal.call("DELETE", f"/admin/accounts/{holder.user_id}", portal.admin)
    # Then the Cognito user, the record and the key are gone
    assert (reply.status, reply.body) == (204, "")
    assert portal.record(holder.user_id) is None
    cognito = boto3.client("cognito-idp", region_name=REGION)
    with pytest.raises(cognito.exceptions.UserNotFoundException):
        cognito.admin_get_user(UserPoolId=portal.pool_id, Username=holder.username)
    assert [key["id"] for key in apigateway.get_api_keys()["items"]] == []


def test_deletes_a_pool_user_without_a_record(portal: Portal) -> None:
    stray = portal.add("stray@example.com", status=None)
    assert portal.call("DELETE", f"/admin/accounts/{stray.user_id}", portal.admin).status == 204
    users = boto3.client("cognito-idp", region_name=REGION).list_users(UserPoolId=portal.pool_id)["Users"]
    assert stray.username not in [user["Username"] for user in users]


def test_fails_when_admins_delete_themselves(portal: Portal) -> None:
    reply = portal.call("DELETE", f"/admin/accounts/{portal.admin.user_id}", portal.admin)
    assert (reply.status, reply.body["message"]) == (
        400,
        "You cannot delete your own account: ask another administrator to do it.",
    )
    assert portal.record(portal.admin.user_id) is not None


def test_fails_when_deleting_the_last_admin(portal: Portal) -> None:
    # Given a caller whose token still says admin though they have left the group since
    cognito = boto3.client("cognito-idp", region_name=REGION)
    former = portal.add("former@example.com", groups=["admins", "registered"])
    cognito.admin_remove_user_from_group(UserPoolId=portal.pool_id, Username=former.username, GroupName="admins")
    # When they delete the one remaining admin, Then it is refused
    reply = portal.call("DELETE", f"/admin/accounts/{portal.admin.user_id}", former)
    assert (reply.status, reply.body["message"]) == (
        409,
        "This is the last administrator: promote someone else before deleting them.",
    )


def test_fails_when_deleting_an_account_that_does_not_exist(portal: Portal) -> None:
    reply = portal.call("DELETE", "/admin/accounts/00000000-aaaa-bbbb-cccc-000000000000", portal.admin)
    assert reply.status == 404


# GET /admin/accounts/export


def test_exports_every_account_as_csv(portal: Portal) -> None:
    # Given a developer with a key in a usage plan, a pending user, and an address a spreadsheet would run
    apigateway = boto3.client("apigateway", region_name=REGION)
    key_id = apigateway.create_api_key(name="dev", enabled=True)["id"]
    plan_id = apigateway.create_usage_plan(name="Gold")["id"]
    apigateway.create_usage_plan_key(usagePlanId=plan_id, keyId=key_id, keyType="API_KEY")
    portal.add("keyholder@example.com", groups=["registered"], record={"apiKeyId": key_id, "dateRegistered": "d1"})
    boto3.resource("dynamodb", region_name=REGION).Table("accounts").put_item(
        Item={"userId": "u-cmd", "email": "=cmd@example.com", "status": "pending_request", "dateRequested": "d2"}
    )
    # When the admin exports
    reply = portal.call("GET", "/admin/accounts/export", portal.admin)
    # Then the CSV has one row per account, with admin flags, keys and plans, and formulas defused
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert reply.headers["Content-Disposition"] == 'attachment; filename="accounts.csv"'
    rows = list(csv.DictReader(io.StringIO(reply.body)))
    assert [row["email"] for row in rows] == [
        "'=cmd@example.com",
        "admin@example.com",
        "dev@example.com",
        "keyholder@example.com",
    ]
    by_email = {row["email"]: row for row in rows}
    assert by_email["admin@example.com"]["isAdmin"] == "yes"
    assert {key: by_email["keyholder@example.com"][key] for key in ("isAdmin", "apiKeyId", "subscribedPlans")} == {
        "isAdmin": "no",
        "apiKeyId": key_id,
        "subscribedPlans": "Gold",
    }
    assert (by_email["'=cmd@example.com"]["status"], by_email["'=cmd@example.com"]["dateRequested"]) == (
        "pending_request",
        "d2",
    )
    assert list(rows[0]) == [
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
    ]


def test_unknown_routes_answer_json_without_a_trace(portal: Portal) -> None:
    reply = portal.call("GET", "/admin/nothing-here", portal.admin)
    assert (reply.status, reply.body) == (
        404,
        {"message": "There is no GET /api/admin/nothing-here in this API."},
    )
