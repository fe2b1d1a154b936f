"""Sign-up and sign-in: the Cognito user pool, the portal's app client and domain, groups and triggers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

import jsii
from aws_cdk import Annotations, Duration, IResolveContext, IStableListProducer, Lazy, RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from ._defaults import portal_function
from ._nag import acknowledge, acknowledge_wildcards
from ._validation import Problems, cognito_prefix_problem, is_domain_name, is_token, one_of

RegistrationMode = Literal["open", "request", "invite"]
REGISTRATION_MODES = ("open", "request", "invite")
ADMINS_GROUP = "admins"
REGISTERED_GROUP = "registered"
_US_EAST_1_CERTIFICATE = re.compile(r"^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/[A-Za-z0-9-]+$")


@jsii.implements(IStableListProducer)
class _ProviderNames:
    """The client's identity providers, read at synth so that ``add_identity_provider`` can add more."""

    def __init__(self, providers: list[cognito.IUserPoolIdentityProvider]) -> None:
        self._providers = providers

    def produce(self, context: IResolveContext | None = None) -> list[str]:
        return ["COGNITO", *(provider.provider_name for provider in self._providers)]


class Identity(Construct):
    """The portal's accounts: who may register, how they sign in, and who is an admin.

    Admin means membership of the ``admins`` group; the backend checks that claim as well as the gateway.
    Three triggers enforce the registration mode: pre sign-up (who may register), post confirmation (the
    account record and its group) and pre token generation, version 2 (no tokens for pending or denied
    accounts; an accepted invitation becomes a registered account).

    With ``existing_user_pool`` the construct adds its own app client, domain and groups to your pool and
    changes none of the pool's settings. It attaches the triggers itself only to a ``cognito.UserPool``
    defined in the same stack; to any other pool you attach them (``triggers_attached`` is then False and
    synth warns with the function names).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        callback_urls: Sequence[str],
        account_registration_mode: RegistrationMode = "open",
        allowed_email_domains: Sequence[str] | None = None,
        cognito_domain_prefix: str | None = None,
        cognito_custom_domain: cognito.CustomDomainOptions | None = None,
        portal_url: str | None = None,
        existing_user_pool: cognito.IUserPool | None = None,
        sign_up_approver: lambda_.IFunction | None = None,
        identity_providers: Sequence[cognito.IUserPoolIdentityProvider] | None = None,
        email_sender: cognito.UserPoolEmail | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
    ) -> None:
        """
        :param callback_urls: Where the managed login may send users back to (the portal's URLs).
        :param account_registration_mode: ``open`` (anyone registers), ``request`` (an admin approves each
            registration) or ``invite`` (only admins create accounts). Default: - ``open``.
        :param allowed_email_domains: Email domains that may self-register (``open`` and ``request``).
            Default: - any domain.
        :param cognito_domain_prefix: Prefix of the Cognito domain, ``{prefix}.auth.{region}.amazoncognito.com``,
            unique in the region. Default: - none; give this or ``cognito_custom_domain``.
        :param cognito_custom_domain: Serve the managed login at your own domain name (its ACM certificate
            must be in us-east-1); point the name at ``user_pool_domain.cloud_front_endpoint``.
            Default: - the ``cognito_domain_prefix`` domain.
        :param portal_url: The portal's address, which the verification and invitation emails link to.
            Default: - the emails carry no link.
        :param existing_user_pool: A pool to use instead of creating one. Default: - a new pool.
        :param sign_up_approver: A function pre sign-up invokes with the applicant's ``email``,
            ``attributes``, ``registrationMode`` and ``triggerSource``; it answers ``{"decision": "approve" |
            "pending" | "refuse", "message": "..."}`` within four seconds. ``approve`` registers the account
            even in ``request`` mode, ``pending`` waits for an admin even in ``open`` mode, ``refuse`` shows
            ``message`` to the applicant. Default: - the registration mode decides alone.
        :param identity_providers: SAML or OIDC providers registered on the pool whose users may sign in
            through the managed login (for SSO). More can be added with ``add_identity_provider``.
            Default: - only the pool's own users.
        :param email_sender: How the pool sends email, e.g. ``cognito.UserPoolEmail.with_ses(from_email=...)``
            for your SES identity. New pools only. Default: - Cognito's own sender, limited to 50 emails a day.
        :param removal_policy: What happens to the user pool and logs when they leave the stack.
            Default: - RETAIN, with deletion protection on the pool.
        :param log_retention: How long the triggers' logs are kept. Default: - one year.
        """
        super().__init__(scope, construct_id)
        self._validate(
            account_registration_mode=account_registration_mode,
            cognito_domain_prefix=cognito_domain_prefix,
            cognito_custom_domain=cognito_custom_domain,
            allowed_email_domains=allowed_email_domains,
            existing_user_pool=existing_user_pool,
            sign_up_approver=sign_up_approver,
            email_sender=email_sender,
        )
        stack = Stack.of(self)
        self.registration_mode: RegistrationMode = account_registration_mode
        """The registration mode the triggers enforce."""

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
        """Refuses sign-ups the mode, the domain allow-list or the approver refuses."""
        self.post_confirmation_function: lambda_.Function = trigger(
            "PostConfirmation", "post_confirmation", "post confirmation trigger, which records the account"
        )
        """Writes the account record of a confirmed user and puts registered users in their group."""
        self.pre_token_generation_function: lambda_.Function = trigger(
            "PreTokenGeneration",
            "pre_token_generation",
            "pre token generation trigger, which keeps pending and denied accounts out",
        )
        """Refuses tokens to pending and denied accounts; activates accepted invitations."""

        if sign_up_approver is not None:
            sign_up_approver.grant_invoke(self.pre_sign_up_function)
            self.pre_sign_up_function.add_environment("SIGN_UP_APPROVER", sign_up_approver.function_arn)
            acknowledge_wildcards(
                self.pre_sign_up_function.role,  # type: ignore[arg-type]
                "grant_invoke names the approver and its versions (':*'), which the operator may publish.",
                resources=[f"{sign_up_approver.function_arn}:*"],
            )

        self.triggers_attached: bool = True
        """False when the triggers must be attached to ``existing_user_pool`` by its owner."""
        if existing_user_pool is None:
            self.user_pool: cognito.IUserPool = self._new_pool(
                account_registration_mode, portal_url, email_sender, removal_policy
            )
        else:
            self.user_pool = existing_user_pool
            self.triggers_attached = self._attach_to_existing(existing_user_pool)
        """The user pool the portal signs users in with."""

        # The triggers change group membership of the pool that invokes them. Naming the pool's ARN would
        # make the pool depend on the triggers' policy and the policy on the pool, so the statement names
        # the pools of this account and region, and sits in a policy of its own.
        pools_here = stack.format_arn(service="cognito-idp", resource="userpool", resource_name="*")
        group_policy = iam.Policy(
            self,
            "TriggerGroupPolicy",
            statements=[iam.PolicyStatement(actions=["cognito-idp:AdminAddUserToGroup"], resources=[pools_here])],
        )
        for function in (self.post_confirmation_function, self.pre_token_generation_function):
            group_policy.attach_to_role(function.role)  # type: ignore[arg-type]
        acknowledge_wildcards(
            group_policy,
            "Scoped to the user pools of this account and region: naming the portal's own pool would make "
            "a circular dependency between the pool and its triggers.",
            resources=[pools_here],
        )

        self._identity_providers: list[cognito.IUserPoolIdentityProvider] = []
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
        client_resource: cognito.CfnUserPoolClient = self.user_pool_client.node.default_child  # type: ignore[assignment]
        client_resource.supported_identity_providers = Lazy.list(_ProviderNames(self._identity_providers))
        for provider in identity_providers or ():
            self.add_identity_provider(provider)

        if cognito_custom_domain is not None:
            self.user_pool_domain: cognito.UserPoolDomain = self.user_pool.add_domain(
                "Domain", custom_domain=cognito_custom_domain
            )
        else:
            self.user_pool_domain = self.user_pool.add_domain(
                "Domain", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=cognito_domain_prefix or "")
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

    def add_identity_provider(self, provider: cognito.IUserPoolIdentityProvider) -> None:
        """Let users of this SAML or OIDC provider (registered on the pool) sign in through the managed login.

        For a new pool, create the provider on ``identity.user_pool`` first, e.g.
        ``cognito.UserPoolIdentityProviderSaml(stack, "Sso", user_pool=portal.identity.user_pool, ...)``.
        For a provider the pool already has, use ``cognito.UserPoolIdentityProvider.from_provider_name``.
        """
        self._identity_providers.append(provider)
        self.user_pool_client.node.add_dependency(provider)

    @property
    def identity_providers(self) -> list[cognito.IUserPoolIdentityProvider]:
        """The providers besides the pool's own users that the portal's client signs users in with."""
        return list(self._identity_providers)

    @property
    def cognito_base_url(self) -> str:
        """The base URL of the Cognito domain, for example ``https://prefix.auth.eu-west-1.amazoncognito.com``."""
        return self.user_pool_domain.base_url()

    @property
    def triggers(self) -> dict[str, lambda_.Function]:
        """The trigger functions by the name of the pool operation they serve, for attaching them by hand.

        ``PreTokenGenerationConfig`` must be attached with Lambda version ``V2_0``.
        """
        return {
            "PreSignUp": self.pre_sign_up_function,
            "PostConfirmation": self.post_confirmation_function,
            "PreTokenGenerationConfig": self.pre_token_generation_function,
        }

    def _new_pool(
        self,
        mode: RegistrationMode,
        portal_url: str | None,
        email_sender: cognito.UserPoolEmail | None,
        removal_policy: RemovalPolicy,
    ) -> cognito.UserPool:
        at_portal = "" if portal_url is None else f" at {portal_url}"
        pool = cognito.UserPool(
            self,
            "UserPool",
            sign_in_aliases=cognito.SignInAliases(email=True, username=False),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            keep_original=cognito.KeepOriginalAttrs(email=True),
            self_sign_up_enabled=mode != "invite",
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
            # Version 2 pre token generation events, which the portal's trigger handles, need Essentials.
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            deletion_protection=removal_policy == RemovalPolicy.RETAIN,
            removal_policy=removal_policy,
            email=email_sender,
            user_verification=cognito.UserVerificationConfig(
                email_subject="Your developer portal verification code",
                email_body=(
                    f"Your verification code for the developer portal{at_portal} is {{####}}. "
                    "Enter it on the portal's confirmation page."
                ),
                email_style=cognito.VerificationEmailStyle.CODE,
            ),
            user_invitation=cognito.UserInvitationConfig(
                email_subject="You are invited to the developer portal",
                email_body=(
                    f"You are invited to the developer portal{at_portal}. Sign in with the email address "
                    "{username} and the temporary password {####}, then choose your own password. "
                    "The temporary password expires in 7 days."
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
        acknowledge(pool, "COG8", "The Plus feature plan (threat protection) is a cost the operator opts into.")
        return pool

    def _attach_to_existing(self, pool: cognito.IUserPool) -> bool:
        """Attach the triggers to a pool defined in this stack; otherwise let the pool invoke them."""
        if isinstance(pool, cognito.UserPool) and Stack.of(pool) is Stack.of(self):
            pool.add_trigger(cognito.UserPoolOperation.PRE_SIGN_UP, self.pre_sign_up_function)
            pool.add_trigger(cognito.UserPoolOperation.POST_CONFIRMATION, self.post_confirmation_function)
            pool.add_trigger(
                cognito.UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG,
                self.pre_token_generation_function,
                cognito.LambdaVersion.V2_0,
            )
            return True
        # An imported pool (or one in another stack, which would make a cycle between the stacks) keeps
        # its settings: its owner attaches the triggers. The pool may already invoke them.
        for function in self.triggers.values():
            function.add_permission(
                "InvokedByUserPool",
                principal=iam.ServicePrincipal("cognito-idp.amazonaws.com"),
                source_arn=pool.user_pool_arn,
            )
        names = ", ".join(f"{operation}: {function.node.path}" for operation, function in self.triggers.items())
        Annotations.of(self).add_warning_v2(
            "devportal:identity:attachTriggers",
            "existing_user_pool: the portal does not change your pool's settings, so attach its triggers "
            f"to the pool yourself ({names}; PreTokenGenerationConfig with LambdaVersion V2_0, which needs "
            "the Essentials or Plus feature plan). Until then registration modes and pending accounts are "
            "not enforced at sign-in.",
        )
        return False

    def _validate(
        self,
        *,
        account_registration_mode: str,
        cognito_domain_prefix: str | None,
        cognito_custom_domain: cognito.CustomDomainOptions | None,
        allowed_email_domains: Sequence[str] | None,
        existing_user_pool: cognito.IUserPool | None,
        sign_up_approver: lambda_.IFunction | None,
        email_sender: cognito.UserPoolEmail | None,
    ) -> None:
        problems = Problems(self)
        one_of(problems, "account_registration_mode", account_registration_mode, REGISTRATION_MODES)
        if (cognito_domain_prefix is None) == (cognito_custom_domain is None):
            problems.add(
                "cognito_domain_prefix",
                cognito_domain_prefix,
                "give either cognito_domain_prefix or cognito_custom_domain, not both and not neither",
            )
        if cognito_domain_prefix is not None and not is_token(cognito_domain_prefix):
            problem = cognito_prefix_problem(cognito_domain_prefix)
            if problem:
                problems.add("cognito_domain_prefix", cognito_domain_prefix, problem)
        if cognito_custom_domain is not None:
            name = cognito_custom_domain.domain_name
            if not is_token(name) and not is_domain_name(name):
                problems.add("cognito_custom_domain.domain_name", name, "use a host name such as 'login.example.com'")
            arn = cognito_custom_domain.certificate.certificate_arn
            if not is_token(arn) and not _US_EAST_1_CERTIFICATE.match(arn):
                problems.add(
                    "cognito_custom_domain.certificate",
                    arn,
                    "use an ACM certificate in us-east-1: Cognito serves custom domains through CloudFront",
                )
        if allowed_email_domains is not None and account_registration_mode == "invite":
            problems.add(
                "allowed_email_domains",
                list(allowed_email_domains),
                "remove it: in invite mode nobody registers alone, admins choose whom to invite",
            )
        if sign_up_approver is not None and account_registration_mode == "invite":
            problems.add(
                "sign_up_approver",
                sign_up_approver.node.path,
                "remove it, or use open or request mode: in invite mode nobody signs up, so none is asked",
            )
        if email_sender is not None and existing_user_pool is not None:
            problems.add(
                "email_sender",
                "UserPoolEmail",
                "remove it and set the sender on your existing pool: the portal does not change its settings",
            )
        problems.raise_if_any()
