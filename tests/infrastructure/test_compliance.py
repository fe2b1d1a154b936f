"""cdk-nag's AwsSolutions pack finds nothing unacknowledged, and cfn-lint no error, in every configuration."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_route53 as route53
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import ManualArgs, lint_file

from devportal_constructs import CustomDomainOptions, DevPortal, MarketplaceOptions
from tests.infrastructure.synth import CERTIFICATE_ARN, every_option, new_app


def _domain(stack: cdk.Stack, **options: Any) -> CustomDomainOptions:
    return CustomDomainOptions(
        domain_name="developer.example.com",
        certificate=acm.Certificate.from_certificate_arn(stack, "Certificate", CERTIFICATE_ARN),
        **options,
    )


def _existing_zone(stack: cdk.Stack) -> None:
    zone = route53.HostedZone.from_hosted_zone_attributes(
        stack, "Zone", hosted_zone_id="Z0123456789ABCDEFGHIJ", zone_name="example.com"
    )
    DevPortal(stack, "DevPortal", custom_domain=_domain(stack, hosted_zone=zone))


def _existing_pool_invite(stack: cdk.Stack) -> None:
    pool = cognito.UserPool.from_user_pool_id(stack, "Pool", "eu-west-1_AbCdEfGhI")
    DevPortal(stack, "DevPortal", existing_user_pool=pool, account_registration_mode="invite")


def _marketplace_eventbridge(stack: cdk.Stack) -> None:
    DevPortal(stack, "DevPortal", marketplace=MarketplaceOptions(event_source="eventbridge"))


CONFIGURATIONS: dict[str, Callable[[cdk.Stack], None]] = {
    "no-props": lambda stack: DevPortal(stack, "DevPortal"),
    "every-option": every_option,
    "domain-in-existing-zone": _existing_zone,
    "domain-without-zone": lambda stack: DevPortal(stack, "DevPortal", custom_domain=_domain(stack)),
    "development-mode-no-access-logs": lambda stack: DevPortal(
        stack, "DevPortal", development_mode=True, access_logs=False
    ),
    "invite-with-existing-pool": _existing_pool_invite,
    "marketplace-eventbridge-us-east-1": _marketplace_eventbridge,
}
REGIONS = {"marketplace-eventbridge-us-east-1": "us-east-1"}


@pytest.fixture(scope="module", params=sorted(CONFIGURATIONS))
def synthesized(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """Synthesize one configuration with the AwsSolutions pack plugged in, as an operator's app would."""
    name = request.param
    outdir = tmp_path_factory.mktemp(name)
    app = new_app(outdir)
    region = REGIONS.get(name, "eu-west-1")
    stack = cdk.Stack(app, "PortalStack", env=cdk.Environment(account="123456789012", region=region))
    CONFIGURATIONS[name](stack)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    try:
        app.synth()
    except RuntimeError as error:
        report = outdir / "validation-report.json"
        details = _violations(report) if report.exists() else str(error)
        pytest.fail(f"{name}: cdk-nag found unacknowledged findings:\n{details}")
    return name, outdir / "PortalStack.template.json"


def _violations(report: Path) -> str:
    lines = []
    for plugin in json.loads(report.read_text())["pluginReports"]:
        for violation in plugin["violations"]:
            paths = ", ".join(item["constructPath"] for item in violation["violatingConstructs"])
            lines.append(f"{violation['ruleName']}: {paths}")
    return "\n".join(lines)


def test_cdk_nag_reports_nothing_unacknowledged(synthesized: tuple[str, Path]) -> None:
    name, template = synthesized
    report = template.parent / "validation-report.json"
    if report.exists():
        assert _violations(report) == "", name
    assert template.exists()


def test_cfn_lint_finds_no_errors(synthesized: tuple[str, Path]) -> None:
    name, template = synthesized
    matches = lint_file(template, config=ManualArgs(regions=[REGIONS.get(name, "eu-west-1")]))
    errors = [f"{match.rule.id} {match.message} ({match.path})" for match in matches if match.rule.id.startswith("E")]
    assert errors == [], f"{name}: cfn-lint errors:\n" + "\n".join(errors)
