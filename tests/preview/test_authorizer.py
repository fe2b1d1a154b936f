"""The portal API's Cognito authorizer accepts and refuses tokens as API Gateway's REST authorizer does.

The gateway is the preview's, built from the stack's routes and gateway responses; its integration is replaced
by a recorder, so these tests see exactly what the backend would receive.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from joserfc import jwt
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from devportal_constructs.preview import Preview
from devportal_constructs.preview.blueprint import Throttle, load_blueprint
from devportal_constructs.preview.gateway import CognitoAuthorizer, RestApi, jwks_from
from devportal_constructs.preview.testing import sign_in

PASSWORD = "Correct-Horse-Battery-9"
UNAUTHORIZED = {"message": "Sign in again: the request has no valid session token."}


class Recorder:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}


@pytest.fixture(scope="module")
def recorder() -> Recorder:
    return Recorder()


def portal_api(preview: Preview, recorder: Recorder, throttles: tuple[Throttle, ...] = ()) -> RestApi:
    blueprint = load_blueprint()
    api, _ = blueprint.one("AWS::ApiGateway::RestApi")
    return RestApi(
        routes=blueprint.routes(api),
        throttles=throttles,
        gateway_responses=blueprint.gateway_responses(api),
        authorizer=CognitoAuthorizer(
            pool_ids=[preview.user_pool_id], region=preview.region, jwks=jwks_from(preview.endpoint, preview.region)
        ),
        invoke=recorder,
        api_id="portalapi",
        stage="prod",
        account="123456789012",
    )


@pytest.fixture(scope="module")
def gateway(preview: Preview, recorder: Recorder) -> RestApi:
    return portal_api(preview, recorder)


@pytest.fixture(scope="module")
def tokens(preview: Preview) -> dict[str, str]:
    return sign_in(
        preview.aws("cognito-idp"),
        pool_id=preview.user_pool_id,
        client_id=preview.user_pool_client_id,
        email=preview.admin_email,
        password=preview.admin_password,
    )


@pytest.fixture(scope="module")
def other_pool(preview: Preview) -> Iterator[tuple[str, str]]:
    cognito = preview.aws("cognito-idp")
    pool = cognito.create_user_pool(PoolName=f"other-{uuid.uuid4().hex[:6]}", UsernameAttributes=["email"])["UserPool"]
    client = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="other")["UserPoolClient"]
    yield pool["Id"], client["ClientId"]


def call(gateway: RestApi, method: str, path: str, token: str | None = None) -> Response:
    headers = {} if token is None else {"Authorization": token}
    return gateway(Request(EnvironBuilder(method=method, path=path, headers=headers).get_environ()), path)


def body(response: Response) -> Any:
    return json.loads(response.get_data())


def resign(preview: Preview, token: str, **changes: Any) -> str:
    key = preview.cognito._signing_key()
    decoded = jwt.decode(token, key)
    return jwt.encode(dict(decoded.header), {**decoded.claims, **changes}, key)


def test_a_valid_id_token_reaches_the_backend_with_the_claims_where_api_gateway_puts_them(
    gateway: RestApi, recorder: Recorder, tokens: dict[str, str], preview: Preview
) -> None:
    # When the admin's ID token calls a protected route
    response = call(gateway, "GET", "/api/me", tokens["IdToken"])
    # Then the backend receives a REST proxy event with string claims, groups flattened, dates as API Gateway writes
    assert response.status_code == 200
    event = recorder.events[-1]
    claims = event["requestContext"]["authorizer"]["claims"]
    assert event["resource"] == "/api/{proxy+}"
    assert event["pathParameters"] == {"proxy": "me"}
    assert event["requestContext"]["path"] == "/prod/api/me"
    assert claims["email"] == preview.admin_email
    assert isinstance(claims["cognito:groups"], str)
    assert "admins" in claims["cognito:groups"].split(",")
    assert claims["token_use"] == "id"
    assert claims["exp"].endswith(time.strftime("%Y", time.gmtime())) and " UTC " in claims["exp"]


def test_a_bearer_prefix_is_accepted(gateway: RestApi, tokens: dict[str, str]) -> None:
    assert call(gateway, "GET", "/api/me", f"Bearer {tokens['IdToken']}").status_code == 200


def test_fails_when_no_token_is_sent(gateway: RestApi) -> None:
    response = call(gateway, "GET", "/api/me")
    assert (response.status_code, body(response)) == (401, UNAUTHORIZED)


def test_fails_when_the_token_has_expired(gateway: RestApi, tokens: dict[str, str], preview: Preview) -> None:
    # Given the admin's token, signed by the pool but expired a minute ago
    expired = resign(preview, tokens["IdToken"], exp=int(time.time()) - 60)
    # Then the gateway refuses it with the stack's UNAUTHORIZED response
    response = call(gateway, "GET", "/api/me", expired)
    assert (response.status_code, body(response)) == (401, UNAUTHORIZED)


def test_fails_when_the_signature_is_tampered_with(gateway: RestApi, tokens: dict[str, str]) -> None:
    # Given the token with its payload changed after signing (the groups claim made to say admins twice)
    header, payload, signature = tokens["IdToken"].split(".")
    forged = f"{header}.{payload[:-4]}{'AAAA' if payload[-4:] != 'AAAA' else 'BBBB'}.{signature}"
    response = call(gateway, "GET", "/api/me", forged)
    assert (response.status_code, body(response)) == (401, UNAUTHORIZED)


def test_fails_when_the_token_comes_from_another_pools_client(
    gateway: RestApi, preview: Preview, other_pool: tuple[str, str]
) -> None:
    # Given a user of another pool, signed in with that pool's client
    pool_id, client_id = other_pool
    cognito = preview.aws("cognito-idp")
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    cognito.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=PASSWORD, Permanent=True)
    foreign = sign_in(cognito, pool_id=pool_id, client_id=client_id, email=email, password=PASSWORD)
    # Then the portal's authorizer, which trusts the portal's pool only, refuses it
    response = call(gateway, "GET", "/api/me", foreign["IdToken"])
    assert (response.status_code, body(response)) == (401, UNAUTHORIZED)


def test_a_token_of_another_client_of_the_same_pool_is_accepted_as_in_aws(gateway: RestApi, preview: Preview) -> None:
    # API Gateway's REST Cognito authorizer has no audience setting: any client of the pool may call.
    cognito = preview.aws("cognito-idp")
    client = cognito.create_user_pool_client(
        UserPoolId=preview.user_pool_id, ClientName="cli", ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"]
    )["UserPoolClient"]
    second = sign_in(
        cognito,
        pool_id=preview.user_pool_id,
        client_id=client["ClientId"],
        email=preview.admin_email,
        password=preview.admin_password,
    )
    assert call(gateway, "GET", "/api/me", second["IdToken"]).status_code == 200


def test_fails_when_an_access_token_is_sent_to_a_method_without_scopes(
    gateway: RestApi, tokens: dict[str, str]
) -> None:
    # Methods without authorization scopes take ID tokens only, as API Gateway's authorizer does
    response = call(gateway, "GET", "/api/me", tokens["AccessToken"])
    assert (response.status_code, body(response)) == (401, UNAUTHORIZED)


def test_public_routes_need_no_token(gateway: RestApi, recorder: Recorder) -> None:
    response = call(gateway, "GET", "/api/catalog")
    assert response.status_code == 200
    assert "authorizer" not in recorder.events[-1]["requestContext"]


def test_fails_when_a_method_is_missing_on_an_explicit_resource(gateway: RestApi) -> None:
    # /api/catalog is its own resource with GET only; API Gateway does not fall back to /api/{proxy+}
    response = call(gateway, "DELETE", "/api/catalog")
    assert response.status_code == 403
    assert body(response) == {"message": "The request was refused: Missing Authentication Token"}


def test_preflight_answers_with_the_portal_origin(gateway: RestApi) -> None:
    response = call(gateway, "OPTIONS", "/api/me")
    assert response.status_code == 204
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]


def test_the_stage_throttle_is_the_stacks() -> None:
    blueprint = load_blueprint()
    api, _ = blueprint.one("AWS::ApiGateway::RestApi")
    assert blueprint.throttles(api) == [Throttle(resource="/*", method="*", rate=100.0, burst=200)]


def test_fails_when_the_stage_throttle_is_exceeded(preview: Preview, recorder: Recorder) -> None:
    # Given the portal's API whose stage lets each method take one request, refilled every 1,000 seconds
    throttled = portal_api(preview, recorder, (Throttle(resource="/*", method="*", rate=0.001, burst=1),))
    # When the catalog is asked for twice, then another method is called
    first, second = call(throttled, "GET", "/api/catalog"), call(throttled, "GET", "/api/catalog")
    other = call(throttled, "OPTIONS", "/api/catalog")
    # Then the second call gets API Gateway's THROTTLED response (the stack's 4XX template), the other method not
    assert first.status_code == 200
    assert (second.status_code, body(second)) == (429, {"message": "The request was refused: Too Many Requests"})
    assert other.status_code == 204
