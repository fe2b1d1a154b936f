"""Cognito triggers: who may register, what is recorded when they do, and who may get tokens."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from cognito_triggers import accounts

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def pre_sign_up(event: dict, context: LambdaContext) -> dict:
    accounts.check_sign_up(event["request"]["userAttributes"].get("email", ""), event["triggerSource"])
    return event


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def post_confirmation(event: dict, context: LambdaContext) -> dict:
    if event["triggerSource"] == "PostConfirmation_ConfirmSignUp":
        accounts.record_confirmed(
            user_pool_id=event["userPoolId"],
            username=event["userName"],
            attributes=event["request"]["userAttributes"],
        )
    return event


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def pre_token_generation(event: dict, context: LambdaContext) -> dict:
    accounts.check_may_sign_in(event["request"]["userAttributes"].get("sub", ""))
    return event
