"""The example stack that app.py, the CLI and the tests synthesize, configured by CDK context."""

from __future__ import annotations

from aws_cdk import App, CfnOutput, RemovalPolicy, Stack, Validations
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_route53 as route53

from .custom_domain import CustomDomainOptions
from .dev_portal import DevPortal
from .marketplace import MarketplaceOptions

STACK_NAME = "DevPortalStack"


def _context(app: App, key: str) -> str | None:
    value = app.node.try_get_context(key)
    if value is None or value == "":
        return None
    return str(value)


def _flag(app: App, key: str) -> bool:
    return (_context(app, key) or "false").lower() == "true"


def _list(app: App, key: str) -> list[str] | None:
    value = _context(app, key)
    return None if value is None else [part.strip() for part in value.split(",") if part.strip()]


def example_stack(app: App, stack_id: str | None = None) -> Stack:
    """The DevPortal stack, with props from context keys named like the original template's parameters.

    Keys: DevPortalSiteS3BucketName, ArtifactsS3BucketName, CognitoDomainNameOrPrefix, CustomDomainName,
    CustomDomainNameAcmCertArn, UseRoute53Nameservers, HostedZoneId (with CustomDomainName, for an
    existing zone), StaticAssetRebuildMode, StaticAssetRebuildToken, AccountRegistrationMode,
    AllowedEmailDomains (comma-separated), DevPortalAdminEmail, MarketplaceSubscriptionTopicArns
    (comma-separated), DevelopmentMode, WebAclArn, RemovalPolicy (retain or destroy), CdkNag (true to run
    the AwsSolutions checks at synth).
    """
    stack = Stack(app, stack_id or _context(app, "StackName") or STACK_NAME, description="Developer portal")

    custom_domain = None
    domain_name = _context(app, "CustomDomainName")
    certificate_arn = _context(app, "CustomDomainNameAcmCertArn")
    if domain_name is not None or certificate_arn is not None:
        hosted_zone_id = _context(app, "HostedZoneId")
        custom_domain = CustomDomainOptions(
            domain_name=domain_name or "",
            certificate=(
                None  # type: ignore[arg-type]
                if certificate_arn is None
                else acm.Certificate.from_certificate_arn(stack, "Certificate", certificate_arn)
            ),
            create_hosted_zone=_flag(app, "UseRoute53Nameservers"),
            hosted_zone=(
                None
                if hosted_zone_id is None or domain_name is None
                else route53.HostedZone.from_hosted_zone_attributes(
                    stack, "HostedZone", hosted_zone_id=hosted_zone_id, zone_name=domain_name
                )
            ),
        )

    topics = _list(app, "MarketplaceSubscriptionTopicArns")
    removal = (_context(app, "RemovalPolicy") or "retain").lower()
    portal = DevPortal(
        stack,
        "DevPortal",
        site_bucket_name=_context(app, "DevPortalSiteS3BucketName"),
        artifacts_bucket_name=_context(app, "ArtifactsS3BucketName"),
        cognito_domain_prefix=_context(app, "CognitoDomainNameOrPrefix"),
        account_registration_mode=_context(app, "AccountRegistrationMode") or "open",  # type: ignore[arg-type]
        allowed_email_domains=_list(app, "AllowedEmailDomains"),
        admin_email=_context(app, "DevPortalAdminEmail"),
        custom_domain=custom_domain,
        static_asset_rebuild_mode=_context(app, "StaticAssetRebuildMode") or "",  # type: ignore[arg-type]
        static_asset_rebuild_token=_context(app, "StaticAssetRebuildToken"),
        marketplace=None if topics is None else MarketplaceOptions(subscription_topic_arns=topics),
        development_mode=_flag(app, "DevelopmentMode"),
        web_acl_arn=_context(app, "WebAclArn"),
        removal_policy=RemovalPolicy.DESTROY if removal == "destroy" else RemovalPolicy.RETAIN,
    )
    if _flag(app, "CdkNag"):
        from cdk_nag import AwsSolutionsChecks

        Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    CfnOutput(stack, "RegistrationMode", value=portal.identity.registration_mode)
    return stack
