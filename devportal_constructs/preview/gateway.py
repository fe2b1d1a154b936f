"""The portal's REST API as API Gateway runs it: routes, the Cognito authorizer, proxy events, gateway responses.

The routes, their authorization and the gateway responses are the stack's (``Blueprint.routes``). The
authorizer does what API Gateway's COGNITO_USER_POOLS authorizer does:

- it reads the ``Authorization`` header (the raw token; a ``Bearer`` prefix is accepted too);
- it verifies the RS256 signature against the pool's JWKS, the issuer (one of the authorizer's pools) and
  the expiry;
- a method without authorization scopes takes an ID token only; one with scopes takes an access token
  holding one of them;
- it does not check the app client: any client of the pool may call, as in AWS;
- claims reach the integration as strings at ``requestContext.authorizer.claims``, with ``exp`` and ``iat``
  as dates and lists (``cognito:groups``) joined with commas.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from werkzeug.wrappers import Request, Response

from .blueprint import Route, Throttle
from .functions import FunctionError

_DEFAULT_STATUS = {
    "UNAUTHORIZED": 401,
    "ACCESS_DENIED": 403,
    "MISSING_AUTHENTICATION_TOKEN": 403,
    "THROTTLED": 429,
    "DEFAULT_4XX": 400,
    "DEFAULT_5XX": 500,
}


class Unauthorized(Exception):
    """API Gateway answers 401 with the UNAUTHORIZED gateway response; the message is its error message."""


def _date(epoch: Any) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def flatten_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims the way API Gateway's REST Cognito authorizer hands them to the integration."""
    flat = {}
    for name, value in claims.items():
        if name in ("exp", "iat"):
            flat[name] = _date(value)
        elif isinstance(value, bool):
            flat[name] = "true" if value else "false"
        elif isinstance(value, list):
            flat[name] = ",".join(str(item) for item in value)
        else:
            flat[name] = str(value)
    return flat


class CognitoAuthorizer:
    def __init__(self, *, pool_ids: list[str], region: str, jwks: Callable[[str], dict[str, Any]]) -> None:
        self._issuers = {f"https://cognito-idp.{region}.amazonaws.com/{pool_id}": pool_id for pool_id in pool_ids}
        self._jwks = jwks
        self._keys: dict[str, KeySet] = {}

    def _key_set(self, pool_id: str) -> KeySet:
        if pool_id not in self._keys:
            self._keys[pool_id] = KeySet.import_key_set(self._jwks(pool_id))  # type: ignore[arg-type]
        return self._keys[pool_id]

    def verify(self, header: str | None, scopes: tuple[str, ...] = ()) -> dict[str, Any]:
        """The verified claims of the token in `header`; raises Unauthorized as API Gateway would refuse."""
        token = (header or "").strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        if not token:
            raise Unauthorized("Unauthorized")
        try:
            unverified = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
            pool_id = self._issuers.get(str(unverified.get("iss")))
            if pool_id is None:
                raise Unauthorized("Unauthorized")
            decoded = jwt.decode(token, self._key_set(pool_id), algorithms=["RS256"])
        except (JoseError, ValueError, IndexError, KeyError) as failure:
            raise Unauthorized("Unauthorized") from failure
        claims = dict(decoded.claims)
        if int(claims.get("exp", 0)) <= time.time():
            raise Unauthorized("The incoming token has expired")
        if scopes:
            granted = set(str(claims.get("scope", "")).split())
            if claims.get("token_use") != "access" or not granted & set(scopes):
                raise Unauthorized("Unauthorized")
        elif claims.get("token_use") != "id":
            raise Unauthorized("Unauthorized")
        return claims


def jwks_from(endpoint: str, region: str) -> Callable[[str], dict[str, Any]]:
    def fetch(pool_id: str) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{endpoint}/{pool_id}/.well-known/jwks.json",
            headers={"Host": f"cognito-idp.{region}.amazonaws.com"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return dict(json.loads(response.read()))

    return fetch


class TokenBucket:
    """API Gateway's throttle: ``burst`` requests at once, refilled at ``rate`` a second."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


@dataclass(frozen=True)
class GatewayResponse:
    status: int
    headers: Mapping[str, str]
    template: str


def _unquote(value: Any) -> str:
    text = str(value)
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else text


class RestApi:
    """Answers requests for one REST API stage the way API Gateway does, invoking Lambda proxy integrations."""

    def __init__(
        self,
        *,
        routes: list[Route],
        throttles: Sequence[Throttle] = (),
        gateway_responses: Mapping[str, Mapping[str, Any]],
        authorizer: CognitoAuthorizer,
        invoke: Callable[[str, dict[str, Any]], Any],
        api_id: str,
        stage: str,
        account: str,
    ) -> None:
        self._routes = routes
        # Stage method settings apply to each method on its own, the most specific setting winning.
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        for route in routes:
            throttle = next((item for item in throttles if item.covers(route.path, route.method)), None)
            if throttle is not None:
                self._buckets[(route.path, route.method)] = TokenBucket(throttle.rate, throttle.burst)
        self._responses = {
            kind: GatewayResponse(
                status=int(props.get("StatusCode", _DEFAULT_STATUS.get(kind, 400))),
                headers={
                    name.removeprefix("gatewayresponse.header."): _unquote(value)
                    for name, value in (props.get("ResponseParameters") or {}).items()
                },
                template=(props.get("ResponseTemplates") or {}).get("application/json", ""),
            )
            for kind, props in gateway_responses.items()
        }
        self._authorizer = authorizer
        self._invoke = invoke
        self._api_id = api_id
        self._stage = stage
        self._account = account

    def gateway_response(self, kind: str, message: str) -> Response:
        family = "DEFAULT_5XX" if _DEFAULT_STATUS.get(kind, 400) >= 500 else "DEFAULT_4XX"
        chosen = self._responses.get(kind) or self._responses.get(family)
        status = _DEFAULT_STATUS.get(kind, 500 if family == "DEFAULT_5XX" else 400)
        if chosen is not None and kind in self._responses:
            status = chosen.status
        template = (
            chosen.template if chosen is not None and chosen.template else '{"message":$context.error.messageString}'
        )
        body = template.replace("$context.error.messageString", json.dumps(message)).replace(
            "$context.error.message", message
        )
        headers = dict(chosen.headers) if chosen is not None else {}
        headers["x-amzn-ErrorType"] = {401: "UnauthorizedException", 403: "ForbiddenException"}.get(status, kind)
        return Response(body, status=status, headers=headers, content_type="application/json")

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], str | None]:
        """The route for `method path`, its path parameters, and the resource path matched (None: no resource)."""
        parts = [part for part in path.split("/") if part]
        best: tuple[int, str, dict[str, str]] | None = None
        for resource in {route.path for route in self._routes}:
            parameters = _match_resource(resource, parts)
            if parameters is None:
                continue
            score = sum(0 if part.startswith("{") else 2 for part in resource.split("/") if part)
            score -= 1 if resource.endswith("+}") else 0
            if best is None or score > best[0]:
                best = (score, resource, parameters)
        if best is None:
            return None, {}, None
        _, resource, parameters = best
        for wanted in (method, "ANY"):
            for route in self._routes:
                if route.path == resource and route.method == wanted:
                    return route, parameters, resource
        return None, parameters, resource

    def __call__(self, request: Request, path: str) -> Response:
        route, parameters, resource = self.match(request.method, path)
        if route is None:
            return self.gateway_response("MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token")
        bucket = self._buckets.get((route.path, route.method))
        if bucket is not None and not bucket.take():
            return self.gateway_response("THROTTLED", "Too Many Requests")
        if route.integration == "MOCK":
            return Response(
                status=route.mock_status,
                headers={
                    name.removeprefix("method.response.header."): _unquote(value)
                    for name, value in route.mock_headers.items()
                },
            )
        claims: dict[str, Any] | None = None
        if route.authorization == "COGNITO_USER_POOLS":
            try:
                claims = self._authorizer.verify(request.headers.get("Authorization"), route.scopes)
            except Unauthorized as refused:
                return self.gateway_response("UNAUTHORIZED", str(refused))
        if route.function is None:
            return self.gateway_response("DEFAULT_5XX", "Internal server error")
        event = self.proxy_event(request, path, resource or route.path, parameters, claims)
        try:
            result = self._invoke(route.function, event)
        except FunctionError:
            return self.gateway_response("DEFAULT_5XX", "Internal server error")
        return self._response(result)

    def proxy_event(
        self,
        request: Request,
        path: str,
        resource: str,
        parameters: Mapping[str, str],
        claims: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        body_bytes = request.get_data()
        text_body: str | None
        try:
            text_body = body_bytes.decode() if body_bytes else None
            encoded = False
        except UnicodeDecodeError:
            text_body, encoded = base64.b64encode(body_bytes).decode(), True
        multi_headers: dict[str, list[str]] = {}
        for name, value in request.headers.items():
            multi_headers.setdefault(name, []).append(value)
        query = request.args
        now = datetime.now(UTC)
        request_id = str(uuid.uuid4())
        return {
            "resource": resource,
            "path": path,
            "httpMethod": request.method,
            "headers": {name: values[-1] for name, values in multi_headers.items()},
            "multiValueHeaders": multi_headers,
            "queryStringParameters": {key: query.getlist(key)[-1] for key in query} or None,
            "multiValueQueryStringParameters": {key: query.getlist(key) for key in query} or None,
            "pathParameters": dict(parameters) or None,
            "stageVariables": None,
            "requestContext": {
                "resourceId": "preview",
                "resourcePath": resource,
                "httpMethod": request.method,
                "extendedRequestId": request_id,
                "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "path": f"/{self._stage}{path}",
                "accountId": self._account,
                "protocol": "HTTP/1.1",
                "stage": self._stage,
                "domainPrefix": self._api_id,
                "requestTimeEpoch": int(now.timestamp() * 1000),
                "requestId": request_id,
                "identity": {
                    "sourceIp": request.remote_addr or "127.0.0.1",
                    "userAgent": request.headers.get("User-Agent"),
                    "accountId": None,
                    "caller": None,
                    "user": None,
                    "userArn": None,
                    "cognitoIdentityId": None,
                    "cognitoIdentityPoolId": None,
                    "cognitoAuthenticationType": None,
                    "cognitoAuthenticationProvider": None,
                    "accessKey": None,
                    "apiKey": None,
                    "apiKeyId": None,
                },
                "domainName": request.host,
                "apiId": self._api_id,
                **({"authorizer": {"claims": flatten_claims(claims)}} if claims is not None else {}),
            },
            "body": text_body,
            "isBase64Encoded": encoded,
        }

    def _response(self, result: Any) -> Response:
        if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
            return self.gateway_response("DEFAULT_5XX", "Internal server error")
        body = result.get("body") or ""
        payload = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
        response = Response(payload, status=result["statusCode"])
        response.headers.clear()
        for name, value in (result.get("headers") or {}).items():
            response.headers[name] = str(value)
        for name, values in (result.get("multiValueHeaders") or {}).items():
            response.headers.remove(name)
            for value in values:
                response.headers.add(name, str(value))
        response.headers.setdefault("Content-Type", "application/json")
        return response


def _match_resource(resource: str, parts: list[str]) -> dict[str, str] | None:
    template = [part for part in resource.split("/") if part]
    parameters: dict[str, str] = {}
    for index, piece in enumerate(template):
        if piece.startswith("{") and piece.endswith("+}"):
            rest = parts[index:]
            if not rest:
                return None
            parameters[piece[1:-2]] = "/".join(rest)
            return parameters
        if index >= len(parts):
            return None
        if piece.startswith("{"):
            parameters[piece[1:-1]] = parts[index]
        elif piece != parts[index]:
            return None
    return parameters if len(template) == len(parts) else None
