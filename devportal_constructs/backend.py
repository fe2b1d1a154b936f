"""The portal's backend: a REST API behind a Cognito user-pool authorizer, one function, and its tables."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from ._defaults import grant_table_data, portal_function, table
from ._nag import acknowledge, acknowledge_wildcards

API_BASE_PATH = "api"
STAGE_NAME = "prod"
# Routes anyone may call: the catalog browses anonymously, and the OpenAPI document describes the API.
PUBLIC_ROUTES: tuple[tuple[str, str], ...] = (("GET", "openapi.json"),)
CATALOG_ROUTES: tuple[tuple[str, str], ...] = (
    ("GET", "catalog"),
    ("GET", "catalog/{api}/spec"),
    ("GET", "catalog/{api}/docs"),
)


class Backend(Construct):
    """Everything the browser calls: ``/api/*`` on an API Gateway REST API, answered by one function.

    Every route needs a Cognito JWT except the public ones listed in ``PUBLIC_ROUTES``. Browsers may call it
    from the portal's own origins only, unless ``development_mode`` opens CORS to any origin.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        user_pool: cognito.IUserPool,
        allowed_origins: Sequence[str],
        admin_email: str | None = None,
        catalog_requires_sign_in: bool = False,
        development_mode: bool = False,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        extra_public_routes: Sequence[tuple[str, str]] = (),
    ) -> None:
        """
        :param user_pool: The pool whose tokens the authorizer accepts.
        :param allowed_origins: The portal's origins (``https://host``), which CORS lets call the API; the first
            is named in error responses.
        :param admin_email: Who is emailed about new feedback. Default: - feedback is stored, nobody is emailed.
        :param catalog_requires_sign_in: Serve the catalog and specs to signed-in users only.
            Default: - False: they are public.
        :param development_mode: Answer CORS from any origin, for local front-end work.
            Default: - False: only ``allowed_origins`` may call the API from a browser.
        :param removal_policy: What happens to the tables when they leave the stack. Default: - RETAIN.
        :param log_retention: How long function and access logs are kept. Default: - one year.
        :param extra_public_routes: More ``(method, path)`` routes under ``/api`` that need no sign-in.
            Default: - only the catalog and the OpenAPI document.
        """
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        self.accounts_table: dynamodb.TableV2 = table(
            self, "AccountsTable", partition_key="userId", removal_policy=removal_policy
        )
        """One item per portal account: status, registration method, API key id, dates."""
        self.feedback_table: dynamodb.TableV2 = table(
            self, "FeedbackTable", partition_key="feedbackId", removal_policy=removal_policy
        )
        """Feedback the portal's users sent; only admins read it."""

        self.feedback_topic: sns.Topic | None = None
        """The topic that emails ``admin_email`` about new feedback, when it is set."""
        if admin_email is not None:
            self.feedback_topic = sns.Topic(
                self,
                "FeedbackTopic",
                display_name="Developer portal feedback",
                master_key=kms.Alias.from_alias_name(self, "SnsKey", "alias/aws/sns"),
                enforce_ssl=True,
            )
            self.feedback_topic.add_subscription(subscriptions.EmailSubscription(admin_email))

        self.function: lambda_.Function = portal_function(
            self,
            "Function",
            handler="backend.handler.lambda_handler",
            description="backend API",
            log_retention=log_retention,
            removal_policy=removal_policy,
            memory_size=1024,
            environment={
                "ACCOUNTS_TABLE": self.accounts_table.table_name,
                "FEEDBACK_TABLE": self.feedback_table.table_name,
                "USER_POOL_ID": user_pool.user_pool_id,
                "FEEDBACK_TOPIC_ARN": "" if self.feedback_topic is None else self.feedback_topic.topic_arn,
                "ALLOWED_ORIGINS": "*" if development_mode else ",".join(allowed_origins),
                "CATALOG_REQUIRES_SIGN_IN": "true" if catalog_requires_sign_in else "false",
            },
        )
        """The function behind every route of the API."""

        grant_table_data(self.accounts_table, self.function, write=True)
        grant_table_data(self.feedback_table, self.function, write=True)
        if self.feedback_topic is not None:
            self.feedback_topic.grant_publish(self.function)
        user_pool.grant(
            self.function,
            "cognito-idp:AdminGetUser",
            "cognito-idp:AdminCreateUser",
            "cognito-idp:AdminDeleteUser",
            "cognito-idp:AdminAddUserToGroup",
            "cognito-idp:AdminRemoveUserFromGroup",
            "cognito-idp:AdminListGroupsForUser",
            "cognito-idp:ListUsers",
            "cognito-idp:ListUsersInGroup",
        )
        # API Gateway's control plane has no grant methods. The backend issues API keys and manages the
        # keys of usage plans; the statement names those collections in this region, nothing else.
        key_and_plan_arns = [
            stack.format_arn(service="apigateway", account="", resource=resource)
            for resource in ("/apikeys", "/apikeys/*", "/usageplans", "/usageplans/*")
        ]
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["apigateway:GET", "apigateway:POST", "apigateway:PATCH", "apigateway:DELETE"],
                resources=key_and_plan_arns,
            )
        )
        # The admin console lists the account's REST API stages, exports the shown ones and generates SDKs; the
        # ARNs name those read-only collections of this region.
        export_arns = [
            stack.format_arn(service="apigateway", account="", resource=resource)
            for resource in (
                "/restapis",
                "/restapis/*/stages",
                "/restapis/*/stages/*/exports/*",
                "/restapis/*/stages/*/sdks/*",
            )
        ]
        self.function.add_to_role_policy(iam.PolicyStatement(actions=["apigateway:GET"], resources=export_arns))

        # Keys are tagged with the stack and the user when they are created, which API Gateway authorizes as a
        # PUT on the tags of the new key.
        tags_arn = stack.format_arn(service="apigateway", account="", resource="/tags/*")
        self.function.add_to_role_policy(iam.PolicyStatement(actions=["apigateway:PUT"], resources=[tags_arn]))
        acknowledge_wildcards(
            self.function.role,  # type: ignore[arg-type]
            "The backend creates one API key per user at run time, adds it to usage plans and tags it, and the "
            "admin console exports any stage of the account's REST APIs, so the statements name those "
            "collections of this region rather than resources that do not exist yet.",
            resources=[arn for arn in (*key_and_plan_arns, *export_arns, tags_arn) if "*" in arn],
        )

        self.access_log_group: logs.LogGroup = logs.LogGroup(
            self, "AccessLogs", retention=log_retention, removal_policy=removal_policy
        )
        """Where the API stage writes one JSON access-log line per request."""

        cors_origins = apigw.Cors.ALL_ORIGINS if development_mode else list(allowed_origins)
        cors = apigw.CorsOptions(
            allow_origins=cors_origins,
            allow_headers=["Authorization", "Content-Type"],
            allow_methods=apigw.Cors.ALL_METHODS,
            max_age=Duration.minutes(10),
        )
        error_origin = "*" if development_mode else allowed_origins[0]
        self.api: apigw.RestApi = apigw.RestApi(
            self,
            "Api",
            description="Developer portal backend",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=False,
            default_cors_preflight_options=cors,
            # SDK downloads are zip files, passed through as binary when the browser asks for application/zip.
            binary_media_types=["application/zip"],
            deploy_options=apigw.StageOptions(
                stage_name=STAGE_NAME,
                tracing_enabled=True,
                metrics_enabled=True,
                throttling_rate_limit=100,
                throttling_burst_limit=200,
                access_log_destination=apigw.LogGroupLogDestination(self.access_log_group),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
            ),
        )
        """The REST API. Its routes live under ``/api`` on the ``prod`` stage."""

        self.authorizer: apigw.CognitoUserPoolsAuthorizer = apigw.CognitoUserPoolsAuthorizer(
            self, "Authorizer", cognito_user_pools=[user_pool]
        )
        """Verifies the Cognito ID token of every route but the public ones."""

        self._validator = self.api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )
        self._integration = apigw.LambdaIntegration(self.function, allow_test_invoke=False)
        self._base = self.api.root.add_resource(API_BASE_PATH)
        self._base.add_proxy(
            any_method=True,
            default_integration=self._integration,
            default_method_options=apigw.MethodOptions(
                authorizer=self.authorizer,
                authorization_type=apigw.AuthorizationType.COGNITO,
                request_validator=self._validator,
            ),
        )
        public_routes = (*PUBLIC_ROUTES, *(() if catalog_requires_sign_in else CATALOG_ROUTES), *extra_public_routes)
        for method, path in public_routes:
            self.add_public_route(method, path)
        self._acknowledge_preflights()

        for response_type, message in (
            (apigw.ResponseType.UNAUTHORIZED, "Sign in again: the request has no valid session token."),
            (apigw.ResponseType.ACCESS_DENIED, "You are not allowed to do this."),
            (apigw.ResponseType.DEFAULT_4_XX, "The request was refused: $context.error.message"),
            (apigw.ResponseType.DEFAULT_5_XX, "The portal could not answer; try again in a moment."),
        ):
            self.api.add_gateway_response(
                f"{response_type.response_type}Response",
                type=response_type,
                templates={"application/json": f'{{"message": "{message}"}}'},
                response_headers={"Access-Control-Allow-Origin": f"'{error_origin}'"},
            )

        acknowledge(
            self.api,
            "APIG3",
            "A regional web ACL is the operator's choice; the stage throttles every caller (100 rps, burst 200).",
        )
        acknowledge(
            self.api,
            "APIG6",
            "Execution logging needs the account-wide API Gateway CloudWatch role, which a construct should not "
            "take over; the stage writes JSON access logs and X-Ray traces instead.",
        )

    def add_public_route(self, method: str, path: str) -> apigw.Method:
        """Answer ``method /api/{path}`` without asking for a token."""
        resource: apigw.IResource = self._base
        for part in path.strip("/").split("/"):
            resource = resource.get_resource(part) or resource.add_resource(part)
        created = resource.add_method(
            method,
            self._integration,
            authorization_type=apigw.AuthorizationType.NONE,
            request_validator=self._validator,
        )
        for rule in ("APIG4", "COG4"):
            acknowledge(created, rule, f"{method} /{API_BASE_PATH}/{path} is public by design: anyone may call it.")
        self._acknowledge_preflights()
        return created

    def _acknowledge_preflights(self) -> None:
        reason = "CORS preflight (OPTIONS) requests carry no credentials by the browser's design."
        for method in self.api.methods:
            if method.http_method == "OPTIONS":
                acknowledge(method, "APIG4", reason)
                acknowledge(method, "COG4", reason)

    @property
    def api_origin(self) -> str:
        """The API's origin, ``https://{id}.execute-api.{region}.{suffix}``, for the site's CSP."""
        stack = Stack.of(self)
        return f"https://{self.api.rest_api_id}.execute-api.{stack.region}.{stack.url_suffix}"

    @property
    def api_url(self) -> str:
        """The base URL of the portal's routes, ``https://.../prod/api``."""
        return f"{self.api_origin}/{STAGE_NAME}/{API_BASE_PATH}"
