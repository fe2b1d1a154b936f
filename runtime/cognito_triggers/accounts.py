"""Registration rules and account records, enforced where Cognito asks."""

from __future__ import annotations

from datetime import UTC, datetime

from portal_common.aws import client, resource
from portal_common.settings import settings


class SignUpRefused(Exception):
    """Cognito shows this message to the applicant, so it says what they can do."""


def check_sign_up(email: str, trigger_source: str) -> None:
    config = settings()
    if trigger_source == "PreSignUp_AdminCreateUser":
        return
    if config.registration_mode == "invite":
        raise SignUpRefused("This portal is invitation only. Ask an administrator to invite you.")
    domain = email.rsplit("@", 1)[-1].lower() if "@" in email else ""
    if not domain:
        raise SignUpRefused("Enter a valid email address.")
    if config.allowed_email_domains and domain not in config.allowed_email_domains:
        allowed = ", ".join(config.allowed_email_domains)
        raise SignUpRefused(f"Registration is open to addresses at {allowed} only.")


def record_confirmed(*, user_pool_id: str, username: str, attributes: dict[str, str]) -> None:
    config = settings()
    pending = config.registration_mode == "request"
    now = datetime.now(UTC).isoformat()
    _put_account(config.accounts_table, attributes, pending, now)
    if not pending:
        client("cognito-idp").admin_add_user_to_group(
            UserPoolId=user_pool_id, Username=username, GroupName=config.registered_group
        )


def _put_account(table: str, attributes: dict[str, str], pending: bool, now: str) -> None:
    item = {
        "userId": attributes["sub"],
        "email": attributes.get("email", ""),
        "status": "pending_request" if pending else "registered",
        "registrationMethod": settings().registration_mode,
        "dateRegistered": now,
    }
    try:
        resource("dynamodb").Table(table).put_item(Item=item, ConditionExpression="attribute_not_exists(userId)")
    except resource("dynamodb").meta.client.exceptions.ConditionalCheckFailedException:
        # Cognito retries triggers; the first confirmation's record stands.
        pass


def check_may_sign_in(user_id: str) -> None:
    item = resource("dynamodb").Table(settings().accounts_table).get_item(Key={"userId": user_id}).get("Item")
    status = (item or {}).get("status", "registered")
    if status == "pending_request":
        raise SignUpRefused("Your registration is waiting for an administrator's approval.")
    if status == "denied":
        raise SignUpRefused("Your registration was declined. Contact the portal's administrators.")
