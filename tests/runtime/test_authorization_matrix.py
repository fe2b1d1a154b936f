"""Who may call what: every route of the backend against five callers, each getting exactly what it may.

The routes come from the resolver itself, so a route added without an entry in ACCESS fails
``test_every_route_of_the_backend_has_an_entry``. The callers are: anonymous (no token), pending (a
token, but the account waits for approval and is in no group), registered, another registered user, and
an admin. Refusals must be exact (401 "Sign in to do this.", 403 with a message). For the account routes
the admin's answer is exact as well; for routes other capabilities own, "let through" means the caller
got past the door (any answer but 401, 403 or a 5xx), since their own tests cover what lies behind it.

The gateway also demands a token on every route but the public ones; this checks the handler, which must
refuse on its own because an existing pool's tokens or a misconfigured gateway may let requests through.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.runtime.events import REGION, User, accounts_table, add_user, lambda_context, rest_event, user_pool

CALLERS = ("anonymous", "pending", "registered", "other", "admin")
LET_THROUGH = "let through"
SIGN_IN = (401, "Sign in to do this.")
ADMINS_ONLY = (403, "Only portal administrators may do this.")

# What each caller gets. A number is the exact status the route answers; LET_THROUGH is any answer past
# the route's authorization. `target` names whose account an {user_id} route acts on.
Expected = int | str | tuple[int, str]


@dataclass(frozen=True)
class Access:
    anonymous: Expected
    pending: Expected
    registered: Expected
    other: Expected
    admin: Expected
    target: str = "registered"
    body: Any = None

    def expected(self) -> dict[str, Expected]:
        return {name: getattr(self, name) for name in CALLERS}


def public(admin: Expected = 200) -> Access:
    return Access(admin, admin, admin, admin, admin)


def signed_in(answer: Expected = 200) -> Access:
    return Access(SIGN_IN, answer, answer, answer, answer)


def admins_only(admin: Expected, *, target: str = "registered", body: Any = None) -> Access:
    return Access(SIGN_IN, ADMINS_ONLY, ADMINS_ONLY, ADMINS_ONLY, admin, target=target, body=body)


ACCESS: dict[tuple[str, str], Access] = {
    ("GET", "/openapi.json"): public(),
    ("GET", "/me"): signed_in(),
    ("POST", "/signin"): signed_in(),
    # The catalog (owned by the catalog work): browsing is public; exports and SDKs need a sign-in.
    ("GET", "/catalog"): public(LET_THROUGH),
    ("GET", "/catalog/<api>/spec"): public(LET_THROUGH),
    ("GET", "/catalog/<api>/export"): signed_in(LET_THROUGH),
    ("GET", "/catalog/<api>/sdk"): signed_in(LET_THROUGH),
    ("GET", "/admin/catalog/visibility"): admins_only(LET_THROUGH),
    ("GET", "/admin/catalog/status"): admins_only(LET_THROUGH),
    ("POST", "/admin/catalog/generic"): admins_only(LET_THROUGH, body={"filename": "pets.json", "content": "{}"}),
    ("DELETE", "/admin/catalog/generic/<api>"): admins_only(LET_THROUGH),
    ("PUT", "/admin/catalog/visibility/<api>"): admins_only(LET_THROUGH, body={}),
    ("POST", "/admin/catalog/visibility/<api>/update"): admins_only(LET_THROUGH),
    ("DELETE", "/admin/catalog/visibility/<api>"): admins_only(LET_THROUGH),
    ("PUT", "/admin/catalog/<api>/sdk-generation"): admins_only(LET_THROUGH),
    ("DELETE", "/admin/catalog/<api>/sdk-generation"): admins_only(LET_THROUGH),
    # The accounts console.
    ("GET", "/admin/accounts"): admins_only(200),
    ("POST", "/admin/accounts"): admins_only(201, body={"email": "invitee@example.com"}),
    ("GET", "/admin/accounts/export"): admins_only(200),
    ("POST", "/admin/accounts/<user_id>/resend-invite"): admins_only(200, target="invited"),
    ("POST", "/admin/accounts/<user_id>/approve"): admins_only(200, target="pending"),
    ("POST", "/admin/accounts/<user_id>/deny"): admins_only(200, target="pending"),
    ("POST", "/admin/accounts/<user_id>/promote"): admins_only(200, target="other"),
    ("POST", "/admin/accounts/<user_id>/demote"): admins_only(200, target="second_admin"),
    ("DELETE", "/admin/accounts/<user_id>"): admins_only(204, target="other"),
}
API_ID = "a1b2c3d4e5_prod"


@dataclass
class Portal:
    users: dict[str, User]


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch) -> Iterator[Portal]:
    with mock_aws():
        monkeypatch.setenv("ACCOUNTS_TABLE", accounts_table())
        pool_id = user_pool()
        monkeypatch.setenv("USER_POOL_ID", pool_id)
        monkeypatch.setenv("REGISTRATION_MODE", "request")
        monkeypatch.setenv("ARTIFACTS_BUCKET", "artifacts")
        boto3.client("s3", region_name=REGION).create_bucket(Bucket="artifacts")
        yield Portal(
            users={
                "pending": add_user(pool_id, "pending@example.com", status="pending_request"),
                "registered": add_user(pool_id, "dev@example.com", groups=["registered"]),
                "other": add_user(pool_id, "other@example.com", groups=["registered"]),
                "admin": add_user(pool_id, "admin@example.com", groups=["admins", "registered"]),
                "second_admin": add_user(pool_id, "root@example.com", groups=["admins", "registered"]),
                "invited": add_user(pool_id, "invited@example.com", status="pending_invite"),
            }
        )


def test_every_route_of_the_backend_has_an_entry() -> None:
    from backend.handler import app

    # Given every route the resolver answers
    routes = {(route.method, route.path) for route in app._static_routes + app._dynamic_routes}
    # Then each has its line in the matrix, and the matrix names no route that is gone
    assert sorted(routes - set(ACCESS)) == [], "add these routes to ACCESS, saying who may call them"
    assert sorted(set(ACCESS) - routes) == [], "remove these routes from ACCESS: the backend has none"


def _outcome(response: dict[str, Any], expected: Expected) -> Expected:
    """The answer in the form `expected` takes: a status, a (status, message) pair, or LET_THROUGH."""
    status = response["statusCode"]
    if isinstance(expected, tuple):
        try:
            return status, json.loads(response.get("body") or "{}").get("message", "")
        except ValueError:
            return status, response.get("body") or ""
    if expected == LET_THROUGH:
        return LET_THROUGH if status not in (401, 403) and status < 500 else status
    return status


@pytest.mark.parametrize(("method", "path"), sorted(ACCESS), ids=[f"{m} {p}" for m, p in sorted(ACCESS)])
def test_each_caller_gets_exactly_what_it_may(portal: Portal, method: str, path: str) -> None:
    from backend.handler import lambda_handler

    access = ACCESS[(method, path)]
    target = portal.users[access.target]
    concrete = path.replace("<user_id>", target.user_id).replace("<api>", API_ID)
    outcomes: dict[str, Expected] = {}
    # When each caller calls the route, the admin last (its call may change what the others would see)
    for name in CALLERS:
        claims = None if name == "anonymous" else portal.users[name].claims()
        event = rest_event(method, concrete, claims=claims, body=access.body)
        outcomes[name] = _outcome(lambda_handler(event, lambda_context()), access.expected()[name])
    # Then each got exactly what the matrix says
    assert outcomes == access.expected()


def test_me_and_signin_answer_about_the_caller_only(portal: Portal) -> None:
    from backend.handler import lambda_handler

    # When the two registered users ask who they are, Then each learns about themselves only
    for name in ("registered", "other"):
        user = portal.users[name]
        for method, path in (("GET", "/me"), ("POST", "/signin")):
            response = lambda_handler(rest_event(method, path, claims=user.claims()), lambda_context())
            body = json.loads(response["body"])
            assert (body["userId"], body["email"], body["isAdmin"]) == (user.user_id, user.email, False)


def test_a_pending_caller_is_told_it_waits(portal: Portal) -> None:
    from backend.handler import lambda_handler

    # Given a token held by an account still waiting for approval (e.g. a pool without the portal's triggers)
    response = lambda_handler(rest_event("POST", "/signin", claims=portal.users["pending"].claims()), lambda_context())
    # Then the bootstrap says so, and grants no group
    body = json.loads(response["body"])
    assert (body["status"], body["groups"]) == ("pending_request", [])
