"""What Cognito does that moto does not: triggers, verification codes by email, and a real SRP check.

Every Cognito call reaches moto through here, whether from the browser (``/cognito-idp/``), the runtime or
a test. The user pool's definition (messages, triggers, the client's auth flows) comes from the stack.
"""

from __future__ import annotations

import json
import logging
import secrets
import string
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

from .functions import FunctionError, FunctionHost
from .outbox import Kind, Outbox
from .srp import ServerChallenge

Forward = Callable[[dict[str, Any]], tuple[int, dict[str, str], bytes]]
Answer = tuple[int, dict[str, str], bytes]
_log = logging.getLogger("devportal.preview")
_CODE_LIFETIME = {"signup": 24 * 3600, "password": 3600}
_FLOW_SETTING = {
    "USER_SRP_AUTH": "ALLOW_USER_SRP_AUTH",
    "USER_PASSWORD_AUTH": "ALLOW_USER_PASSWORD_AUTH",
    "REFRESH_TOKEN_AUTH": "ALLOW_REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN": "ALLOW_REFRESH_TOKEN_AUTH",
    "CUSTOM_AUTH": "ALLOW_CUSTOM_AUTH",
    "ADMIN_USER_PASSWORD_AUTH": "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ADMIN_NO_SRP_AUTH": "ALLOW_ADMIN_USER_PASSWORD_AUTH",
}


def error(kind: str, message: str, status: int = 400) -> Answer:
    body = json.dumps({"__type": kind, "message": message}).encode()
    return status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": kind}, body


def _ok(payload: Mapping[str, Any]) -> Answer:
    return 200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(payload).encode()


def _mask(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain[:1]}***"


@dataclass
class _Code:
    value: str
    expires: float


@dataclass
class _SrpAttempt:
    challenge: ServerChallenge
    srp_a: str
    moto_session: str


class CognitoEmulation:
    def __init__(
        self,
        *,
        host: FunctionHost,
        outbox: Outbox,
        pool_id: str,
        pool_definition: Mapping[str, Any],
        triggers: Mapping[str, str],
        region: str,
        account: str,
    ) -> None:
        self._host = host
        self._outbox = outbox
        self._pool_id = pool_id
        self._definition = dict(pool_definition)
        self._triggers = dict(triggers)
        self._region = region
        self._account = account
        self._codes: dict[tuple[str, str], _Code] = {}
        self._srp: dict[str, _SrpAttempt] = {}
        self._lock = threading.Lock()

    # moto's in-process model holds what the API does not return: passwords and the signing key.
    def _backend(self) -> Any:
        from moto.cognitoidp.models import cognitoidp_backends

        return cognitoidp_backends[self._account][self._region]

    def _user(self, username: str, pool_id: str | None = None) -> Any | None:
        try:
            return self._backend().admin_get_user(pool_id or self._pool_id, username)
        except Exception:
            return None

    def _pool_of(self, payload: Mapping[str, Any]) -> str | None:
        if payload.get("UserPoolId"):
            return str(payload["UserPoolId"])
        for pool in self._backend().user_pools.values():
            if payload.get("ClientId") in pool.clients:
                return str(pool.id)
        return None

    def _attributes(self, user: Any) -> dict[str, str]:
        attributes = {item["Name"]: item["Value"] for item in user.attributes}
        attributes.setdefault("sub", user.id)
        attributes["cognito:user_status"] = user.status.value if hasattr(user.status, "value") else str(user.status)
        return attributes

    def _client(self, client_id: str) -> Any | None:
        pool = self._backend().user_pools.get(self._pool_id)
        return None if pool is None else pool.clients.get(client_id)

    def handle(self, operation: str, payload: dict[str, Any], *, chain: str | None, forward: Forward) -> Answer:
        handler = getattr(self, f"_on_{operation}", None)
        pool_id = self._pool_of(payload)
        if operation in ("InitiateAuth", "RespondToAuthChallenge") and pool_id not in (None, self._pool_id):
            # Other pools (a test's, a script's) get a real SRP check too, but no portal triggers or codes.
            return self._srp_only(operation, payload, pool_id, forward)
        if handler is None or pool_id not in (None, self._pool_id):
            return forward(payload)
        return handler(payload, chain, forward)

    # --- triggers -------------------------------------------------------------------------------------------

    def _trigger(
        self, name: str, source: str, user_name: str, request: dict[str, Any], chain: str | None, client_id: str = ""
    ) -> dict[str, Any] | Answer:
        """The trigger's response, or the error answer Cognito gives when the trigger fails."""
        logical_id = self._triggers.get(name)
        if logical_id is None:
            return {}
        event = {
            "version": "2" if name == "PreTokenGeneration" else "1",
            "region": self._region,
            "userPoolId": self._pool_id,
            "userName": user_name,
            "callerContext": {
                "awsSdkVersion": "aws-sdk-unknown-unknown",
                "clientId": client_id or "CLIENT_ID_NOT_APPLICABLE",
            },
            "triggerSource": source,
            "request": request,
            "response": {},
        }
        try:
            result = self._host.invoke(logical_id, event, chain=chain)
        except FunctionError as failure:
            return error("UserLambdaValidationException", f"{name} failed with error {failure}.")
        return dict((result or {}).get("response") or {})

    # --- codes ----------------------------------------------------------------------------------------------

    def _send_code(self, user: Any, purpose: str) -> dict[str, str]:
        code = "".join(secrets.choice(string.digits) for _ in range(6))
        with self._lock:
            self._codes[(purpose, user.id)] = _Code(code, time.time() + _CODE_LIFETIME[purpose])
        email = self._attributes(user).get("email", "")
        template = self._definition.get("VerificationMessageTemplate", {})
        subject = (
            template.get("EmailSubject") or self._definition.get("EmailVerificationSubject") or "Your verification code"
        )
        message = (
            template.get("EmailMessage")
            or self._definition.get("EmailVerificationMessage")
            or "Your verification code is {####}."
        )
        kind: Kind = "verification" if purpose == "signup" else "password-reset"
        self._outbox.send(to=email, subject=subject, body=message.replace("{####}", code), kind=kind, code=code)
        return {"Destination": _mask(email), "DeliveryMedium": "EMAIL", "AttributeName": "email"}

    def _check_code(self, user: Any, purpose: str, given: str) -> Answer | None:
        with self._lock:
            code = self._codes.get((purpose, user.id))
            if code is None or code.value != given:
                return error("CodeMismatchException", "Invalid verification code provided, please try again.")
            if code.expires < time.time():
                return error("ExpiredCodeException", "Invalid code provided, please request a code again.")
            del self._codes[(purpose, user.id)]
        return None

    def latest_code(self, email: str) -> str | None:
        """The last code mailed to `email`, for tests."""
        for sent in reversed(self._outbox.emails()):
            if sent.to == email and sent.code:
                return sent.code
        return None

    # --- operations -----------------------------------------------------------------------------------------

    def _on_SignUp(self, payload: dict[str, Any], chain: str | None, forward: Forward) -> Answer:
        attributes = {item["Name"]: item["Value"] for item in payload.get("UserAttributes", [])}
        attributes.setdefault("email", payload.get("Username", ""))
        response = self._trigger(
            "PreSignUp",
            "PreSignUp_SignUp",
            payload.get("Username", ""),
            {
                "userAttributes": attributes,
                "validationData": {i["Name"]: i["Value"] for i in payload.get("ValidationData", [])},
                "clientMetadata": payload.get("ClientMetadata", {}),
            },
            chain,
            payload.get("ClientId", ""),
        )
        if isinstance(response, tuple):
            return response
        status, headers, body = forward(payload)
        if status != 200:
            return status, headers, body
        result = json.loads(body)
        user = self._user(payload["Username"])
        if user is None:
            return status, headers, body
        if response.get("autoConfirmUser"):
            user.status = type(user.status)("CONFIRMED")
            result["UserConfirmed"] = True
        else:
            result["UserConfirmed"] = False
            result["CodeDeliveryDetails"] = self._send_code(user, "signup")
        result["UserSub"] = user.id
        return _ok(result)

    def _on_ResendConfirmationCode(self, payload: dict[str, Any], chain: str | None, forward: Forward) -> Answer:
        user = self._user(payload.get("Username", ""))
        if user is None:
            return error("UserNotFoundException", "Username/client id combination not found.")
        if self._attributes(user)["cognito:user_status"] != "UNCONFIRMED":
            return error("InvalidParameterException", "User is already confirmed.")
        return _ok({"CodeDeliveryDetails": self._send_code(user, "signup")})

    def _on_ConfirmSignUp(self, payload: dict[str, Any], chain: str | None, forward: Forward) -> Answer:
        user = self._user(payload.get("Username", ""))
        if user is None:
            return error("UserNotFoundException", "Username/client id combination not found.")
        status_now = self._attributes(user)["cognito:user_status"]
        if status_now == "CONFIRMED":
            return error("NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED")
        refused = self._check_code(user, "signup", str(payload.get("ConfirmationCode", "")))
        if refused:
            return refused
        answer = forward(payload)
        if answer[0] == 200:
            self._verify_email(user)
            failed = self._post_confirmation(user, "PostConfirmation_ConfirmSignUp", chain, payload.get("ClientId", ""))
            if failed:
                return failed
        return answer

    def _on_AdminConfirmSignUp(self, payload: dict[str, Any], chain: str | None, forward: Forward) -> Answer:
        answer = forward(payload)
        user = self._user(payload.get("Username", ""))
        if answer[0] == 200 and user is not None:
            failed = self._post_confirmation(user, "PostConfirmation_ConfirmSignUp", chain)
            if failed:
                return failed
        return answer

    def _on_ForgotPassword(self, payload: dict[str, Any], chain: str | None, forward: Forward) -> Answer:
        user = self._user(payload.get("Username", ""))
        if user is None:
            # The portal's client prevents user existence errors: Cognito answers as if it had sent a code.
            return _ok(
                {
                    "CodeDeliveryDetails": {
                        "Destination": _mask(payload.get("Username", "")),
                        "DeliveryMedium": "EMAIL",
                        "AttributeName": "email",
                    }
                }
            )
        answer = forward(payload)
        if answer[0] != 200:
            return answer
        return _ok({"CodeDeliveryDetails": self._send_code(user, "password")})

    def _on_ConfirmForgotPassword(self, payload: dict[str, Any], chain: str | None, forward: Forward) -> Answer:
        user = self._user(payload.get("Username", ""))
        if user is None:
            return error("CodeMismatchException", "Invalid verification code provided, please try again.")
        refused = self._check_code(user, "password", str(payload.get("ConfirmationCode", "")))
        if refused:
            return refused
        answer = forward(payload)
        if answer[0] == 200:
            failed = self._post_confirmation(
                user, "PostConfirmation_ConfirmForgotPassword", chain, payload.get("ClientId", "")
            )
            if failed:
                return failed
        return answer

    def _on_AdminCreateUser(self, payload: dict[str, Any], chain: str | None, forward: Forward) -> Answer:
        attributes = {item["Name"]: item["Value"] for item in payload.get("UserAttributes", [])}
        attributes.setdefault("email", payload.get("Username", ""))
        response = self._trigger(
            "PreSignUp",
            "PreSignUp_AdminCreateUser",
            payload.get("Username", ""),
            {"userAttributes": attributes, "validationData": {}, "clientMetadata": payload.get("ClientMetadata", {})},
            chain,
        )
        if isinstance(response, tuple):
            return response
        if payload.get("MessageAction") != "RESEND":
            payload = {**payload, "TemporaryPassword": payload.get("TemporaryPassword") or self._temporary_password()}
        answer = forward(payload)
        if answer[0] == 200 and payload.get("MessageAction") != "SUPPRESS":
            user = self._user(payload["Username"])
            password = payload.get("TemporaryPassword") or (user.password if user is not None else "")
            template = self._definition.get("AdminCreateUserConfig", {}).get("InviteMessageTemplate", {})
            body = template.get("EmailMessage", "Your username is {username} and temporary password is {####}.")
            self._outbox.send(
                to=attributes["email"],
                subject=template.get("EmailSubject", "Your temporary password"),
                body=body.replace("{username}", payload["Username"]).replace("{####}", password),
                kind="invitation",
                code=password,
            )
        return answer

    def _temporary_password(self) -> str:
        policy = self._definition.get("Policies", {}).get("PasswordPolicy", {})
        length = max(int(policy.get("MinimumLength", 8)), 12)
        pools = [string.ascii_lowercase, string.ascii_uppercase, string.digits, "!#$%&*+-=?@^_"]
        chosen = [secrets.choice(pool) for pool in pools]
        chosen += [secrets.choice("".join(pools)) for _ in range(length - len(chosen))]
        secrets.SystemRandom().shuffle(chosen)
        return "".join(chosen)

    def _verify_email(self, user: Any) -> None:
        if "email" in self._definition.get("AutoVerifiedAttributes", []):
            self._backend().admin_update_user_attributes(
                self._pool_id, user.username, [{"Name": "email_verified", "Value": "true"}]
            )

    def _post_confirmation(self, user: Any, source: str, chain: str | None, client_id: str = "") -> Answer | None:
        response = self._trigger(
            "PostConfirmation", source, user.username, {"userAttributes": self._attributes(user)}, chain, client_id
        )
        return response if isinstance(response, tuple) else None

    # --- sign-in --------------------------------------------------------------------------------------------

    def _srp_only(self, operation: str, payload: dict[str, Any], pool_id: str | None, forward: Forward) -> Answer:
        if operation == "RespondToAuthChallenge":
            return self._on_RespondToAuthChallenge(payload, None, forward, triggers=False)
        answer = forward(payload)
        if answer[0] != 200 or payload.get("AuthFlow") != "USER_SRP_AUTH":
            return answer
        return self._srp_challenge(json.loads(answer[2]), payload, str(pool_id)) or answer

    def _srp_challenge(self, result: dict[str, Any], payload: Mapping[str, Any], pool_id: str) -> Answer | None:
        if result.get("ChallengeName") != "PASSWORD_VERIFIER":
            return None
        parameters = result["ChallengeParameters"]
        user = self._user(parameters["USERNAME"], pool_id)
        if user is None:
            return error("NotAuthorizedException", "Incorrect username or password.")
        challenge = ServerChallenge.start(
            pool_id=pool_id, user_id=parameters["USER_ID_FOR_SRP"], password=user.password or ""
        )
        with self._lock:
            self._srp[challenge.secret_block] = _SrpAttempt(
                challenge, payload["AuthParameters"]["SRP_A"], parameters["SECRET_BLOCK"]
            )
        parameters.update(challenge.parameters)
        return _ok(result)

    def _on_InitiateAuth(self, payload: dict[str, Any], chain: str | None, forward: Forward) -> Answer:
        flow = str(payload.get("AuthFlow", ""))
        client = self._client(str(payload.get("ClientId", "")))
        if client is not None:
            allowed = client.extended_config.get("ExplicitAuthFlows") or []
            setting = _FLOW_SETTING.get(flow)
            if allowed and setting and setting not in allowed:
                return error("InvalidParameterException", f"{flow} flow not enabled for this client")
        answer = forward(payload)
        if answer[0] != 200:
            return answer
        result = json.loads(answer[2])
        if flow == "USER_SRP_AUTH":
            challenged = self._srp_challenge(result, payload, self._pool_id)
            if challenged is not None:
                return challenged
        source = (
            "TokenGeneration_RefreshTokens" if flow.startswith("REFRESH_TOKEN") else "TokenGeneration_Authentication"
        )
        return self._issue(result, source, chain, str(payload.get("ClientId", "")), answer)

    def _on_AdminInitiateAuth(self, payload: dict[str, Any], chain: str | None, forward: Forward) -> Answer:
        answer = forward(payload)
        if answer[0] != 200:
            return answer
        flow = str(payload.get("AuthFlow", ""))
        source = (
            "TokenGeneration_RefreshTokens" if flow.startswith("REFRESH_TOKEN") else "TokenGeneration_Authentication"
        )
        return self._issue(json.loads(answer[2]), source, chain, str(payload.get("ClientId", "")), answer)

    def _on_RespondToAuthChallenge(
        self, payload: dict[str, Any], chain: str | None, forward: Forward, *, triggers: bool = True
    ) -> Answer:
        name = payload.get("ChallengeName")
        responses = dict(payload.get("ChallengeResponses") or {})
        if name == "PASSWORD_VERIFIER":
            with self._lock:
                attempt = self._srp.pop(str(responses.get("PASSWORD_CLAIM_SECRET_BLOCK", "")), None)
            if attempt is None or not attempt.challenge.verify(
                srp_a=attempt.srp_a,
                signature=str(responses.get("PASSWORD_CLAIM_SIGNATURE", "")),
                timestamp=str(responses.get("TIMESTAMP", "")),
            ):
                return error("NotAuthorizedException", "Incorrect username or password.")
            responses["PASSWORD_CLAIM_SECRET_BLOCK"] = attempt.moto_session
            payload = {**payload, "ChallengeResponses": responses}
        answer = forward(payload)
        if answer[0] != 200 or not triggers:
            return answer
        source = (
            "TokenGeneration_NewPasswordChallenge"
            if name == "NEW_PASSWORD_REQUIRED"
            else "TokenGeneration_Authentication"
        )
        return self._issue(json.loads(answer[2]), source, chain, str(payload.get("ClientId", "")), answer)

    _on_AdminRespondToAuthChallenge = _on_RespondToAuthChallenge

    def _on_RevokeToken(self, payload: dict[str, Any], chain: str | None, forward: Forward) -> Answer:
        # moto lacks RevokeToken: forget the refresh token, as Cognito does; unknown tokens succeed too.
        pool = self._backend().user_pools.get(self._pool_id)
        token = str(payload.get("Token", ""))
        issued = pool.refresh_tokens.get(token) if pool is not None else None
        if issued is not None and issued[0] == payload.get("ClientId"):
            pool.refresh_tokens[token] = None
        return _ok({})

    def _issue(self, result: dict[str, Any], source: str, chain: str | None, client_id: str, answer: Answer) -> Answer:
        tokens = result.get("AuthenticationResult")
        if not tokens:
            return answer
        claims = jwt.decode(tokens["IdToken"], self._signing_key()).claims
        user = self._user(claims["cognito:username"])
        if user is None:
            return answer
        # moto puts the username where Cognito puts the email; Cognito's ID token carries the user's attributes.
        attributes = self._attributes(user)
        standard = {name: attributes[name] for name in ("email",) if name in attributes}
        if "email_verified" in attributes:
            standard["email_verified"] = attributes["email_verified"] == "true"
        tokens["IdToken"] = self._override(
            tokens["IdToken"], {"idTokenGeneration": {"claimsToAddOrOverride": standard}}, "idTokenGeneration"
        )
        if "PreTokenGeneration" not in self._triggers:
            return _ok(result)
        groups = [group.group_name for group in getattr(user, "groups", [])]
        response = self._trigger(
            "PreTokenGeneration",
            source,
            user.username,
            {
                "userAttributes": self._attributes(user),
                "groupConfiguration": {"groupsToOverride": groups, "iamRolesToOverride": [], "preferredRole": None},
                "scopes": ["aws.cognito.signin.user.admin"],
            },
            chain,
            client_id,
        )
        if isinstance(response, tuple):
            return response
        overrides = response.get("claimsAndScopeOverrideDetails") or {}
        if overrides:
            tokens["IdToken"] = self._override(tokens["IdToken"], overrides, "idTokenGeneration")
            tokens["AccessToken"] = self._override(tokens["AccessToken"], overrides, "accessTokenGeneration")
        return _ok(result)

    def _signing_key(self) -> RSAKey:
        key: RSAKey = self._backend().user_pools[self._pool_id].json_web_key
        return key

    def _override(self, token: str, overrides: Mapping[str, Any], part: str) -> str:
        key = self._signing_key()
        decoded = jwt.decode(token, key)
        claims = dict(decoded.claims)
        details = overrides.get(part) or {}
        claims.update(details.get("claimsToAddOrOverride") or {})
        for name in details.get("claimsToSuppress") or []:
            claims.pop(name, None)
        group_override = (overrides.get("groupOverrideDetails") or {}).get("groupsToOverride")
        if group_override is not None:
            claims["cognito:groups"] = list(group_override)
        return jwt.encode(dict(decoded.header), claims, key)
