"""Hosting: the private site bucket behind CloudFront, security headers, and the optional custom domain."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import jsii
from aws_cdk import CfnOutput, Duration, Fn, IStableStringProducer, Lazy, RemovalPolicy
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ._defaults import secure_bucket
from ._nag import acknowledge


@dataclass(frozen=True, kw_only=True)
class CustomDomainOptions:
    """Serve the portal at your own domain name.

    :param domain_name: The portal's host name, for example ``developer.example.com``.
    :param certificate: An ACM certificate for ``domain_name`` in us-east-1, as CloudFront requires
        (``acm.Certificate.from_certificate_arn(...)`` is fine).
    :param hosted_zone: A Route 53 zone to create the A and AAAA alias records in.
        Default: - no records in an existing zone.
    :param create_hosted_zone: Create a public hosted zone for ``domain_name`` with the alias records; point
        your registrar at its name servers (the ``NameServers`` output). Default: - False.
    """

    domain_name: str
    certificate: acm.ICertificate
    hosted_zone: route53.IHostedZone | None = None
    create_hosted_zone: bool = False


# Paths without a file extension are the single-page app's routes; everything else is a file.
_SPA_ROUTES_FUNCTION = """
function handler(event) {
  var request = event.request;
  var name = request.uri.substring(request.uri.lastIndexOf('/') + 1);
  if (name.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
"""


def content_security_policy(connect_sources: Sequence[str], form_targets: Sequence[str]) -> str:
    """The portal's CSP: its own files only, and calls to the backend and Cognito alone."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'", *connect_sources],
        "form-action": ["'self'", *form_targets],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
        "upgrade-insecure-requests": [],
    }
    return "; ".join(" ".join([name, *values]) for name, values in directives.items())


@jsii.implements(IStableStringProducer)
class _Producer:
    def __init__(self, produce: Callable[[], str]) -> None:
        self._produce = produce

    def produce(self) -> str:
        return self._produce()


class CustomDomain(Construct):
    """Serves the portal's static site from a private bucket through CloudFront, at an optional domain.

    The bucket is reachable only by this distribution (origin access control). Extension-less paths are the
    app's routes and answer ``index.html`` with 200; a missing file answers the site's 404 page with 404.
    Every response carries HSTS, a strict CSP, ``nosniff``, ``frame-ancestors 'none'`` and a referrer policy.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        connect_sources: Sequence[str],
        form_targets: Sequence[str] = (),
        site_bucket_name: str | None = None,
        custom_domain: CustomDomainOptions | None = None,
        web_acl_arn: str | None = None,
        access_logs_bucket: s3.IBucket | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        """
        :param connect_sources: Origins the site's scripts may call besides its own (backend, Cognito).
        :param form_targets: Origins forms may submit to besides the site's (the Cognito managed login).
            Default: - the site's own origin only.
        :param site_bucket_name: Name of the site bucket. Default: - a name CloudFormation generates.
        :param custom_domain: Serve the site at your own domain. Default: - the CloudFront domain only.
        :param web_acl_arn: ARN of a WAFv2 web ACL (scope CLOUDFRONT) to protect the site with.
            Default: - no web ACL.
        :param access_logs_bucket: Where CloudFront and S3 access logs go. It must allow ACLs.
            Default: - no access logs.
        :param removal_policy: What happens to the bucket when it leaves the stack. Default: - RETAIN.
        """
        super().__init__(scope, construct_id)
        self._connect_sources = list(connect_sources)
        self._form_targets = list(form_targets)

        self.site_bucket: s3.Bucket = secure_bucket(
            self,
            "SiteBucket",
            bucket_name=site_bucket_name,
            removal_policy=removal_policy,
            server_access_logs_bucket=access_logs_bucket,
            # A prefix without a bucket would make S3 log the bucket into itself.
            server_access_logs_prefix=None if access_logs_bucket is None else "site-bucket/",
        )
        """The private bucket holding the site and the operator's ``custom-content/``."""

        self.response_headers_policy: cloudfront.ResponseHeadersPolicy = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="Developer portal security headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(730),
                    include_subdomains=True,
                    preload=True,
                    override=True,
                ),
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=Lazy.string(
                        _Producer(lambda: content_security_policy(self._connect_sources, self._form_targets))
                    ),
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                    override=True,
                ),
            ),
        )
        """HSTS, CSP, nosniff, frame denial and referrer policy on every response."""

        spa_routes = cloudfront.Function(
            self,
            "SpaRoutes",
            code=cloudfront.FunctionCode.from_inline(_SPA_ROUTES_FUNCTION),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="Serves index.html for the portal's client-side routes",
        )

        # Operators change custom-content/ by hand, with no deploy to invalidate it: five minutes at the edge.
        self.custom_content_cache_policy: cloudfront.CachePolicy = cloudfront.CachePolicy(
            self,
            "CustomContentCache",
            comment="Developer portal custom content: short-lived, the operator edits it in place",
            default_ttl=Duration.minutes(5),
            min_ttl=Duration.seconds(0),
            max_ttl=Duration.hours(1),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
        """The cache policy of ``custom-content/*``: five minutes unless the object says otherwise."""

        origin = origins.S3BucketOrigin.with_origin_access_control(self.site_bucket)
        domain_names = None if custom_domain is None else [custom_domain.domain_name]
        self.distribution: cloudfront.Distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="Developer portal",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.response_headers_policy,
                compress=True,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=spa_routes, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            ),
            additional_behaviors={
                "custom-content/*": cloudfront.BehaviorOptions(
                    origin=origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
                    cache_policy=self.custom_content_cache_policy,
                    response_headers_policy=self.response_headers_policy,
                    compress=True,
                )
            },
            # Without s3:ListBucket the origin answers 403 for a missing object; both mean "not found".
            error_responses=[
                cloudfront.ErrorResponse(
                    http_status=status,
                    response_http_status=404,
                    response_page_path="/404.html",
                    ttl=Duration.minutes(1),
                )
                for status in (403, 404)
            ],
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            domain_names=domain_names,
            certificate=None if custom_domain is None else custom_domain.certificate,
            web_acl_id=web_acl_arn,
            enable_logging=access_logs_bucket is not None,
            log_bucket=access_logs_bucket,
            log_file_prefix=None if access_logs_bucket is None else "cloudfront/",
        )
        """The CloudFront distribution that serves the site."""

        acknowledge(
            self.distribution,
            "CFR1",
            "A developer portal serves API consumers worldwide; geo restriction is the operator's call.",
        )
        if web_acl_arn is None:
            acknowledge(self.distribution, "CFR2", "No web ACL was given (web_acl_arn); the site is static files.")
        if access_logs_bucket is None:
            acknowledge(
                self.distribution,
                "CFR3",
                "Access logging was turned off by the operator (access_logs=False).",
            )
            acknowledge(self.site_bucket, "S1", "Access logging was turned off by the operator (access_logs=False).")
        if custom_domain is None:
            acknowledge(
                self.distribution,
                "CFR4",
                "Without a custom domain CloudFront's default certificate is used, which allows TLS 1.0; set "
                "custom_domain to enforce TLS 1.2.",
            )

        self.website_url: str = (
            f"https://{self.distribution.distribution_domain_name}"
            if custom_domain is None
            else f"https://{custom_domain.domain_name}"
        )
        """The portal's URL: the custom domain when one is set, else the CloudFront domain."""
        self.distribution_url: str = f"https://{self.distribution.distribution_domain_name}"
        """The CloudFront domain's URL, which serves the portal whether or not a custom domain is set."""

        self.hosted_zone: route53.IHostedZone | None = None
        """The zone holding the portal's alias records, when there is one."""
        if custom_domain is not None:
            self._add_dns(custom_domain)

    def add_connect_source(self, origin: str) -> None:
        """Let the site's scripts call `origin` (``https://host``) as well; it joins the CSP's connect-src."""
        self._connect_sources.append(origin)

    def _add_dns(self, custom_domain: CustomDomainOptions) -> None:
        if custom_domain.create_hosted_zone:
            zone = route53.PublicHostedZone(self, "HostedZone", zone_name=custom_domain.domain_name)
            self.hosted_zone = zone
            CfnOutput(
                self,
                "NameServers",
                description=f"Delegate {custom_domain.domain_name} to these name servers at your registrar.",
                value=Fn.join(", ", zone.hosted_zone_name_servers or []),
            )
        else:
            self.hosted_zone = custom_domain.hosted_zone

        if self.hosted_zone is None:
            CfnOutput(
                self,
                "DnsTarget",
                description=(
                    f"Point {custom_domain.domain_name} at this name with a CNAME record "
                    "(or an ALIAS at the zone apex) at your DNS provider."
                ),
                value=self.distribution.distribution_domain_name,
            )
            return

        target = route53.RecordTarget.from_alias(targets.CloudFrontTarget(self.distribution))
        record_name = custom_domain.domain_name
        route53.ARecord(self, "AliasRecord", zone=self.hosted_zone, record_name=record_name, target=target)
        route53.AaaaRecord(self, "AliasRecordIpv6", zone=self.hosted_zone, record_name=record_name, target=target)
