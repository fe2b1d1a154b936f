"""Accounts: first sign-in and the admin's accounts console (routes come with the accounts work)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayRouter

router = APIGatewayRouter()
