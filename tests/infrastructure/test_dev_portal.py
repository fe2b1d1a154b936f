"""DevPortal with no props and with every option on: the resources, their secure defaults, and the wiring."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import CfnResource, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cognito as cognito
from aws_cdk.assertions import Match, Template

from devportal_constructs import DevPortal
from tests.infrastructure.synth import CERTIFICATE_ARN, TOPIC_ARN, WEB_ACL_ARN, every_option, portal_stack


@pytest.fixture(scope="module")
def full_portal() -> tuple[Stack, DevPortal, Template]:
    return portal_stack(every_option)


def resources_of(template: Template, resource_type: str) -> dict[str, Any]:
    return template.find_resources(resource_type)


def role_logical_id(stack: Stack, function: Any) -> str:
    return stack.resolve(function.role.node.default_child.logical_id)


def statements_of_role(template: Template, role_id: str) -> list[dict[str, Any]]:
    statements = []
    for policy in resources_of(template, "AWS::IAM::Policy").values():
        roles = [role.get("Ref") for role in policy["Properties"].get("Roles", [])]
        if role_id in roles:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def actions_of(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def test_minimal_portal_has_every_part(minimal_portal: tuple[Stack, DevPortal, Template]) -> None:
    # Given a DevPortal with no props
    _, _, template = minimal_portal
    # Then it holds the catalog, identity, backend and hosting, and no marketplace
    template.resource_count_is("AWS::Cognito::UserPool", 1)
    template.resource_count_is("AWS::Cognito::UserPoolClient", 1)
    template.resource_count_is("AWS::Cognito::UserPoolDomain", 1)
    template.resource_count_is("AWS::Cognito::UserPoolGroup", 2)
    template.resource_count_is("AWS::ApiGateway::RestApi", 1)
    template.resource_count_is("AWS::ApiGateway::Authorizer", 1)
    template.resource_count_is("AWS::CloudFront::Distribution", 1)
    template.resource_count_is("AWS::CloudFront::OriginAccessControl", 1)
    template.resource_count_is("AWS::CloudFront::ResponseHeadersPolicy", 1)
    template.resource_count_is("AWS::SNS::Subscription", 0)
    template.resource_count_is("AWS::SNS::Topic", 0)


def test_without_marketplace_the_stack_has_no_marketplace_resources(
    minimal_portal: tuple[Stack, DevPortal, Template],
) -> None:
    stack, portal, _ = minimal_portal
    assert portal.marketplace is None
    assert marketplace_resources(stack) == []


def marketplace_resources(stack: Stack) -> list[str]:
    return [
        construct.node.path
        for construct in stack.node.find_all()
        if isinstance(construct, CfnResource) and "/DevPortal/Marketplace/" in construct.node.path
    ]


def test_every_function_is_python_on_arm64_traced_with_its_own_log_group(
    minimal_portal: tuple[Stack, DevPortal, Template],
) -> None:
    _, portal, template = minimal_portal
    own_functions = [
        portal.catalog.catalog_updater,
        portal.backend.function,
        portal.identity.pre_sign_up_function,
        portal.identity.post_confirmation_function,
        portal.identity.pre_token_generation_function,
        portal.site.content_renderer,
        portal.site.seeder,
    ]
    stack = Stack.of(portal)
    functions = resources_of(template, "AWS::Lambda::Function")
    for function in own_functions:
        properties = functions[stack.resolve(function.node.default_child.logical_id)]["Properties"]
        assert properties["Runtime"] == "python3.14"
        assert properties["Architectures"] == ["arm64"]
        assert properties["TracingConfig"] == {"Mode": "Active"}
        assert properties["LoggingConfig"]["LogFormat"] == "JSON"
        assert "LogGroup" in properties["LoggingConfig"]
    template.all_resources_properties("AWS::Logs::LogGroup", {"RetentionInDays": 365})


def test_tables_are_on_demand_encrypted_recoverable_and_retained(
    minimal_portal: tuple[Stack, DevPortal, Template],
) -> None:
    _, _, template = minimal_portal
    template.all_resources_properties(
        "AWS::DynamoDB::GlobalTable",
        {
            "BillingMode": "PAY_PER_REQUEST",
            "SSESpecification": {"SSEEnabled": True},
            "Replicas": [
                Match.object_like(
                    {
                        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                        "DeletionProtectionEnabled": True,
                    }
                )
            ],
        },
    )
    template.all_resources("AWS::DynamoDB::GlobalTable", {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})


def test_stateful_resources_are_retained_by_default(minimal_portal: tuple[Stack, DevPortal, Template]) -> None:
    _, _, template = minimal_portal
    for resource_type in ("AWS::S3::Bucket", "AWS::Cognito::UserPool", "AWS::Logs::LogGroup"):
        template.all_resources(resource_type, {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})
    template.has_resource_properties("AWS::Cognito::UserPool", {"DeletionProtection": "ACTIVE"})


def test_buckets_are_private_encrypted_versioned_and_refuse_plain_http(
    minimal_portal: tuple[Stack, DevPortal, Template],
) -> None:
    _, _, template = minimal_portal
    template.all_resources_properties(
        "AWS::S3::Bucket",
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "BucketEncryption": Match.object_like({"ServerSideEncryptionConfiguration": Match.any_value()}),
            "VersioningConfiguration": {"Status": "Enabled"},
        },
    )
    for policy in resources_of(template, "AWS::S3::BucketPolicy").values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            statement["Effect"] == "Deny"
            and statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
            for statement in statements
        )


def test_api_routes_need_a_cognito_token_except_the_public_ones(
    minimal_portal: tuple[Stack, DevPortal, Template],
) -> None:
    _, _, template = minimal_portal
    methods = resources_of(template, "AWS::ApiGateway::Method").values()
    by_type: dict[str, list[str]] = {}
    for method in methods:
        properties = method["Properties"]
        by_type.setdefault(properties["AuthorizationType"], []).append(properties["HttpMethod"])
    assert by_type["COGNITO_USER_POOLS"] == ["ANY"]
    public = [method for method in by_type["NONE"] if method != "OPTIONS"]
    assert public == ["GET"] * 4, "GET /api/openapi.json, /api/catalog, /api/catalog/{api}/spec and .../docs"
    template.has_resource_properties(
        "AWS::ApiGateway::Authorizer",
        {"Type": "COGNITO_USER_POOLS", "IdentitySource": "method.request.header.Authorization"},
    )


def test_api_stage_is_traced_and_writes_access_logs(minimal_portal: tuple[Stack, DevPortal, Template]) -> None:
    _, _, template = minimal_portal
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "StageName": "prod",
            "TracingEnabled": True,
            "AccessLogSetting": Match.object_like({"DestinationArn": Match.any_value(), "Format": Match.any_value()}),
        },
    )


def test_user_pool_signs_in_by_email_with_a_strong_password(
    minimal_portal: tuple[Stack, DevPortal, Template],
) -> None:
    _, _, template = minimal_portal
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "UsernameAttributes": ["email"],
            "UsernameConfiguration": {"CaseSensitive": False},
            "AutoVerifiedAttributes": ["email"],
            "Policies": {"PasswordPolicy": Match.object_like({"MinimumLength": 12})},
            "MfaConfiguration": "OPTIONAL",
        },
    )
    template.has_resource_properties(
        "AWS::Cognito::UserPoolClient", {"GenerateSecret": False, "AllowedOAuthFlows": ["code"]}
    )


def test_backend_role_reaches_only_its_tables_pool_and_bucket(
    minimal_portal: tuple[Stack, DevPortal, Template],
) -> None:
    stack, portal, template = minimal_portal
    statements = statements_of_role(template, role_logical_id(stack, portal.backend.function))
    tables = {
        stack.resolve(table.table_arn)["Fn::GetAtt"][0]
        for table in (portal.backend.accounts_table, portal.backend.feedback_table)
    }
    dynamo = [statement for statement in statements if any(a.startswith("dynamodb:") for a in actions_of(statement))]
    referenced = {
        resource["Fn::GetAtt"][0]
        for statement in dynamo
        for resource in statement["Resource"]
        if isinstance(resource, dict) and "Fn::GetAtt" in resource
    }
    assert referenced == tables
    cognito = [
        statement for statement in statements if any(a.startswith("cognito-idp:") for a in actions_of(statement))
    ]
    assert cognito and all(
        statement["Resource"] == stack.resolve(portal.identity.user_pool.user_pool_arn) for statement in cognito
    )
    apigateway = [s for s in statements if any(a.startswith("apigateway:") for a in actions_of(s))]
    resources = [resource for statement in apigateway for resource in as_list(statement["Resource"])]
    assert apigateway and "*" not in resources


def test_catalog_updater_reads_the_artifacts_bucket_and_the_usage_plans(
    minimal_portal: tuple[Stack, DevPortal, Template],
) -> None:
    stack, portal, template = minimal_portal
    statements = statements_of_role(template, role_logical_id(stack, portal.catalog.catalog_updater))
    bucket_id = stack.resolve(portal.catalog.artifacts_bucket.bucket_arn)["Fn::GetAtt"][0]
    s3 = [statement for statement in statements if any(a.startswith("s3:") for a in actions_of(statement))]
    assert s3 and all(bucket_id in str(statement["Resource"]) for statement in s3)


def test_no_statement_grants_every_resource_except_where_aws_requires_it(
    minimal_portal: tuple[Stack, DevPortal, Template], full_portal: tuple[Stack, DevPortal, Template]
) -> None:
    # X-Ray and CloudFront invalidation status accept no resource but "*"; S3 notification configuration is set
    # by aws-cdk-lib's handler on the portal's buckets. Anything else with "*" is a finding.
    allowed = {
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "cloudfront:GetInvalidation",
        "cloudfront:CreateInvalidation",
        "s3:PutBucketNotification",
        "aws-marketplace:ResolveCustomer",
    }
    for _, _, template in (minimal_portal, full_portal):
        for policy in resources_of(template, "AWS::IAM::Policy").values():
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                resources = (
                    statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                )
                if "*" in resources:
                    assert set(actions_of(statement)) <= allowed, statement


def test_full_portal_has_marketplace_feedback_and_domain(full_portal: tuple[Stack, DevPortal, Template]) -> None:
    stack, _, template = full_portal
    assert len(marketplace_resources(stack)) >= 5
    template.resource_count_is("AWS::SNS::Topic", 1)
    template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "portal-admin@example.com"}
    )
    template.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "lambda", "TopicArn": TOPIC_ARN})
    template.has_resource_properties("AWS::CloudWatch::Alarm", {"Threshold": 1})
    template.has_resource_properties(
        "AWS::CloudFront::Distribution",
        {"DistributionConfig": Match.object_like({"Aliases": ["developer.example.com"], "WebACLId": WEB_ACL_ARN})},
    )
    template.has_resource_properties("AWS::Route53::HostedZone", {"Name": "developer.example.com."})
    template.has_resource_properties("AWS::S3::Bucket", {"BucketName": "example-portal-site"})
    template.has_resource_properties("AWS::Cognito::UserPoolDomain", {"Domain": "example-portal"})
    template.has_output("CustomWebsiteURL", {"Value": "https://developer.example.com"})
    template.has_output("WebsiteURL", {"Value": "https://developer.example.com"})


def test_the_csp_lets_try_it_out_reach_api_gateway_and_the_named_origins(
    full_portal: tuple[Stack, DevPortal, Template],
) -> None:
    stack, _, template = full_portal
    policy = template.find_resources("AWS::CloudFront::ResponseHeadersPolicy")
    [headers] = policy.values()
    csp = stack.resolve(
        headers["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"][
            "ContentSecurityPolicy"
        ]
    )
    flattened = json.dumps(csp)
    assert "connect-src 'self'" in flattened
    assert "https://*.execute-api.eu-west-1." in flattened
    assert "https://api.example.com" in flattened
    assert "default-src 'self'" in flattened and "frame-ancestors 'none'" in flattened


def test_a_cognito_custom_domain_serves_the_login_and_joins_the_csp() -> None:
    def with_login_domain(stack: Stack) -> DevPortal:
        login = cognito.CustomDomainOptions(
            domain_name="login.example.com",
            certificate=acm.Certificate.from_certificate_arn(stack, "LoginCert", CERTIFICATE_ARN),
        )
        return DevPortal(stack, "DevPortal", cognito_custom_domain=login)

    stack, _, template = portal_stack(with_login_domain)
    template.has_resource_properties(
        "AWS::Cognito::UserPoolDomain",
        {"Domain": "login.example.com", "CustomDomainConfig": {"CertificateArn": CERTIFICATE_ARN}},
    )
    [headers] = template.find_resources("AWS::CloudFront::ResponseHeadersPolicy").values()
    assert "https://login.example.com" in json.dumps(stack.resolve(headers["Properties"]))


def test_default_cognito_prefix_differs_between_portals_and_avoids_reserved_words() -> None:
    def two_portals(stack: Stack) -> tuple[DevPortal, DevPortal]:
        return DevPortal(stack, "DevPortal"), DevPortal(stack, "AwsCognitoPortal")

    _, _, template = portal_stack(two_portals)
    domains = [
        resource["Properties"]["Domain"] for resource in resources_of(template, "AWS::Cognito::UserPoolDomain").values()
    ]
    assert len(domains) == 2 and domains[0] != domains[1]
    literal_parts = [part for domain in domains for part in domain["Fn::Join"][1] if isinstance(part, str)]
    assert all(word not in part for part in literal_parts for word in ("aws", "amazon", "cognito"))
    template.has_output("WebsiteURL", {})
    template.has_output("AwsCognitoPortalWebsiteURL", {})


def public_attributes(obj: object) -> dict[str, Any]:
    names = [name for name in dir(obj) if not name.startswith("_") and name not in ("node",)]
    values = {}
    for name in names:
        value = getattr(obj, name)
        if callable(value) and not hasattr(value, "node"):
            continue
        values[name] = value
    return values


def test_every_public_attribute_is_set(full_portal: tuple[Stack, DevPortal, Template]) -> None:
    _, portal, _ = full_portal
    children = ("catalog", "identity", "backend", "marketplace", "custom_domain", "site")
    for owner in (portal, *(getattr(portal, child) for child in children)):
        for name, value in public_attributes(owner).items():
            assert value is not None, f"{type(owner).__name__}.{name} is None with every option on"
