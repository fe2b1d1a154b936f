"""Invalid props fail at synth with one DevPortalValidationError naming the path, prop, value and fix."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_route53 as route53

from devportal_constructs import CustomDomainOptions, DevPortal, DevPortalValidationError, MarketplaceOptions

US_EAST_CERT = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
EU_CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"


def new_stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(context={"aws:cdk:bundling-stacks": []}), "ValidationStack")


def portal(**props: Any) -> DevPortal:
    return DevPortal(new_stack(), "DevPortal", **props)


def domain(stack: cdk.Stack, *, arn: str = US_EAST_CERT, **options: Any) -> CustomDomainOptions:
    return CustomDomainOptions(
        domain_name=options.pop("domain_name", "developer.example.com"),
        certificate=acm.Certificate.from_certificate_arn(stack, "Cert", arn),
        **options,
    )


@pytest.mark.parametrize(
    ("name", "fix"),
    [
        ("My_Bucket", "lowercase letters"),
        ("ab", "3 to 63 characters"),
        ("portal..site", "adjacent dots"),
        ("192.168.1.1", "IP address"),
        ("xn--portal", "reserves"),
    ],
)
def test_fails_when_the_site_bucket_name_is_one_s3_refuses(name: str, fix: str) -> None:
    with pytest.raises(DevPortalValidationError, match=rf"site_bucket_name='{name}'.*{fix}"):
        portal(site_bucket_name=name)


def test_fails_when_the_artifacts_bucket_name_is_one_s3_refuses() -> None:
    with pytest.raises(DevPortalValidationError, match=r"artifacts_bucket_name='Artifacts!'"):
        portal(artifacts_bucket_name="Artifacts!")


def test_fails_when_both_buckets_share_a_name() -> None:
    with pytest.raises(DevPortalValidationError, match=r"artifacts_bucket_name='same-name'.*other than"):
        portal(site_bucket_name="same-name", artifacts_bucket_name="same-name")


def test_fails_when_the_certificate_is_outside_us_east_1() -> None:
    stack = new_stack()
    with pytest.raises(DevPortalValidationError, match=r"custom_domain.certificate=.*eu-west-1.*us-east-1"):
        DevPortal(stack, "DevPortal", custom_domain=domain(stack, arn=EU_CERT))


def test_fails_when_a_domain_has_no_certificate() -> None:
    stack = new_stack()
    options = CustomDomainOptions(domain_name="developer.example.com", certificate=None)  # type: ignore[arg-type]
    with pytest.raises(DevPortalValidationError, match=r"custom_domain.certificate=None: give the ACM certificate"):
        DevPortal(stack, "DevPortal", custom_domain=options)


def test_fails_when_a_certificate_has_no_domain() -> None:
    stack = new_stack()
    with pytest.raises(DevPortalValidationError, match=r"custom_domain.domain_name='': name the portal's host"):
        DevPortal(stack, "DevPortal", custom_domain=domain(stack, domain_name=""))


def test_fails_when_the_domain_name_is_malformed() -> None:
    stack = new_stack()
    with pytest.raises(DevPortalValidationError, match=r"custom_domain.domain_name='not a domain'"):
        DevPortal(stack, "DevPortal", custom_domain=domain(stack, domain_name="not a domain"))


def test_fails_when_create_hosted_zone_comes_with_a_hosted_zone() -> None:
    stack = new_stack()
    zone = route53.HostedZone.from_hosted_zone_attributes(stack, "Zone", hosted_zone_id="Z123", zone_name="example.com")
    with pytest.raises(DevPortalValidationError, match=r"create_hosted_zone=True: either create.*not both"):
        DevPortal(stack, "DevPortal", custom_domain=domain(stack, create_hosted_zone=True, hosted_zone=zone))


def test_fails_when_the_registration_mode_is_unknown() -> None:
    with pytest.raises(DevPortalValidationError, match=r"account_registration_mode='closed': use one of 'open'"):
        portal(account_registration_mode="closed")


def test_fails_when_the_rebuild_mode_is_unknown() -> None:
    with pytest.raises(
        DevPortalValidationError, match=r"static_asset_rebuild_mode='overwrite': use one of '', 'overwrite-content'"
    ):
        portal(static_asset_rebuild_mode="overwrite")


def test_fails_when_the_admin_email_is_malformed() -> None:
    with pytest.raises(DevPortalValidationError, match=r"admin_email='admin-at-example.com': use an email"):
        portal(admin_email="admin-at-example.com")


@pytest.mark.parametrize(
    ("prefix", "fix"),
    [
        ("my-aws-portal", "remove 'aws'"),
        ("amazonportal", "remove 'amazon'"),
        ("portal-cognito", "remove 'cognito'"),
        ("Portal_Prefix", "lowercase letters, digits and hyphens"),
        ("-portal", "starting and ending"),
        ("p" * 64, "1 to 63"),
    ],
)
def test_fails_when_the_cognito_prefix_is_one_cognito_refuses(prefix: str, fix: str) -> None:
    with pytest.raises(DevPortalValidationError, match=rf"cognito_domain_prefix='{prefix}'.*{fix}"):
        portal(cognito_domain_prefix=prefix)


def test_fails_when_allowed_domains_come_with_invite_mode() -> None:
    with pytest.raises(DevPortalValidationError, match=r"allowed_email_domains=\['example.com'\]: remove it"):
        portal(account_registration_mode="invite", allowed_email_domains=["example.com"])


def test_fails_when_an_allowed_domain_is_malformed() -> None:
    with pytest.raises(DevPortalValidationError, match=r"allowed_email_domains='@example': use a domain name"):
        portal(allowed_email_domains=["@example"])


def test_fails_when_allowed_domains_is_one_string() -> None:
    with pytest.raises(DevPortalValidationError, match=r"allowed_email_domains='example.com': give a list"):
        portal(allowed_email_domains="example.com")


def test_fails_when_the_web_acl_is_not_a_cloudfront_one() -> None:
    regional = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/portal/a1b2"
    with pytest.raises(DevPortalValidationError, match=r"web_acl_arn=.*scope CLOUDFRONT"):
        portal(web_acl_arn=regional)


def test_fails_when_marketplace_has_no_topics() -> None:
    with pytest.raises(DevPortalValidationError, match=r"marketplace.subscription_topic_arns=\[\]: give a list"):
        portal(marketplace=MarketplaceOptions(subscription_topic_arns=[]))


def test_fails_when_a_marketplace_topic_is_not_an_sns_arn() -> None:
    with pytest.raises(DevPortalValidationError, match=r"subscription_topic_arns='my-topic': use an SNS topic ARN"):
        portal(marketplace=MarketplaceOptions(subscription_topic_arns=["my-topic"]))


def test_fails_when_eventbridge_comes_with_topics() -> None:
    with pytest.raises(DevPortalValidationError, match=r"subscription_topic_arns=\['arn:aws:sns:.*'\]: leave it out"):
        portal(
            marketplace=MarketplaceOptions(
                event_source="eventbridge",
                subscription_topic_arns=["arn:aws:sns:us-east-1:287250355862:aws-mp-subscription-notification-x"],
            )
        )


def test_fails_when_eventbridge_is_chosen_outside_us_east_1() -> None:
    stack = cdk.Stack(
        cdk.App(context={"aws:cdk:bundling-stacks": []}), "EuStack", env=cdk.Environment(region="eu-west-1")
    )
    with pytest.raises(DevPortalValidationError, match=r"event_source='eventbridge': the stack is in eu-west-1"):
        DevPortal(stack, "DevPortal", marketplace=MarketplaceOptions(event_source="eventbridge"))


def test_fails_when_the_event_source_is_unknown() -> None:
    with pytest.raises(
        DevPortalValidationError, match=r"marketplace.event_source='sqs': use one of 'sns', 'eventbridge'"
    ):
        portal(marketplace=MarketplaceOptions(event_source="sqs", subscription_topic_arns=[]))  # type: ignore[arg-type]


def test_fails_when_a_product_code_maps_to_a_malformed_plan_id() -> None:
    with pytest.raises(DevPortalValidationError, match=r"product_codes=\{'prod1': 'plan 1'\}: map each product code"):
        portal(
            marketplace=MarketplaceOptions(
                subscription_topic_arns=["arn:aws:sns:us-east-1:287250355862:aws-mp-subscription-notification-x"],
                product_codes={"prod1": "plan 1"},
            )
        )


@pytest.mark.parametrize("origin", ["http://api.example.com", "https://api.example.com/v1", "api.example.com"])
def test_fails_when_a_try_it_out_origin_is_not_an_https_origin(origin: str) -> None:
    with pytest.raises(DevPortalValidationError, match=rf"try_it_out_origins='{origin}': use an https origin"):
        portal(try_it_out_origins=[origin])


def test_every_problem_is_reported_at_once_with_the_construct_path() -> None:
    with pytest.raises(DevPortalValidationError) as raised:
        portal(site_bucket_name="Bad_Name", admin_email="nope", account_registration_mode="closed")
    error = raised.value
    assert str(error).startswith("ValidationStack/DevPortal: 3 invalid props:")
    assert len(error.problems) == 3


def test_unresolved_tokens_are_not_validated() -> None:
    stack = new_stack()
    name = cdk.CfnParameter(stack, "BucketName").value_as_string
    email = cdk.CfnParameter(stack, "AdminEmail").value_as_string
    DevPortal(stack, "DevPortal", site_bucket_name=name, admin_email=email)


def test_fails_when_a_cognito_prefix_comes_with_a_cognito_custom_domain() -> None:
    stack = new_stack()
    login = cognito.CustomDomainOptions(
        domain_name="login.example.com",
        certificate=acm.Certificate.from_certificate_arn(stack, "LoginCert", US_EAST_CERT),
    )
    with pytest.raises(
        DevPortalValidationError, match=r"cognito_custom_domain='login.example.com': give cognito_domain"
    ):
        DevPortal(stack, "DevPortal", cognito_domain_prefix="portal", cognito_custom_domain=login)
