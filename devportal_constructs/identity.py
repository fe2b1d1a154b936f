"""Sign-up and sign-in: the Cognito user pool, the portal's app client and domain, groups and triggers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from ._defaults import portal_function
from ._nag import acknowledge, acknowledge_wildcards

RegistrationMode = Literal["open", "request", "invite"]
ADMINS_GROUP = "admins"
REGISTERED_GROUP = "registered"


class Identity(Construct):
    """The portal's accounts: who may register, how they sign in, and who is an admin.

    Admin means membership of the ``admins`` group; the backend checks that claim as well as the gateway.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        account_registration_mode: RegistrationMode = "open",
        allowed_email_domains: Sequence[str] | None = None,
        cognito_domain_prefix: str,
        callback_urls: Sequence[str],
        existing_user_pool: cognito.IUserPool | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
    ) -> None:
        """
        :param account_registration_mode: ``open``, ``request`` (an admin approves) or ``invite``.
            Default: - ``open``.
        :param allowed_email_domains: Email domains that may self-register. Default: - any domain.
        :param cognito_domain_prefix: Prefix of the Cognito hosted domain, unique in the region.
        :param callback_urls: Where the managed login may send users back to (the portal's URLs).
        :param existing_user_pool: A pool to use instead of creating one. Default: - a new pool.
        :param removal_policy: What happens to the user pool when it leaves the stack. Default: - RETAIN.
        :param log_retention: How long the triggers' logs are kept. Default: - one year.
        """
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.registration_mode: RegistrationMode = account_registration_mode

        trigger_environment = {
            "REGISTRATION_MODE": account_registration_mode,
            "ALLOWED_EMAIL_DOMAINS": ",".join(allowed_email_domains or ()),
            "ADMINS_GROUP": ADMINS_GROUP,
            "REGISTERED_GROUP": REGISTERED_GROUP,
        }

        def trigger(construct_id: str, handler: str, description: str) -> lambda_.Function:
            return portal_function(
                self,
                construct_id,
                handler=f"cognito_triggers.handler.{handler}",
                description=description,
                log_retention=log_retention,
                removal_policy=removal_policy,
                environment=trigger_environment,
                timeout=Duration.seconds(5),
            )

        self.pre_sign_up_function: lambda_.Function = trigger(
            "PreSignUp", "pre_sign_up", "pre sign-up trigger, which enforces the registration mode"
        )
        self.post_confirmation_function: lambda_.Function = trigger(
            "PostConfirmation", "post_confirmation", "post confirmation trigger, which records the account"
        )
        self.pre_token_generation_function: lambda_.Function = trigger(
            "PreTokenGeneration",
            "pre_token_generation",
            "pre token generation trigger, which keeps pending and denied accounts out",
        )

        if existing_user_pool is None:
            pool = cognito.UserPool(
                self,
                "UserPool",
                sign_in_aliases=cognito.SignInAliases(email=True, username=False),
                sign_in_case_sensitive=False,
                auto_verify=cognito.AutoVerifiedAttrs(email=True),
                keep_original=cognito.KeepOriginalAttrs(email=True),
                self_sign_up_enabled=account_registration_mode != "invite",
                standard_attributes=cognito.StandardAttributes(
                    email=cognito.StandardAttribute(required=True, mutable=True)
                ),
                password_policy=cognito.PasswordPolicy(
                    min_length=12,
                    require_lowercase=True,
                    require_uppercase=True,
                    require_digits=True,
                    require_symbols=True,
                    temp_password_validity=Duration.days(7),
                ),
                mfa=cognito.Mfa.OPTIONAL,
                mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
                account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
                deletion_protection=removal_policy == RemovalPolicy.RETAIN,
                removal_policy=removal_policy,
                user_verification=cognito.UserVerificationConfig(
                    email_subject="Your developer portal verification code",
                    email_body="Your developer portal verification code is {####}.",
                    email_style=cognito.VerificationEmailStyle.CODE,
                ),
                user_invitation=cognito.UserInvitationConfig(
                    email_subject="You are invited to the developer portal",
                    email_body=(
                        "You are invited to the developer portal. Sign in with the email address "
                        "{username} and the temporary password {####}."
                    ),
                ),
                lambda_triggers=cognito.UserPoolTriggers(
                    pre_sign_up=self.pre_sign_up_function,
                    post_confirmation=self.post_confirmation_function,
                ),
            )
            pool.add_trigger(
                cognito.UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG,
                self.pre_token_generation_function,
                cognito.LambdaVersion.V2_0,
            )
            acknowledge(
                pool,
                "COG2",
                "TOTP MFA is offered to every user (optional); requiring it would shut out API consumers "
                "who only want a key.",
            )
            acknowledge(
                pool, "COG3", "Threat protection needs the Cognito Plus feature plan, a cost the operator opts into."
            )
            acknowledge(
                pool, "COG8", "The Plus feature plan (threat protection) is a cost the operator opts into."
            )
            self.user_pool: cognito.IUserPool = pool
        else:
            self.user_pool = existing_user_pool
        """The user pool the portal signs users in with."""

        # The triggers change group membership of the pool that invokes them. Naming the pool's ARN would
        # make the pool depend on the triggers' policy and the policy on the pool, so the statement names
        # the pools of this account and region, and sits in a policy of its own.
        pools_here = stack.format_arn(service="cognito-idp", resource="userpool", resource_name="*")
        group_policy = iam.Policy(
            self,
            "TriggerGroupPolicy",
            statements=[
                iam.PolicyStatement(
                    actions=["cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminListGroupsForUser"],
                    resources=[pools_here],
                )
            ],
        )
        for function in (self.post_confirmation_function, self.pre_token_generation_function):
            group_policy.attach_to_role(function.role)  # type: ignore[arg-type]
        acknowledge_wildcards(
            group_policy,
            "Scoped to the user pools of this account and region: naming the portal's own pool would make "
            "a circular dependency between the pool and its triggers.",
            resources=[pools_here],
        )

        self.user_pool_client: cognito.UserPoolClient = self.user_pool.add_client(
            "WebClient",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=list(callback_urls),
                logout_urls=list(callback_urls),
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
        )
        """The portal's public app client: SRP and refresh, plus authorization code with PKCE."""

        self.user_pool_domain: cognito.UserPoolDomain = self.user_pool.add_domain(
            "Domain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=cognito_domain_prefix)
        )
        """The Cognito domain that serves the managed login and the token endpoint."""

        self.admins_group: cognito.UserPoolGroup = cognito.UserPoolGroup(
            self,
            "AdminsGroup",
            user_pool=self.user_pool,
            group_name=ADMINS_GROUP,
            description="Developer portal administrators",
            precedence=0,
        )
        """Members administer the portal's APIs and accounts."""
        self.registered_group: cognito.UserPoolGroup = cognito.UserPoolGroup(
            self,
            "RegisteredGroup",
            user_pool=self.user_pool,
            group_name=REGISTERED_GROUP,
            description="Developer portal users whose registration is complete",
            precedence=1,
        )
        """Members hold a working API key and may subscribe to usage plans."""

    @property
    def cognito_base_url(self) -> str:
        """The base URL of the Cognito domain, for example ``https://prefix.auth.eu-west-1.amazoncognito.com``."""
        return self.user_pool_domain.base_url()
