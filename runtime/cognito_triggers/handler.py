"""Cognito triggers: who may register, what is recorded when they do, and who may get tokens."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from cognito_triggers import sign_in, sign_up

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def pre_sign_up(event: dict, context: LambdaContext) -> dict:
    sign_up.check_sign_up(event)
    return event


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def post_confirmation(event: dict, context: LambdaContext) -> dict:
    # Forgotten-password confirmations also call this trigger; only a sign-up creates an account.
    if event["triggerSource"] == "PostConfirmation_ConfirmSignUp":
        sign_up.record_confirmed(event)
    return event


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def pre_token_generation(event: dict, context: LambdaContext) -> dict:
    return sign_in.check_token_request(event)
