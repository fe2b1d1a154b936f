"""Who may register: the registration mode, the email-domain allow-list and the optional approver."""

from __future__ import annotations

import json
from typing import Any, Literal

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ValidationError, field_validator

from portal_common import accounts, registration
from portal_common.aws import client
from portal_common.settings import settings

logger = Logger(child=True)


class SignUpRefused(Exception):
    """Cognito shows this message to the applicant, so it says what they can do."""


class ApproverAnswer(BaseModel):
    """What the operator's sign-up approver returns: ``{"decision": "approve", "message": "..."}``."""

    decision: Literal["approve", "pending", "refuse"]
    message: str | None = None

    @field_validator("decision", mode="before")
    @classmethod
    def _lowercase(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


def email_domain(email: str) -> str | None:
    local, at, domain = email.strip().rpartition("@")
    if not at or not local or "." not in domain or " " in email.strip():
        return None
    return domain.lower()


def check_sign_up(event: dict[str, Any]) -> None:
    """Refuse the sign-up with a message, or let it through (remembering the approver's decision)."""
    source = event["triggerSource"]
    if source == "PreSignUp_AdminCreateUser":
        return  # An administrator invited this user.
    config = settings()
    if config.registration_mode == "invite":
        raise SignUpRefused(registration.SIGN_UP_INVITE_ONLY)
    attributes = event["request"].get("userAttributes") or {}
    email = attributes.get("email", "")
    domain = email_domain(email)
    if domain is None:
        raise SignUpRefused(registration.SIGN_UP_INVALID_EMAIL)
    if config.allowed_email_domains and domain not in config.allowed_email_domains:
        allowed = ", ".join(config.allowed_email_domains)
        raise SignUpRefused(f"Registration is open to addresses at {allowed} only.")
    if config.sign_up_approver:
        answer = ask_approver(event, email)
        if answer.decision == "refuse":
            raise SignUpRefused(answer.message or registration.SIGN_UP_REFUSED)
        accounts.save_applicant_decision(
            event["userName"],
            {"decision": answer.decision, "approverMessage": answer.message or "", "email": email.lower()},
        )


def ask_approver(event: dict[str, Any], email: str) -> ApproverAnswer:
    payload = {
        "email": email,
        "attributes": event["request"].get("userAttributes") or {},
        "registrationMode": settings().registration_mode,
        "triggerSource": event["triggerSource"],
        "userPoolId": event.get("userPoolId", ""),
    }
    try:
        response = client("lambda").invoke(
            FunctionName=settings().sign_up_approver,
            InvocationType="RequestResponse",
            Payload=json.dumps(payload).encode(),
        )
        body = response["Payload"].read()
        if response.get("FunctionError"):
            logger.error("The sign-up approver failed", extra={"error": body[:2000].decode(errors="replace")})
            raise SignUpRefused(registration.SIGN_UP_UNAVAILABLE)
        return ApproverAnswer.model_validate(json.loads(body or b"null"))
    except (ClientError, BotoCoreError) as error:
        logger.exception("The sign-up approver could not be invoked")
        raise SignUpRefused(registration.SIGN_UP_UNAVAILABLE) from error
    except (ValueError, ValidationError) as error:
        logger.error(
            "The sign-up approver answered something other than "
            '{"decision": "approve" | "pending" | "refuse", "message": "..."}',
            extra={"error": str(error)},
        )
        raise SignUpRefused(registration.SIGN_UP_UNAVAILABLE) from error


def record_confirmed(event: dict[str, Any]) -> dict[str, Any]:
    """Write the account record of a user who just confirmed their email, and set their group."""
    attributes = event["request"]["userAttributes"]
    decision = accounts.take_applicant_decision(event["userName"]) if settings().sign_up_approver else None
    record, _ = registration.ensure_account(
        user_id=attributes["sub"],
        username=event["userName"],
        email=attributes.get("email", ""),
        groups=[],
        user_pool_id=event["userPoolId"],
        decision=None if decision is None else decision.get("decision"),
        approverMessage=None if decision is None else decision.get("approverMessage"),
    )
    return record
