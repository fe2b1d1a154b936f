"""Helpers to synthesize test stacks the way `cdk synth` would, with Lambda bundling skipped."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_events as events
from aws_cdk.assertions import Template

from devportal_constructs import CustomDomainOptions, DevPortal, MarketplaceOptions

ROOT = Path(__file__).resolve().parents[2]
SKIP_BUNDLING = {"aws:cdk:bundling-stacks": []}


def cdk_json_context() -> dict[str, Any]:
    """The feature flags in cdk.json, which `cdk synth` applies; tests apply the same."""
    return json.loads((ROOT / "cdk.json").read_text())["context"]


def new_app(outdir: Path | None = None, **context: Any) -> cdk.App:
    """An app with cdk.json's feature flags and bundling skipped, as `cdk synth` with that context would be."""
    return cdk.App(
        outdir=None if outdir is None else str(outdir), context={**cdk_json_context(), **SKIP_BUNDLING, **context}
    )


def portal_stack(build: Callable[[cdk.Stack], Any], **context: Any) -> tuple[cdk.Stack, Any, Template]:
    """Synthesize a stack holding whatever `build` adds; return it, `build`'s result and its template."""
    app = new_app(**context)
    stack = cdk.Stack(app, "TestStack", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    built = build(stack)
    return stack, built, Template.from_stack(stack)


CERTIFICATE_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
TOPIC_ARN = "arn:aws:sns:us-east-1:287250355862:aws-mp-subscription-notification-abc123"
WEB_ACL_ARN = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/portal/a1b2c3d4"


def every_option(stack: cdk.Stack) -> DevPortal:
    """A portal with every prop set, as the construct and compliance tests synthesize it."""
    return DevPortal(
        stack,
        "DevPortal",
        site_bucket_name="example-portal-site",
        artifacts_bucket_name="example-portal-artifacts",
        cognito_domain_prefix="example-portal",
        account_registration_mode="request",
        allowed_email_domains=["example.com"],
        admin_email="portal-admin@example.com",
        custom_domain=CustomDomainOptions(
            domain_name="developer.example.com",
            certificate=acm.Certificate.from_certificate_arn(stack, "Certificate", CERTIFICATE_ARN),
            create_hosted_zone=True,
        ),
        static_asset_rebuild_mode="overwrite-content",
        static_asset_rebuild_token="2026-12-03",
        marketplace=MarketplaceOptions(subscription_topic_arns=[TOPIC_ARN], product_codes={"abc123": "plan1"}),
        web_acl_arn=WEB_ACL_ARN,
        try_it_out_origins=["https://api.example.com"],
        sync_on_deployment=True,
        sync_schedule=events.Schedule.rate(cdk.Duration.hours(6)),
    )
