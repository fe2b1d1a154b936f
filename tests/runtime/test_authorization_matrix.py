"""Who may call what: every route of the backend against five callers, each getting exactly what it may.

The routes come from the resolver itself, so a route added without an entry in ACCESS fails
``test_every_route_of_the_backend_has_an_entry``. The callers are: anonymous (no token), pending (a
token, but the account waits for approval and is in no group), registered, another registered user, and
an admin. Every answer is exact: its status, and for refusals its message too (401 "Sign in to do this.",
403 with the message for the caller's state); what lies behind each door is its capability's own tests.

Path parameters stand for real things in the fixture's portal: ``<user_id>`` the account `target` names,
``<usage_plan_id>`` the Free plan (self-service) or the Gold plan sold on AWS Marketplace, ``<feedback_id>``
a stored message, ``<api>`` an API id. moto lacks GetUsage and ResolveCustomer; botocore's Stubber answers
those two calls only.

The gateway also demands a token on every route but the public ones; this checks the handler, which must
refuse on its own because an existing pool's tokens or a misconfigured gateway may let requests through.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.stub import Stubber
from moto import mock_aws

from tests.runtime.events import User, aws, lambda_context, rest_event, subscriptions_table
from tests.runtime.self_service import BUCKET, PARTNER_API, SAMPLE_API, gateway, self_service, stub_get_usage

CALLERS = ("anonymous", "pending", "registered", "other", "admin")
SIGN_IN = (401, "Sign in to do this.")
ADMINS_ONLY = (403, "Only portal administrators may do this.")
PENDING = (
    403,
    "Your account is pending_request, so it has no API key or subscriptions: wait for an administrator to approve it.",
)
NOT_ON_FREE = "You are not subscribed to usage plan {free}: reload your subscriptions."
LINKED_ELSEWHERE = (
    "This AWS Marketplace subscription is already linked to another portal account. Sign in with that account, "
    "or ask the portal's administrators to move it."
)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TOKEN_FIELD = "x-amzn-marketplace-token"

# What each caller gets. A number is the exact status the route answers, a pair the exact status and
# message ({free} in a message is the Free plan's id).
Expected = int | tuple[int, str]


@dataclass(frozen=True)
class Access:
    anonymous: Expected
    pending: Expected
    registered: Expected
    other: Expected
    admin: Expected
    target: str = "registered"
    """Whose account a ``<user_id>`` route acts on."""
    plan: str = "free"
    """Which usage plan a ``<usage_plan_id>`` route names: ``free`` (self-service) or ``gold`` (marketplace)."""
    body: Any = None
    headers: dict[str, str] | None = None

    def expected(self) -> dict[str, Expected]:
        return {name: getattr(self, name) for name in CALLERS}


def public(admin: Expected = 200) -> Access:
    return Access(admin, admin, admin, admin, admin)


def signed_in(answer: Expected = 200, *, body: Any = None) -> Access:
    return Access(SIGN_IN, answer, answer, answer, answer, body=body)


def admins_only(admin: Expected, *, target: str = "registered", body: Any = None) -> Access:
    return Access(SIGN_IN, ADMINS_ONLY, ADMINS_ONLY, ADMINS_ONLY, admin, target=target, body=body)


def registered_only(
    answer: Expected, *, others: Expected | None = None, plan: str = "free", body: Any = None
) -> Access:
    """Registered accounts (admins count) get `answer`; the other user and the admin get `others` if given."""
    rest = answer if others is None else others
    return Access(SIGN_IN, PENDING, answer, rest, rest, plan=plan, body=body)


ADD_A_PAGE = f"an operator can add one as catalog/{SAMPLE_API}.md in the artifacts bucket."
ACCESS: dict[tuple[str, str], Access] = {
    ("GET", "/openapi.json"): public(),
    ("GET", "/me"): signed_in(),
    ("POST", "/signin"): signed_in(),
    # The catalog: browsing is public; exports and SDKs need a sign-in. <api> is the published sample API,
    # whose stage moto does not have, which has no Markdown page and whose SDK generation is off.
    ("GET", "/catalog"): public(200),
    ("GET", "/catalog/<api>/spec"): public(200),
    ("GET", "/catalog/<api>/docs"): public((404, f"Sample API has no Markdown page; {ADD_A_PAGE}")),
    ("GET", "/catalog/<api>/export"): signed_in(
        (404, "API Gateway no longer has stage 'prod' of abcde12345; ask an admin to hide it.")
    ),
    ("GET", "/catalog/<api>/sdk"): signed_in(
        (403, "SDK generation is off for Sample API; a portal admin can turn it on.")
    ),
    ("GET", "/admin/catalog/visibility"): admins_only(200),
    ("GET", "/admin/catalog/status"): admins_only(200),
    ("POST", "/admin/catalog/generic"): admins_only(400, body={"filename": "pets.json", "content": "{}"}),
    ("DELETE", "/admin/catalog/generic/<api>"): admins_only(404),
    ("PUT", "/admin/catalog/visibility/<api>"): admins_only(404, body={}),
    ("POST", "/admin/catalog/visibility/<api>/update"): admins_only(404),
    ("DELETE", "/admin/catalog/visibility/<api>"): admins_only(404),
    ("PUT", "/admin/catalog/<api>/sdk-generation"): admins_only(200),
    ("DELETE", "/admin/catalog/<api>/sdk-generation"): admins_only(200),
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
    # Self-service: the caller's own key and subscriptions. The registered user is on Free; the other
    # user and the admin are not, so what acts on a subscription finds none of theirs.
    ("GET", "/apikey"): registered_only(200),
    ("POST", "/apikey/rotate"): registered_only(200),
    ("GET", "/subscriptions"): registered_only(200),
    ("PUT", "/subscriptions/<usage_plan_id>"): registered_only(200),
    ("DELETE", "/subscriptions/<usage_plan_id>"): registered_only(204, others=(404, NOT_ON_FREE)),
    ("GET", "/subscriptions/<usage_plan_id>/usage"): registered_only(200, others=(404, NOT_ON_FREE)),
    ("POST", "/feedback"): signed_in(201, body={"message": "The sample API's docs are great."}),
    ("GET", "/admin/feedback"): admins_only(200),
    ("DELETE", "/admin/feedback/<feedback_id>"): admins_only(204),
    # AWS Marketplace: the buyer's redirect is public (AWS Marketplace posts the browser there); linking
    # resolves the same token for everyone, so only the first registered caller gets the subscription.
    ("POST", "/marketplace-confirm/<usage_plan_id>"): Access(
        303, 303, 303, 303, 303, plan="gold", body=f"{TOKEN_FIELD}=token123", headers=FORM
    ),
    ("GET", "/marketplace-subscriptions"): registered_only(200),
    ("PUT", "/marketplace-subscriptions/<usage_plan_id>"): registered_only(
        200, others=(409, LINKED_ELSEWHERE), plan="gold", body={"token": "token123"}
    ),
}
PRODUCT = "prod-gold-123"


@dataclass
class Portal:
    users: dict[str, User]
    values: dict[str, str]
    """What each path parameter stands for, by its name in the route (``usage_plan_id`` by plan)."""
    stubs: list[Stubber]


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch) -> Iterator[Portal]:
    with mock_aws():
        service = self_service(monkeypatch)
        service.configure(
            REGISTRATION_MODE="request",
            SUBSCRIPTIONS_TABLE=subscriptions_table(),
            WEBSITE_URL="https://portal.example.com",
        )
        users = {
            "registered": service.dev,
            "other": service.other,
            "admin": service.admin,
            "pending": service.add("pending@example.com", status="pending_request"),
            "second_admin": service.add("root@example.com", groups=["admins", "registered"]),
            "invited": service.add("invited@example.com", status="pending_invite"),
        }
        # A catalog offering Free on the sample API, which the registered user is on, and a Gold tier
        # sold on AWS Marketplace; one message of feedback.
        free = service.plan("Free", [SAMPLE_API], quota={"limit": 1000, "offset": 0, "period": "MONTH"})
        gold = service.plan("Gold", [PARTNER_API])
        gateway().update_usage_plan(
            usagePlanId=gold, patchOperations=[{"op": "replace", "path": "/productCode", "value": PRODUCT}]
        )
        service.publish({SAMPLE_API: "Sample API", PARTNER_API: "Partner API"}, [free, gold])
        aws("s3").put_object(Bucket=BUCKET, Key=f"catalog-specs/{SAMPLE_API}.json", Body=b'{"openapi": "3.0.3"}')
        assert service.call("PUT", f"/subscriptions/{free}", service.dev).status == 200
        assert service.call("POST", "/feedback", service.other, body={"message": "Hello"}).status == 201
        feedback_id = service.call("GET", "/admin/feedback", service.admin).body["feedback"][0]["feedbackId"]
        stubs = [_stub_usage(monkeypatch, free), _stub_resolve_customer()]
        yield Portal(
            users=users,
            values={"free": free, "gold": gold, "api": SAMPLE_API, "feedback_id": feedback_id},
            stubs=stubs,
        )
        for stub in stubs:
            stub.deactivate()


def _stub_usage(monkeypatch: pytest.MonkeyPatch, plan_id: str) -> Stubber:
    """moto has no GetUsage: a Stubber answers it, once, for whoever gets that far."""
    stubber = stub_get_usage(monkeypatch)
    stubber.add_response(
        "get_usage", {"usagePlanId": plan_id, "startDate": "2026-03-01", "endDate": "2026-03-14", "items": {}}
    )
    return stubber


def _stub_resolve_customer() -> Stubber:
    """moto has no AWS Marketplace Metering Service: a Stubber answers ResolveCustomer for each caller
    that gets that far (the registered user, the other one and the admin, in that order)."""
    from portal_common.aws import client

    stubber = Stubber(client("meteringmarketplace"))
    for _ in range(3):
        stubber.add_response(
            "resolve_customer",
            {"CustomerIdentifier": "customer-1", "ProductCode": PRODUCT, "CustomerAWSAccountId": "845735284135"},
            {"RegistrationToken": "token123"},
        )
    stubber.activate()
    return stubber


def test_every_route_of_the_backend_has_an_entry() -> None:
    from backend.handler import app

    # Given every route the resolver answers
    routes = {(route.method, route.path) for route in app._static_routes + app._dynamic_routes}
    # Then each has its line in the matrix, and the matrix names no route that is gone
    assert sorted(routes - set(ACCESS)) == [], "add these routes to ACCESS, saying who may call them"
    assert sorted(set(ACCESS) - routes) == [], "remove these routes from ACCESS: the backend has none"


def _outcome(response: dict[str, Any], expected: Expected) -> Expected:
    """The answer in the form `expected` takes: a status, or a (status, message) pair."""
    status = response["statusCode"]
    if isinstance(expected, tuple):
        try:
            return status, json.loads(response.get("body") or "{}").get("message", "")
        except ValueError:
            return status, response.get("body") or ""
    return status


def _concrete(path: str, access: Access, portal: Portal) -> str:
    """The route's path with each parameter replaced by what it stands for in this portal."""
    values = {
        **portal.values,
        "user_id": portal.users[access.target].user_id,
        "usage_plan_id": portal.values[access.plan],
    }
    concrete = re.sub(r"<(\w+)>", lambda match: values[match.group(1)], path)
    assert "<" not in concrete, f"give the fixture a value for each parameter of {path}"
    return concrete


def _expected(access: Access, portal: Portal) -> dict[str, Expected]:
    return {
        name: (answer[0], answer[1].format(**portal.values)) if isinstance(answer, tuple) else answer
        for name, answer in access.expected().items()
    }


@pytest.mark.parametrize(("method", "path"), sorted(ACCESS), ids=[f"{m} {p}" for m, p in sorted(ACCESS)])
def test_each_caller_gets_exactly_what_it_may(portal: Portal, method: str, path: str) -> None:
    from backend.handler import lambda_handler

    access = ACCESS[(method, path)]
    concrete = _concrete(path, access, portal)
    expected = _expected(access, portal)
    outcomes: dict[str, Expected] = {}
    # When each caller calls the route, the admin last (its call may change what the others would see)
    for name in CALLERS:
        claims = None if name == "anonymous" else portal.users[name].claims()
        event = rest_event(method, concrete, claims=claims, body=access.body, headers=access.headers)
        outcomes[name] = _outcome(lambda_handler(event, lambda_context()), expected[name])
    # Then each got exactly what the matrix says
    assert outcomes == expected


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
