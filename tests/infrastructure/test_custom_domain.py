"""CustomDomain: private bucket, CloudFront with OAC, security headers, the three DNS variants, WAF, logs."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

from tests.infrastructure.synth import portal_stack

DOMAIN = "developer.example.com"
CERTIFICATE_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
WEB_ACL_ARN = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/portal/0123-abcd"
COGNITO_IDP = "https://cognito-idp.eu-west-1.amazonaws.com"
COGNITO_LOGIN = "https://portal.auth.eu-west-1.amazoncognito.com"
API_ORIGIN = "https://abc123.execute-api.eu-west-1.amazonaws.com"


def hosting(**props: Any):
    def build(stack: cdk.Stack):
        from devportal_constructs import CustomDomain, CustomDomainOptions

        domain = props.pop("domain", None)
        if domain is not None:
            zone = domain.pop("zone", None)
            domain = CustomDomainOptions(
                domain_name=DOMAIN,
                certificate=acm.Certificate.from_certificate_arn(stack, "Certificate", CERTIFICATE_ARN),
                hosted_zone=(
                    None
                    if zone is None
                    else route53.HostedZone.from_hosted_zone_attributes(
                        stack, "Zone", hosted_zone_id=zone, zone_name="example.com"
                    )
                ),
                **domain,
            )
        logs = None
        if props.pop("logs", False):
            logs = s3.Bucket(stack, "Logs", object_ownership=s3.ObjectOwnership.OBJECT_WRITER)
        hosting = CustomDomain(
            stack,
            "Hosting",
            connect_sources=[COGNITO_IDP, COGNITO_LOGIN],
            form_targets=[COGNITO_LOGIN],
            custom_domain=domain,
            access_logs_bucket=logs,
            **props,
        )
        # The backend is created after the hosting in DevPortal; its origin joins the CSP later.
        hosting.add_connect_source(API_ORIGIN)
        return hosting

    return build


@pytest.fixture(scope="module")
def plain() -> Template:
    return portal_stack(hosting())[2]


@pytest.fixture(scope="module")
def created_zone() -> Template:
    return portal_stack(hosting(domain={"create_hosted_zone": True}, web_acl_arn=WEB_ACL_ARN, logs=True))[2]


@pytest.fixture(scope="module")
def existing_zone() -> Template:
    return portal_stack(hosting(domain={"zone": "Z0123456789ABC"}))[2]


@pytest.fixture(scope="module")
def no_zone() -> Template:
    return portal_stack(hosting(domain={}))[2]


def distribution_config(template: Template) -> dict:
    (distribution,) = template.find_resources("AWS::CloudFront::Distribution").values()
    return distribution["Properties"]["DistributionConfig"]


def csp(template: Template) -> dict[str, list[str]]:
    (policy,) = template.find_resources("AWS::CloudFront::ResponseHeadersPolicy").values()
    value = policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"]
    text = value["ContentSecurityPolicy"]
    assert isinstance(text, str), "with literal origins the CSP is one literal string"
    directives = [part.split() for part in text.split(";")]
    return {parts[0]: parts[1:] for parts in directives if parts}


# --- the bucket ---------------------------------------------------------------------------------------------


def test_site_bucket_is_private_versioned_encrypted_and_refuses_plain_http(plain):
    plain.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "VersioningConfiguration": {"Status": "Enabled"},
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        },
    )
    plain.has_resource("AWS::S3::Bucket", {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})
    (bucket,) = plain.find_resources("AWS::S3::Bucket").values()
    assert "LoggingConfiguration" not in bucket["Properties"], "without a logs bucket the site is not logged"
    plain.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "s3:*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_only_this_distribution_reads_the_bucket_through_origin_access_control(plain):
    plain.resource_count_is("AWS::CloudFront::CloudFrontOriginAccessIdentity", 0)
    plain.has_resource_properties(
        "AWS::CloudFront::OriginAccessControl",
        {
            "OriginAccessControlConfig": {
                "OriginAccessControlOriginType": "s3",
                "SigningBehavior": "always",
                "SigningProtocol": "sigv4",
            }
        },
    )
    (origin,) = distribution_config(plain)["Origins"]
    assert "OriginAccessControlId" in origin
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    (policy,) = plain.find_resources("AWS::S3::BucketPolicy").values()
    allows = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    (allow,) = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert "AWS:SourceArn" in allow["Condition"]["StringEquals"]


# --- the distribution ---------------------------------------------------------------------------------------


def test_distribution_serves_https_only_over_http2_and_http3(plain):
    config = distribution_config(plain)
    assert config["HttpVersion"] == "http2and3"
    assert config["DefaultRootObject"] == "index.html"
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert [b["ViewerProtocolPolicy"] for b in config["CacheBehaviors"]] == ["redirect-to-https"]


def test_missing_files_get_the_404_page_with_status_404(plain):
    responses = distribution_config(plain)["CustomErrorResponses"]
    assert sorted(responses, key=lambda r: r["ErrorCode"]) == [
        {"ErrorCode": 403, "ResponseCode": 404, "ResponsePagePath": "/404.html", "ErrorCachingMinTTL": 60},
        {"ErrorCode": 404, "ResponseCode": 404, "ResponsePagePath": "/404.html", "ErrorCachingMinTTL": 60},
    ]


def test_no_lambda_at_edge_only_a_cloudfront_function_for_the_app_routes(plain):
    plain.resource_count_is("AWS::Lambda::Function", 0)
    behavior = distribution_config(plain)["DefaultCacheBehavior"]
    assert "LambdaFunctionAssociations" not in behavior
    (association,) = behavior["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    plain.has_resource_properties(
        "AWS::CloudFront::Function", {"FunctionConfig": Match.object_like({"Runtime": "cloudfront-js-2.0"})}
    )


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js, which the CDK itself needs")
def test_the_route_function_sends_app_routes_to_index_and_leaves_files_alone(plain):
    # Given the function's code as deployed
    (function,) = plain.find_resources("AWS::CloudFront::Function").values()
    code = function["Properties"]["FunctionCode"]
    uris = [
        "/",
        "/getting-started",
        "/apis/abc123/prod",
        "/app/main.js",
        "/404.html",
        "/custom-content/a.png",
    ]
    script = code + f"\nconsole.log(JSON.stringify({json.dumps(uris)}.map(u => handler({{request: {{uri: u}}}}).uri)))"

    # When CloudFront would run it on these requests
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True).stdout

    # Then routes become /index.html and files keep their path (a missing one then gets the 404 page)
    assert json.loads(out) == [
        "/index.html",
        "/index.html",
        "/index.html",
        "/app/main.js",
        "/404.html",
        "/custom-content/a.png",
    ]


def test_custom_content_is_cached_briefly_because_operators_edit_it_in_place(plain):
    (behavior,) = distribution_config(plain)["CacheBehaviors"]
    assert behavior["PathPattern"] == "custom-content/*"
    assert "ResponseHeadersPolicyId" in behavior
    plain.has_resource_properties(
        "AWS::CloudFront::CachePolicy",
        {"CachePolicyConfig": Match.object_like({"DefaultTTL": 300, "MinTTL": 0, "MaxTTL": 3600})},
    )


# --- the security headers -----------------------------------------------------------------------------------


def test_every_response_carries_hsts_nosniff_frame_denial_and_a_referrer_policy(plain):
    plain.has_resource_properties(
        "AWS::CloudFront::ResponseHeadersPolicy",
        {
            "ResponseHeadersPolicyConfig": Match.object_like(
                {
                    "SecurityHeadersConfig": Match.object_like(
                        {
                            "StrictTransportSecurity": {
                                "AccessControlMaxAgeSec": 63072000,
                                "IncludeSubdomains": True,
                                "Preload": True,
                                "Override": True,
                            },
                            "ContentTypeOptions": {"Override": True},
                            "FrameOptions": {"FrameOption": "DENY", "Override": True},
                            "ReferrerPolicy": {
                                "ReferrerPolicy": "strict-origin-when-cross-origin",
                                "Override": True,
                            },
                        }
                    )
                }
            )
        },
    )


def test_the_csp_allows_own_files_and_calls_only_to_the_api_and_cognito(plain):
    policy = csp(plain)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'", COGNITO_IDP, COGNITO_LOGIN, API_ORIGIN]
    assert policy["form-action"] == ["'self'", COGNITO_LOGIN]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    everything = " ".join(value for values in policy.values() for value in values)
    assert "unsafe" not in everything
    assert "*" not in everything


# --- DNS: three ways ----------------------------------------------------------------------------------------


def test_a_custom_domain_becomes_the_alias_with_its_certificate_and_tls_1_2(no_zone):
    config = distribution_config(no_zone)
    assert config["Aliases"] == [DOMAIN]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": CERTIFICATE_ARN,
        "MinimumProtocolVersion": "TLSv1.2_2021",
        "SslSupportMethod": "sni-only",
    }


def test_without_a_domain_the_distribution_has_no_aliases(plain):
    assert "Aliases" not in distribution_config(plain)
    plain.resource_count_is("AWS::Route53::RecordSet", 0)


def test_a_created_zone_gets_a_and_aaaa_aliases_and_the_name_servers_output(created_zone):
    created_zone.has_resource_properties("AWS::Route53::HostedZone", {"Name": f"{DOMAIN}."})
    for record_type in ("A", "AAAA"):
        created_zone.has_resource_properties(
            "AWS::Route53::RecordSet",
            {
                "Type": record_type,
                "Name": f"{DOMAIN}.",
                "HostedZoneId": {"Ref": Match.string_like_regexp("HostingHostedZone")},
                "AliasTarget": {
                    "DNSName": {"Fn::GetAtt": [Match.string_like_regexp("HostingDistribution"), "DomainName"]},
                    "HostedZoneId": Match.any_value(),
                },
            },
        )
    created_zone.has_output("*", {"Description": Match.string_like_regexp("name servers")})


def test_an_existing_zone_gets_the_records_and_no_new_zone(existing_zone):
    existing_zone.resource_count_is("AWS::Route53::HostedZone", 0)
    existing_zone.resource_count_is("AWS::Route53::RecordSet", 2)
    existing_zone.has_resource_properties(
        "AWS::Route53::RecordSet", {"Type": "AAAA", "HostedZoneId": "Z0123456789ABC", "Name": f"{DOMAIN}."}
    )


def test_without_a_zone_the_output_says_where_to_point_dns(no_zone):
    no_zone.resource_count_is("AWS::Route53::RecordSet", 0)
    no_zone.resource_count_is("AWS::Route53::HostedZone", 0)
    outputs = no_zone.find_outputs("*", {"Description": Match.string_like_regexp("CNAME")})
    (output,) = outputs.values()
    resource, attribute = output["Value"]["Fn::GetAtt"]
    assert resource.startswith("HostingDistribution") and attribute == "DomainName"
    assert DOMAIN in output["Description"]


# --- WAF and logs -------------------------------------------------------------------------------------------


def test_web_acl_protects_the_distribution_when_given(created_zone, plain):
    assert distribution_config(created_zone)["WebACLId"] == WEB_ACL_ARN
    assert "WebACLId" not in distribution_config(plain)


def test_access_logs_go_to_the_logs_bucket_when_given(created_zone, plain):
    logging = distribution_config(created_zone)["Logging"]
    assert logging["Prefix"] == "cloudfront/"
    assert logging["Bucket"]["Fn::GetAtt"][1] == "RegionalDomainName"
    created_zone.has_resource_properties(
        "AWS::S3::Bucket", {"LoggingConfiguration": Match.object_like({"LogFilePrefix": "site-bucket/"})}
    )
    assert "Logging" not in distribution_config(plain)


# --- through DevPortal: validation and outputs --------------------------------------------------------------


def _portal_with_domain(stack: cdk.Stack, **domain: Any):
    from devportal_constructs import CustomDomainOptions, DevPortal

    certificate = acm.Certificate.from_certificate_arn(stack, "Certificate", domain.pop("arn", CERTIFICATE_ARN))
    return DevPortal(
        stack,
        "DevPortal",
        custom_domain=CustomDomainOptions(domain_name=DOMAIN, certificate=certificate, **domain),
    )


def test_fails_when_the_certificate_is_not_in_us_east_1():
    from devportal_constructs import DevPortalValidationError

    with pytest.raises(
        DevPortalValidationError, match=r"certificate is in eu-west-1; CloudFront only uses .*us-east-1"
    ):
        portal_stack(lambda stack: _portal_with_domain(stack, arn=CERTIFICATE_ARN.replace("us-east-1", "eu-west-1")))


def test_fails_when_a_zone_is_both_created_and_given():
    from devportal_constructs import DevPortalValidationError

    def build(stack: cdk.Stack):
        zone = route53.HostedZone.from_hosted_zone_attributes(stack, "Zone", hosted_zone_id="Z1", zone_name=DOMAIN)
        return _portal_with_domain(stack, create_hosted_zone=True, hosted_zone=zone)

    with pytest.raises(DevPortalValidationError, match="either create a hosted zone or use hosted_zone, not both"):
        portal_stack(build)


@pytest.fixture(scope="module")
def domain_portal() -> Template:
    return portal_stack(lambda stack: _portal_with_domain(stack, create_hosted_zone=True))[2]


def test_portal_outputs_both_urls_with_a_domain_and_lets_the_site_call_its_api(domain_portal, minimal_portal):
    assert domain_portal.find_outputs("CustomWebsiteURL")["CustomWebsiteURL"]["Value"] == f"https://{DOMAIN}"
    assert domain_portal.find_outputs("WebsiteURL")["WebsiteURL"]["Value"] == f"https://{DOMAIN}"
    assert minimal_portal[2].find_outputs("CustomWebsiteURL") == {}
    (website,) = minimal_portal[2].find_outputs("WebsiteURL").values()
    assert website["Value"]["Fn::Join"][1][1]["Fn::GetAtt"][1] == "DomainName"
    # The API's origin, known only once the backend exists, still reaches the CSP's connect-src.
    (policy,) = minimal_portal[2].find_resources("AWS::CloudFront::ResponseHeadersPolicy").values()
    text = json.dumps(policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"])
    assert ".execute-api." in text
