"""DevPortal: a complete self-service API developer portal, in your own account, as one construct."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Literal

from aws_cdk import Aws, CfnOutput, Fn, RemovalPolicy, Stack, Token
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ._defaults import DEFAULT_LOG_RETENTION, access_logs_bucket, grant_table_data
from ._nag import BASIC_EXECUTION_ROLE, acknowledge, acknowledge_wildcards
from ._site_deployment import SiteDeployment
from ._validation import (
    COGNITO_RESERVED_WORDS,
    Problems,
    bucket_name_problem,
    cognito_prefix_problem,
    is_domain_name,
    is_email,
    is_token,
    one_of,
)
from .backend import Backend
from .catalog import Catalog
from .custom_domain import CustomDomain, CustomDomainOptions
from .identity import Identity, RegistrationMode
from .marketplace import EVENT_SOURCES, Marketplace, MarketplaceOptions

RebuildMode = Literal["", "overwrite-content"]
REGISTRATION_MODES = ("open", "request", "invite")
REBUILD_MODES = ("", "overwrite-content")
_CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate/[A-Za-z0-9-]+$")
_WEB_ACL_ARN = re.compile(r"^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global/webacl/[\w-]+/[\w-]+$")
_HTTPS_ORIGIN = re.compile(r"^https://[A-Za-z0-9.-]+(:\d{1,5})?$")
_PRODUCT_CODE = re.compile(r"^[-a-zA-Z0-9/=:_.@]{1,255}$")
_USAGE_PLAN_ID = re.compile(r"^[A-Za-z0-9]+$")
_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$")


class DevPortal(Construct):
    """A self-service API developer portal: catalog, sign-up, API keys, usage plans, admin console.

    The smallest portal takes no props::

        DevPortal(stack, "DevPortal")

    It composes five constructs and wires their permissions: ``catalog`` (API specs and the catalog build),
    ``identity`` (Cognito), ``backend`` (the REST API and its tables), ``custom_domain`` (CloudFront hosting)
    and, only when ``marketplace`` is given, ``marketplace``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        site_bucket_name: str | None = None,
        artifacts_bucket_name: str | None = None,
        cognito_domain_prefix: str | None = None,
        cognito_custom_domain: cognito.CustomDomainOptions | None = None,
        account_registration_mode: RegistrationMode = "open",
        allowed_email_domains: Sequence[str] | None = None,
        admin_email: str | None = None,
        custom_domain: CustomDomainOptions | None = None,
        static_asset_rebuild_mode: RebuildMode = "",
        static_asset_rebuild_token: str | None = None,
        marketplace: MarketplaceOptions | None = None,
        existing_user_pool: cognito.IUserPool | None = None,
        sign_up_approver: lambda_.IFunction | None = None,
        identity_providers: Sequence[cognito.IUserPoolIdentityProvider] | None = None,
        email_sender: cognito.UserPoolEmail | None = None,
        catalog_requires_sign_in: bool = False,
        try_it_out_origins: Sequence[str] | None = None,
        sync_on_deployment: bool = False,
        sync_schedule: events.Schedule | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        development_mode: bool = False,
        web_acl_arn: str | None = None,
        access_logs: bool = True,
        log_retention: logs.RetentionDays = DEFAULT_LOG_RETENTION,
    ) -> None:
        """
        :param site_bucket_name: Name of the bucket that holds the website.
            Default: - a unique name CloudFormation generates.
        :param artifacts_bucket_name: Name of the bucket that holds API specs and the catalog.
            Default: - a unique name CloudFormation generates.
        :param cognito_domain_prefix: Prefix of the Cognito domain (``{prefix}.auth.{region}.amazoncognito.com``).
            Default: - derived from the stack name, this construct's path and the stack's id, so that two
            portals in one account and region never collide.
        :param cognito_custom_domain: Serve Cognito's managed login and token endpoint at your own domain
            (its ACM certificate must be in us-east-1); point the name at
            ``identity.user_pool_domain.cloud_front_endpoint``. Default: - the ``cognito_domain_prefix`` domain.
        :param account_registration_mode: ``open`` (anyone registers), ``request`` (an admin approves each
            registration) or ``invite`` (only admins create accounts). Default: - ``open``.
        :param allowed_email_domains: Only addresses at these domains may register (``open`` and ``request``).
            Default: - any domain.
        :param admin_email: Address notified of new feedback. Default: - feedback is stored, nobody is notified.
        :param custom_domain: Serve the portal at your own domain name, optionally with Route 53 records.
            Default: - served at the CloudFront domain.
        :param static_asset_rebuild_mode: ``overwrite-content`` replaces the operator's ``custom-content/`` with
            the defaults on the next deploy. Default: - ``""``: custom content is written only where missing.
        :param static_asset_rebuild_token: Change it to make the next deploy upload the site again.
            Default: - the site is uploaded when its files change.
        :param marketplace: Sell APIs through AWS Marketplace SaaS products.
            Default: - no marketplace resources.
        :param existing_user_pool: Sign users in with this pool. The portal adds its own app client, domain
            and groups to it. Default: - a new user pool.
        :param sign_up_approver: A function pre sign-up asks about each applicant (``{email, attributes,
            registrationMode, triggerSource, userPoolId}``); it answers ``{"decision": "approve" | "pending" |
            "refuse", "message": ...}``. Default: - the registration mode decides alone.
        :param identity_providers: SAML or OIDC providers of the user pool, offered on the managed login for
            single sign-on. Default: - Cognito accounts only.
        :param email_sender: How the user pool sends its emails, e.g. ``cognito.UserPoolEmail.with_ses(...)``.
            Default: - Cognito's own sender, with its daily limit.
        :param catalog_requires_sign_in: Show the API catalog and specs to signed-in users only.
            Default: - False: anyone may browse the catalog and read the specs.
        :param try_it_out_origins: Origins (``https://api.example.com``) of catalog APIs outside API Gateway's
            ``execute-api`` domains, which Swagger UI's "Try it out" may call from the browser (the CSP's
            connect-src). Default: - only the ``execute-api`` domains of the stack's region.
        :param sync_on_deployment: Export a shown API Gateway stage again whenever it is redeployed, and refresh
            tiers when a usage plan changes (needs a CloudTrail trail logging management events).
            Default: - False: admins click Update.
        :param sync_schedule: Also export every shown stage again on this schedule. Default: - no schedule.
        :param removal_policy: What happens to buckets, tables, the user pool and logs when they leave the
            stack. Default: - RETAIN: data is kept.
        :param development_mode: Let browsers on any origin call the API (CORS ``*``), for local front-end work.
            Default: - False.
        :param web_acl_arn: ARN of a WAFv2 web ACL (scope CLOUDFRONT, in us-east-1) for the distribution.
            Default: - no web ACL.
        :param access_logs: Keep S3 and CloudFront access logs in a logs bucket. Default: - True.
        :param log_retention: How long function and API access logs are kept. Default: - one year.
        """
        super().__init__(scope, construct_id)
        self._validate(
            site_bucket_name=site_bucket_name,
            artifacts_bucket_name=artifacts_bucket_name,
            cognito_domain_prefix=cognito_domain_prefix,
            cognito_custom_domain=cognito_custom_domain,
            account_registration_mode=account_registration_mode,
            allowed_email_domains=allowed_email_domains,
            admin_email=admin_email,
            custom_domain=custom_domain,
            static_asset_rebuild_mode=static_asset_rebuild_mode,
            marketplace=marketplace,
            web_acl_arn=web_acl_arn,
            try_it_out_origins=try_it_out_origins,
        )
        stack = Stack.of(self)
        prefix: str | None = None
        if cognito_custom_domain is not None:
            cognito_base_url = f"https://{cognito_custom_domain.domain_name}"
        else:
            prefix = cognito_domain_prefix if cognito_domain_prefix is not None else self._default_domain_prefix()
            cognito_base_url = f"https://{prefix}.auth.{stack.region}.amazoncognito.com"
        self._access_logs_bucket = (
            access_logs_bucket(self, "AccessLogsBucket", removal_policy=removal_policy) if access_logs else None
        )

        cognito_idp_url = f"https://cognito-idp.{stack.region}.{stack.url_suffix}"

        self._catalog = Catalog(
            self,
            "Catalog",
            artifacts_bucket_name=artifacts_bucket_name,
            removal_policy=removal_policy,
            log_retention=log_retention,
            server_access_logs_bucket=self.access_logs_bucket,
            sync_on_deployment=sync_on_deployment,
            sync_schedule=sync_schedule,
        )

        self._custom_domain = CustomDomain(
            self,
            "CustomDomain",
            connect_sources=[cognito_idp_url, cognito_base_url],
            form_targets=[cognito_base_url],
            site_bucket_name=site_bucket_name,
            custom_domain=custom_domain,
            web_acl_arn=web_acl_arn,
            access_logs_bucket=self.access_logs_bucket,
            removal_policy=removal_policy,
        )
        website_url = self.custom_domain.website_url
        site_origins = [website_url]
        if custom_domain is not None:
            site_origins.append(self.custom_domain.distribution_url)

        self._identity = Identity(
            self,
            "Identity",
            account_registration_mode=account_registration_mode,
            allowed_email_domains=allowed_email_domains,
            cognito_domain_prefix=prefix,
            cognito_custom_domain=cognito_custom_domain,
            callback_urls=[f"{origin}/" for origin in site_origins],
            existing_user_pool=existing_user_pool,
            portal_url=website_url,
            sign_up_approver=sign_up_approver,
            identity_providers=identity_providers,
            email_sender=email_sender,
            removal_policy=removal_policy,
            log_retention=log_retention,
        )

        self._backend = Backend(
            self,
            "Backend",
            user_pool=self.identity.user_pool,
            allowed_origins=site_origins,
            admin_email=admin_email,
            catalog_requires_sign_in=catalog_requires_sign_in,
            development_mode=development_mode,
            removal_policy=removal_policy,
            log_retention=log_retention,
        )
        self.custom_domain.add_connect_source(self.backend.api_origin)
        # Swagger UI's "Try it out" calls the catalog's API Gateway stages of this region from the browser.
        self.custom_domain.add_connect_source(f"https://*.execute-api.{stack.region}.{stack.url_suffix}")
        for origin in try_it_out_origins or ():
            self.custom_domain.add_connect_source(origin)

        self._marketplace: Marketplace | None = None
        if marketplace is not None:
            self._marketplace = Marketplace(
                self,
                "Marketplace",
                options=marketplace,
                removal_policy=removal_policy,
                log_retention=log_retention,
            )

        self._site = SiteDeployment(
            self,
            "Site",
            site_bucket=self.custom_domain.site_bucket,
            distribution=self.custom_domain.distribution,
            config={
                "version": 1,
                "region": stack.region,
                "userPoolId": self.identity.user_pool.user_pool_id,
                "userPoolClientId": self.identity.user_pool_client.user_pool_client_id,
                "cognitoDomain": cognito_base_url,
                "cognitoIdpEndpoint": f"{cognito_idp_url}/",
                "apiUrl": self.backend.api_url,
                "websiteUrl": website_url,
                "registrationMode": account_registration_mode,
                # The site offers "Sign in with your organization" through the managed login for these.
                "identityProviders": [provider.provider_name for provider in identity_providers or ()],
                "features": {
                    "feedback": admin_email is not None,
                    "marketplace": marketplace is not None,
                    "catalogRequiresSignIn": catalog_requires_sign_in,
                },
            },
            rebuild_mode=static_asset_rebuild_mode,
            rebuild_token=static_asset_rebuild_token,
            log_retention=log_retention,
            removal_policy=removal_policy,
        )

        self._grant()
        self._acknowledge_stack_singletons()
        self._output("WebsiteURL", website_url, "The developer portal's URL.")
        if custom_domain is not None:
            self._output("CustomWebsiteURL", f"https://{custom_domain.domain_name}", "The portal at its domain.")
        self._output("ApiUrl", self.backend.api_url, "Base URL of the portal's backend API.")
        self._output("ArtifactsBucketName", self.catalog.artifacts_bucket.bucket_name, "Put API specs under catalog/.")
        self._output(
            "SiteBucketName",
            self.custom_domain.site_bucket.bucket_name,
            "Put branding under custom-content/.",
        )
        self._output("UserPoolId", self.identity.user_pool.user_pool_id, "The portal's Cognito user pool.")
        if not self.identity.triggers_attached:
            for operation, function in self.identity.triggers.items():
                self._output(
                    f"{operation}TriggerArn",
                    function.function_arn,
                    f"Attach this function to your user pool as its {operation} trigger.",
                )

    @property
    def access_logs_bucket(self) -> s3.Bucket | None:
        """The bucket that keeps S3 and CloudFront access logs, unless ``access_logs`` is False."""
        return self._access_logs_bucket

    @property
    def catalog(self) -> Catalog:
        """The artifacts bucket with the API specs, and the catalog updater."""
        return self._catalog

    @property
    def custom_domain(self) -> CustomDomain:
        """The site bucket, the CloudFront distribution, its security headers and the optional DNS records."""
        return self._custom_domain

    @property
    def identity(self) -> Identity:
        """The user pool, the portal's app client and domain, its groups and the Cognito triggers."""
        return self._identity

    @property
    def backend(self) -> Backend:
        """The REST API, its authorizer, the backend function and the account and feedback tables."""
        return self._backend

    @property
    def marketplace(self) -> Marketplace | None:
        """The marketplace listener and its records, only when ``marketplace`` is given."""
        return self._marketplace

    @property
    def site(self) -> SiteDeployment:
        """The site files, their ``config.json``, the seed-once custom content and the fragment renderer."""
        return self._site

    def _grant(self) -> None:
        accounts = self.backend.accounts_table
        grant_table_data(accounts, self.identity.post_confirmation_function, write=True)
        # Pre token generation accepts invitations and records users it has not seen; pre sign-up keeps the
        # approver's decision until the account is confirmed.
        grant_table_data(accounts, self.identity.pre_token_generation_function, write=True)
        grant_table_data(accounts, self.identity.pre_sign_up_function, write=True)
        for function in (
            self.identity.post_confirmation_function,
            self.identity.pre_token_generation_function,
            self.identity.pre_sign_up_function,
        ):
            function.add_environment("ACCOUNTS_TABLE", accounts.table_name)

        artifacts = self.catalog.artifacts_bucket
        self.catalog.grant_manage_catalog(self.backend.function)
        self.backend.function.add_environment("ARTIFACTS_BUCKET", artifacts.bucket_name)
        self.backend.function.add_environment("REGISTRATION_MODE", self.identity.registration_mode)
        self.catalog.catalog_updater.grant_invoke(self.backend.function)
        acknowledge_wildcards(
            self.backend.function.role,  # type: ignore[arg-type]
            "The admin console invokes the catalog updater, whose versions grant_invoke names with ':*'.",
            resources=[f"{self.catalog.catalog_updater.function_arn}:*"],
        )
        self.backend.function.add_environment("CATALOG_UPDATER", self.catalog.catalog_updater.function_name)

        self.backend.function.add_environment("WEBSITE_URL", self.custom_domain.website_url)
        if self.marketplace is not None:
            self.marketplace.grant_link(self.backend.function)
            # AWS Marketplace posts the buyer's browser here before anyone has signed in.
            self.backend.add_public_route("POST", "marketplace-confirm/{usagePlanId}")
            grant_table_data(accounts, self.marketplace.listener, write=False)
            self.marketplace.listener.add_environment("ACCOUNTS_TABLE", accounts.table_name)

    def _acknowledge_stack_singletons(self) -> None:
        # aws-cdk-lib adds this one function per stack to configure S3 event notifications.
        handler = Stack.of(self).node.try_find_child("BucketNotificationsHandler050a0587b7544547bf325f094a3db834")
        if handler is not None:
            acknowledge(
                handler,
                BASIC_EXECUTION_ROLE,
                "aws-cdk-lib's notifications handler uses the basic execution role.",
            )
            acknowledge(
                handler,
                "IAM5[Resource::*]",
                "aws-cdk-lib's notifications handler sets the notification configuration of the portal's buckets.",
            )

    def _output(self, name: str, value: str, description: str) -> None:
        output = CfnOutput(self, name, value=value, description=description)
        # Operators and the CLI look outputs up by these names; a second portal in the stack gets its id first.
        output.override_logical_id(name if self.node.id == "DevPortal" else f"{self.node.id}{name}")

    def _default_domain_prefix(self) -> str:
        stack = Stack.of(self)
        readable = (
            re.sub(r"[^a-z0-9]+", "-", stack.stack_name.lower())
            if not Token.is_unresolved(stack.stack_name)
            else "devportal"
        )
        for word in COGNITO_RESERVED_WORDS:
            readable = readable.replace(word, "")
        readable = re.sub(r"-+", "-", readable).strip("-")[:20].strip("-") or "devportal"
        path_hash = hashlib.sha256(self.node.path.encode()).hexdigest()[:6]
        # The last group of the stack's UUID tells apart stacks of the same name in other accounts.
        stack_uuid_tail = Fn.select(4, Fn.split("-", Fn.select(2, Fn.split("/", Aws.STACK_ID))))
        return f"{readable}-{path_hash}-{stack_uuid_tail}"

    def _validate(
        self,
        *,
        site_bucket_name: str | None,
        artifacts_bucket_name: str | None,
        cognito_domain_prefix: str | None,
        cognito_custom_domain: cognito.CustomDomainOptions | None,
        account_registration_mode: str,
        allowed_email_domains: Sequence[str] | None,
        admin_email: str | None,
        custom_domain: CustomDomainOptions | None,
        static_asset_rebuild_mode: str,
        marketplace: MarketplaceOptions | None,
        web_acl_arn: str | None,
        try_it_out_origins: Sequence[str] | None,
    ) -> None:
        problems = Problems(self)
        for origin in try_it_out_origins or ():
            if not is_token(origin) and not _HTTPS_ORIGIN.match(origin):
                problems.add(
                    "try_it_out_origins",
                    origin,
                    "use an https origin with no path, such as 'https://api.example.com'",
                )
        for prop, name in (
            ("site_bucket_name", site_bucket_name),
            ("artifacts_bucket_name", artifacts_bucket_name),
        ):
            if name is not None and not is_token(name):
                problem = bucket_name_problem(name)
                if problem:
                    problems.add(prop, name, problem)
        if (
            site_bucket_name is not None
            and site_bucket_name == artifacts_bucket_name
            and not is_token(site_bucket_name)
        ):
            problems.add("artifacts_bucket_name", artifacts_bucket_name, "use a name other than site_bucket_name")

        if cognito_domain_prefix is not None and cognito_custom_domain is not None:
            problems.add(
                "cognito_custom_domain",
                cognito_custom_domain.domain_name,
                "give cognito_domain_prefix or cognito_custom_domain, not both",
            )
        if cognito_domain_prefix is not None and not is_token(cognito_domain_prefix):
            problem = cognito_prefix_problem(cognito_domain_prefix)
            if problem:
                problems.add("cognito_domain_prefix", cognito_domain_prefix, problem)

        one_of(problems, "account_registration_mode", account_registration_mode, REGISTRATION_MODES)
        one_of(problems, "static_asset_rebuild_mode", static_asset_rebuild_mode, REBUILD_MODES)

        if allowed_email_domains is not None:
            if isinstance(allowed_email_domains, str):
                problems.add("allowed_email_domains", allowed_email_domains, "give a list of domains, not one string")
            else:
                if account_registration_mode == "invite":
                    problems.add(
                        "allowed_email_domains",
                        list(allowed_email_domains),
                        "remove it: in invite mode nobody registers alone, admins choose whom to invite",
                    )
                if not allowed_email_domains:
                    problems.add("allowed_email_domains", [], "leave it out to allow any domain, or name one")
                for domain in allowed_email_domains:
                    if not is_token(domain) and not is_domain_name(domain):
                        problems.add("allowed_email_domains", domain, "use a domain name such as 'example.com'")

        if admin_email is not None and not is_token(admin_email) and not is_email(admin_email):
            problems.add("admin_email", admin_email, "use an email address such as 'portal-admin@example.com'")

        if custom_domain is not None:
            self._validate_custom_domain(problems, custom_domain)

        if web_acl_arn is not None and not is_token(web_acl_arn) and not _WEB_ACL_ARN.match(web_acl_arn):
            problems.add(
                "web_acl_arn",
                web_acl_arn,
                "use the ARN of a WAFv2 web ACL with scope CLOUDFRONT, which lives in us-east-1 "
                "(arn:aws:wafv2:us-east-1:ACCOUNT:global/webacl/NAME/ID)",
            )

        if marketplace is not None:
            self._validate_marketplace(problems, marketplace)
        problems.raise_if_any()

    def _validate_marketplace(self, problems: Problems, options: MarketplaceOptions) -> None:
        one_of(problems, "marketplace.event_source", options.event_source, EVENT_SOURCES)
        arns = options.subscription_topic_arns
        if options.event_source == "sns":
            if isinstance(arns, str) or not arns:
                problems.add(
                    "marketplace.subscription_topic_arns",
                    arns,
                    "give a list with the SNS topic ARN AWS Marketplace created for each product",
                )
            else:
                for arn in arns:
                    if not is_token(arn) and not _TOPIC_ARN.match(arn):
                        problems.add(
                            "marketplace.subscription_topic_arns", arn, "use an SNS topic ARN (arn:aws:sns:...)"
                        )
        elif options.event_source == "eventbridge":
            if arns:
                problems.add(
                    "marketplace.subscription_topic_arns",
                    list(arns),
                    "leave it out: with event_source='eventbridge' the listener reads the default event bus",
                )
            region = Stack.of(self).region
            if not Token.is_unresolved(region) and region != "us-east-1":
                problems.add(
                    "marketplace.event_source",
                    options.event_source,
                    f"the stack is in {region}, but AWS Marketplace sends its EventBridge events to the default bus "
                    "in us-east-1 only; deploy the portal there or use event_source='sns'",
                )
        for code, plan in options.product_codes.items():
            if not is_token(code) and not _PRODUCT_CODE.match(code or ""):
                problems.add("marketplace.product_codes", code, "use the product code AWS Marketplace gave the product")
            if not is_token(plan) and not _USAGE_PLAN_ID.match(plan or ""):
                problems.add("marketplace.product_codes", {code: plan}, "map each product code to a usage plan id")

    @staticmethod
    def _validate_custom_domain(problems: Problems, options: CustomDomainOptions) -> None:
        domain = options.domain_name
        if not domain:
            problems.add("custom_domain.domain_name", domain, "name the portal's host, e.g. 'developer.example.com'")
        elif not is_token(domain) and not is_domain_name(domain):
            problems.add("custom_domain.domain_name", domain, "use a host name such as 'developer.example.com'")
        if options.certificate is None:
            problems.add(
                "custom_domain.certificate",
                None,
                "give the ACM certificate for the domain, e.g. acm.Certificate.from_certificate_arn(...)",
            )
        else:
            arn = options.certificate.certificate_arn
            if not is_token(arn):
                match = _CERTIFICATE_ARN.match(arn)
                if match is None:
                    problems.add("custom_domain.certificate", arn, "use an ACM certificate ARN (arn:aws:acm:...)")
                elif match.group(1) != "us-east-1":
                    problems.add(
                        "custom_domain.certificate",
                        arn,
                        f"the certificate is in {match.group(1)}; CloudFront only uses certificates in "
                        "us-east-1, so request or import it there",
                    )
        if options.create_hosted_zone and options.hosted_zone is not None:
            problems.add(
                "custom_domain.create_hosted_zone",
                True,
                "either create a hosted zone or use hosted_zone, not both",
            )
