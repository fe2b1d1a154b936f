"""The API catalog: the artifacts bucket that holds the specs, and the function that builds the catalog."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from constructs import Construct

from ._defaults import portal_function, secure_bucket
from ._nag import S3_READ_WRITE_ACTIONS, acknowledge_wildcards

CATALOG_PREFIX = "catalog/"


class Catalog(Construct):
    """Holds the API specifications and keeps the published catalog in step with them.

    Operators (or the admin console) put Swagger 2.0 / OpenAPI 3.x files under ``catalog/`` in the artifacts
    bucket; every created or removed object there invokes the catalog updater.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        artifacts_bucket_name: str | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        server_access_logs_bucket: s3.IBucket | None = None,
    ) -> None:
        """
        :param artifacts_bucket_name: Name of the artifacts bucket. Default: - a name CloudFormation generates.
        :param removal_policy: What happens to the bucket when it leaves the stack. Default: - RETAIN.
        :param log_retention: How long the updater's logs are kept. Default: - one year.
        :param server_access_logs_bucket: Where S3 access logs of the bucket go. Default: - not logged.
        """
        super().__init__(scope, construct_id)

        self.artifacts_bucket: s3.Bucket = secure_bucket(
            self,
            "ArtifactsBucket",
            bucket_name=artifacts_bucket_name,
            removal_policy=removal_policy,
            server_access_logs_bucket=server_access_logs_bucket,
            server_access_logs_prefix="artifacts/",
        )
        """The private bucket holding API specs under ``catalog/`` and the built ``catalog.json``."""

        self.catalog_updater: lambda_.Function = portal_function(
            self,
            "CatalogUpdater",
            handler="catalog_updater.handler.lambda_handler",
            description="catalog updater, which rebuilds the catalog when specs change",
            log_retention=log_retention,
            removal_policy=removal_policy,
            timeout=Duration.minutes(5),
            memory_size=512,
            environment={"ARTIFACTS_BUCKET": self.artifacts_bucket.bucket_name},
        )
        """The function S3 invokes for every spec created or removed under ``catalog/``."""

        self.artifacts_bucket.grant_read_write(self.catalog_updater)
        acknowledge_wildcards(
            self.catalog_updater.role,  # type: ignore[arg-type]
            "grant_read_write on the artifacts bucket: the updater reads every spec and writes the catalog.",
            actions=S3_READ_WRITE_ACTIONS,
            resources=[self.artifacts_bucket.arn_for_objects("*")],
        )
        # API Gateway's control plane has no grant methods. Usage plans are listed to map stages to tiers;
        # the ARN names the usage-plan collection of this region only.
        self.catalog_updater.add_to_role_policy(
            iam.PolicyStatement(
                actions=["apigateway:GET"],
                resources=[
                    Stack.of(self).format_arn(
                        service="apigateway", account="", resource="/usageplans"
                    ),
                ],
            )
        )
        target = s3n.LambdaDestination(self.catalog_updater)
        key_filter = s3.NotificationKeyFilter(prefix=CATALOG_PREFIX)
        self.artifacts_bucket.add_event_notification(s3.EventType.OBJECT_CREATED, target, key_filter)
        self.artifacts_bucket.add_event_notification(s3.EventType.OBJECT_REMOVED, target, key_filter)
