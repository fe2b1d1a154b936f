"""The Identity construct: the user pool's settings, the client, groups, triggers and their rights."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Annotations, Match, Template

from devportal_constructs._validation import DevPortalValidationError
from devportal_constructs.identity import Identity
from tests.infrastructure.synth import portal_stack

APPROVER_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:approver"
POOL_ID = "eu-west-1_AbCdEfGhI"
CALLBACKS = ["https://portal.example.com/"]
US_EAST_CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"


def _full(stack: cdk.Stack) -> Identity:
    identity = Identity(
        stack,
        "Identity",
        callback_urls=CALLBACKS,
        account_registration_mode="request",
        allowed_email_domains=["example.com"],
        cognito_domain_prefix="example-portal",
        portal_url="https://portal.example.com",
        sign_up_approver=lambda_.Function.from_function_arn(stack, "Approver", APPROVER_ARN),
        email_sender=cognito.UserPoolEmail.with_ses(
            from_email="portal@example.com", from_name="Developer portal", ses_region="eu-west-1"
        ),
    )
    identity.add_identity_provider(
        cognito.UserPoolIdentityProviderOidc(
            stack,
            "Corporate",
            user_pool=identity.user_pool,
            name="Corporate",
            client_id="portal",
            client_secret="not-a-secret",
            issuer_url="https://login.example.com",
        )
    )
    return identity


@pytest.fixture(scope="module")
def full() -> tuple[cdk.Stack, Identity, Template]:
    return portal_stack(_full)


@pytest.fixture(scope="module")
def imported_pool() -> tuple[cdk.Stack, Identity, Template]:
    return portal_stack(
        lambda stack: Identity(
            stack,
            "Identity",
            callback_urls=CALLBACKS,
            cognito_domain_prefix="example-portal",
            existing_user_pool=cognito.UserPool.from_user_pool_id(stack, "Pool", POOL_ID),
            identity_providers=[cognito.UserPoolIdentityProvider.from_provider_name(stack, "Sso", "CorpSso")],
        )
    )


def _logical_id(stack: cdk.Stack, construct: Any) -> str:
    return stack.resolve(construct.node.default_child.logical_id)


def _statements_of(template: Template, stack: cdk.Stack, function: lambda_.Function) -> list[dict[str, Any]]:
    role = _logical_id(stack, function.role)
    statements = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Properties"].get("Roles", []):
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def test_the_pool_signs_in_by_email_with_strong_passwords_and_optional_totp(
    full: tuple[cdk.Stack, Identity, Template],
) -> None:
    _, _, template = full
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "UsernameAttributes": ["email"],
            "UsernameConfiguration": {"CaseSensitive": False},
            "AutoVerifiedAttributes": ["email"],
            "Policies": {
                "PasswordPolicy": Match.object_like({"MinimumLength": 12, "RequireSymbols": True}),
            },
            "MfaConfiguration": "OPTIONAL",
            "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
            "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
            "DeletionProtection": "ACTIVE",
            "UserPoolTier": "ESSENTIALS",
            "AdminCreateUserConfig": Match.object_like({"AllowAdminCreateUserOnly": False}),
        },
    )
    template.has_resource("AWS::Cognito::UserPool", {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})


def test_the_pool_calls_the_three_triggers_with_version_2_token_events(
    full: tuple[cdk.Stack, Identity, Template],
) -> None:
    stack, identity, template = full
    arn = {name: {"Fn::GetAtt": [_logical_id(stack, function), "Arn"]} for name, function in identity.triggers.items()}
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "LambdaConfig": {
                "PreSignUp": arn["PreSignUp"],
                "PostConfirmation": arn["PostConfirmation"],
                "PreTokenGenerationConfig": {"LambdaArn": arn["PreTokenGenerationConfig"], "LambdaVersion": "V2_0"},
            }
        },
    )
    assert identity.triggers_attached


def test_emails_come_from_ses_and_link_to_the_portal(full: tuple[cdk.Stack, Identity, Template]) -> None:
    _, _, template = full
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "EmailConfiguration": Match.object_like(
                {"EmailSendingAccount": "DEVELOPER", "From": "Developer portal <portal@example.com>"}
            ),
            "VerificationMessageTemplate": Match.object_like(
                {"EmailMessage": Match.string_like_regexp(r"at https://portal\.example\.com is \{####\}")}
            ),
            "AdminCreateUserConfig": Match.object_like(
                {
                    "InviteMessageTemplate": Match.object_like(
                        {
                            "EmailMessage": Match.string_like_regexp(
                                r"portal at https://portal\.example\.com\. Sign in .*\{username\}.*\{####\}"
                            )
                        }
                    )
                }
            ),
        },
    )


def test_the_client_is_public_with_srp_refresh_pkce_and_the_added_provider(
    full: tuple[cdk.Stack, Identity, Template],
) -> None:
    stack, identity, template = full
    template.has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {
            "GenerateSecret": False,
            "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthFlowsUserPoolClient": True,
            "CallbackURLs": CALLBACKS,
            "PreventUserExistenceErrors": "ENABLED",
            "SupportedIdentityProviders": ["COGNITO", {"Ref": _logical_id(stack, identity.identity_providers[0])}],
        },
    )
    client = template.find_resources("AWS::Cognito::UserPoolClient")[_logical_id(stack, identity.user_pool_client)]
    assert _logical_id(stack, identity.identity_providers[0]) in client["DependsOn"]


def test_the_domain_and_the_two_groups_exist(full: tuple[cdk.Stack, Identity, Template]) -> None:
    _, _, template = full
    template.has_resource_properties("AWS::Cognito::UserPoolDomain", {"Domain": "example-portal"})
    template.has_resource_properties("AWS::Cognito::UserPoolGroup", {"GroupName": "admins", "Precedence": 0})
    template.has_resource_properties("AWS::Cognito::UserPoolGroup", {"GroupName": "registered", "Precedence": 1})


def test_pre_sign_up_knows_the_mode_and_may_invoke_the_approver_only(
    full: tuple[cdk.Stack, Identity, Template],
) -> None:
    stack, identity, template = full
    functions = template.find_resources("AWS::Lambda::Function")
    variables = functions[_logical_id(stack, identity.pre_sign_up_function)]["Properties"]["Environment"]["Variables"]
    assert {key: variables[key] for key in ("REGISTRATION_MODE", "ALLOWED_EMAIL_DOMAINS", "SIGN_UP_APPROVER")} == {
        "REGISTRATION_MODE": "request",
        "ALLOWED_EMAIL_DOMAINS": "example.com",
        "SIGN_UP_APPROVER": APPROVER_ARN,
    }
    invoke = [s for s in _statements_of(template, stack, identity.pre_sign_up_function) if "lambda:" in str(s)]
    assert invoke == [
        {"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": [APPROVER_ARN, f"{APPROVER_ARN}:*"]}
    ]
    for other in (identity.post_confirmation_function, identity.pre_token_generation_function):
        assert "lambda:InvokeFunction" not in str(_statements_of(template, stack, other))


def test_only_the_triggers_that_set_groups_may_add_users_to_groups(
    full: tuple[cdk.Stack, Identity, Template],
) -> None:
    stack, identity, template = full
    pools_here = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/*"
    expected = {"Action": "cognito-idp:AdminAddUserToGroup", "Effect": "Allow", "Resource": pools_here}
    for function in (identity.post_confirmation_function, identity.pre_token_generation_function):
        assert expected in _statements_of(template, stack, function)
    assert "cognito-idp" not in str(_statements_of(template, stack, identity.pre_sign_up_function))


def test_invite_mode_turns_self_sign_up_off() -> None:
    _, _, template = portal_stack(
        lambda stack: Identity(
            stack, "Identity", callback_urls=CALLBACKS, cognito_domain_prefix="p", account_registration_mode="invite"
        )
    )
    template.has_resource_properties(
        "AWS::Cognito::UserPool", {"AdminCreateUserConfig": Match.object_like({"AllowAdminCreateUserOnly": True})}
    )


def test_an_imported_pool_keeps_its_settings_and_may_invoke_the_triggers(
    imported_pool: tuple[cdk.Stack, Identity, Template],
) -> None:
    stack, identity, template = imported_pool
    # The pool is not in the template, so nothing of it changes; the portal adds its client, domain, groups
    template.resource_count_is("AWS::Cognito::UserPool", 0)
    template.has_resource_properties(
        "AWS::Cognito::UserPoolClient", {"UserPoolId": POOL_ID, "SupportedIdentityProviders": ["COGNITO", "CorpSso"]}
    )
    template.has_resource_properties("AWS::Cognito::UserPoolDomain", {"UserPoolId": POOL_ID})
    template.resource_count_is("AWS::Cognito::UserPoolGroup", 2)
    # The pool may invoke each trigger, once its owner attaches them
    assert not identity.triggers_attached
    pool_arn = f"arn:aws:cognito-idp:eu-west-1:123456789012:userpool/{POOL_ID}"
    for function in identity.triggers.values():
        template.has_resource_properties(
            "AWS::Lambda::Permission",
            {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Fn::GetAtt": [_logical_id(stack, function), "Arn"]},
                "Principal": "cognito-idp.amazonaws.com",
                "SourceArn": pool_arn,
            },
        )


def test_an_imported_pool_warns_which_triggers_to_attach(
    imported_pool: tuple[cdk.Stack, Identity, Template],
) -> None:
    stack, _, _ = imported_pool
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Identity",
        Match.string_like_regexp(
            r"attach its triggers to the pool yourself \(PreSignUp: TestStack/Identity/PreSignUp, "
            r"PostConfirmation: TestStack/Identity/PostConfirmation, "
            r"PreTokenGenerationConfig: TestStack/Identity/PreTokenGeneration; .*V2_0"
        ),
    )


def test_a_pool_of_the_same_stack_gets_the_triggers_attached() -> None:
    def build(stack: cdk.Stack) -> tuple[cognito.UserPool, Identity]:
        pool = cognito.UserPool(stack, "OwnPool", feature_plan=cognito.FeaturePlan.ESSENTIALS)
        return pool, Identity(
            stack, "Identity", callback_urls=CALLBACKS, cognito_domain_prefix="p", existing_user_pool=pool
        )

    stack, (_, identity), template = portal_stack(build)
    assert identity.triggers_attached
    template.resource_count_is("AWS::Cognito::UserPool", 1)
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "LambdaConfig": {
                "PreSignUp": Match.any_value(),
                "PostConfirmation": Match.any_value(),
                "PreTokenGenerationConfig": Match.object_like({"LambdaVersion": "V2_0"}),
            }
        },
    )
    Annotations.from_stack(stack).has_no_warning("*", Match.string_like_regexp("attach its triggers"))


def test_a_custom_domain_serves_the_managed_login() -> None:
    _, _, template = portal_stack(
        lambda stack: Identity(
            stack,
            "Identity",
            callback_urls=CALLBACKS,
            cognito_custom_domain=cognito.CustomDomainOptions(
                domain_name="login.example.com",
                certificate=acm.Certificate.from_certificate_arn(stack, "Certificate", US_EAST_CERTIFICATE),
            ),
        )
    )
    template.has_resource_properties(
        "AWS::Cognito::UserPoolDomain",
        {"Domain": "login.example.com", "CustomDomainConfig": {"CertificateArn": US_EAST_CERTIFICATE}},
    )


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({}, r"cognito_domain_prefix=None: give either cognito_domain_prefix or cognito_custom_domain"),
        ({"cognito_domain_prefix": "my-aws-portal"}, r"remove 'aws': Cognito refuses prefixes"),
        (
            {"cognito_domain_prefix": "p", "account_registration_mode": "closed"},
            r"account_registration_mode='closed': use one of 'open', 'request', 'invite'",
        ),
        (
            {"cognito_domain_prefix": "p", "account_registration_mode": "invite", "allowed_email_domains": ["a.com"]},
            r"allowed_email_domains=\['a.com'\]: remove it: in invite mode nobody registers alone",
        ),
    ],
    ids=["no-domain", "reserved-word", "unknown-mode", "allow-list-in-invite-mode"],
)
def test_fails_when_props_are_invalid(props: dict[str, Any], message: str) -> None:
    with pytest.raises(DevPortalValidationError, match=message):
        portal_stack(lambda stack: Identity(stack, "Identity", callback_urls=CALLBACKS, **props))


def test_fails_when_an_approver_is_given_in_invite_mode() -> None:
    def build(stack: cdk.Stack) -> Identity:
        return Identity(
            stack,
            "Identity",
            callback_urls=CALLBACKS,
            cognito_domain_prefix="p",
            account_registration_mode="invite",
            sign_up_approver=lambda_.Function.from_function_arn(stack, "Approver", APPROVER_ARN),
        )

    with pytest.raises(
        DevPortalValidationError, match=r"sign_up_approver='TestStack/Approver': remove it, or use open"
    ):
        portal_stack(build)


def test_fails_when_the_custom_domain_certificate_is_not_in_us_east_1() -> None:
    arn = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"

    def build(stack: cdk.Stack) -> Identity:
        return Identity(
            stack,
            "Identity",
            callback_urls=CALLBACKS,
            cognito_custom_domain=cognito.CustomDomainOptions(
                domain_name="login.example.com",
                certificate=acm.Certificate.from_certificate_arn(stack, "Certificate", arn),
            ),
        )

    with pytest.raises(DevPortalValidationError, match=r"use an ACM certificate in us-east-1"):
        portal_stack(build)


def test_fails_when_an_email_sender_is_given_with_an_existing_pool() -> None:
    def build(stack: cdk.Stack) -> Identity:
        return Identity(
            stack,
            "Identity",
            callback_urls=CALLBACKS,
            cognito_domain_prefix="p",
            existing_user_pool=cognito.UserPool.from_user_pool_id(stack, "Pool", POOL_ID),
            email_sender=cognito.UserPoolEmail.with_ses(from_email="portal@example.com"),
        )

    with pytest.raises(DevPortalValidationError, match=r"email_sender='UserPoolEmail': remove it and set the sender"):
        portal_stack(build)
