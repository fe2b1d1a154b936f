"""The API catalog: the artifacts bucket that holds the specs, and the function that publishes the catalog."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from ._defaults import portal_function, secure_bucket
from ._nag import S3_READ_ACTIONS, acknowledge_wildcards

CATALOG_PREFIX = "catalog/"
# What the updater publishes beside the sources: catalog.json, catalog-status.json, catalog-settings.json,
# catalog-index.json and catalog-specs/{id}.json (runtime/portal_common/catalog.py documents each).
PUBLISHED_PATTERNS = ("catalog.json", "catalog-*")
BATCH_SIZE = 100
BATCH_WINDOW = Duration.seconds(5)
UPDATER_TIMEOUT = Duration.minutes(5)
_PUT_ACTIONS = ("s3:Abort*",)
_DELETE_ACTIONS = ("s3:DeleteObject*",)


class Catalog(Construct):
    """Holds the API specifications and keeps the published catalog in step with them.

    Operators, the CLI or the admin console put Swagger 2.0 / OpenAPI 3.0 and 3.1 files under ``catalog/`` in
    the artifacts bucket. S3 announces each created or removed object to a queue; the catalog updater takes
    the announcements in batches (up to 100, gathered for up to 5 seconds), reads each changed file once,
    and publishes ``catalog.json``, each API's spec and a status listing invalid files with their errors.
    Announcements that keep failing land in a dead-letter queue after five attempts.
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
        sync_on_deployment: bool = False,
        sync_schedule: events.Schedule | None = None,
    ) -> None:
        """
        :param artifacts_bucket_name: Name of the artifacts bucket. Default: - a name CloudFormation generates.
        :param removal_policy: What happens to the bucket when it leaves the stack. Default: - RETAIN.
        :param log_retention: How long the updater's logs are kept. Default: - one year.
        :param server_access_logs_bucket: Where S3 access logs of the bucket go. Default: - not logged.
        :param sync_on_deployment: Export a shown stage again whenever it is redeployed, and refresh the tiers
            whenever a usage plan changes, from CloudTrail's management events on EventBridge (the account
            needs a trail that logs management events). Default: - False: admins click Update.
        :param sync_schedule: Also export every shown stage again on this schedule; unchanged exports cost
            nothing. Default: - no schedule.
        """
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        syncs = sync_on_deployment or sync_schedule is not None

        self.artifacts_bucket: s3.Bucket = secure_bucket(
            self,
            "ArtifactsBucket",
            bucket_name=artifacts_bucket_name,
            removal_policy=removal_policy,
            server_access_logs_bucket=server_access_logs_bucket,
            server_access_logs_prefix="artifacts/",
        )
        """The private bucket holding API specs under ``catalog/`` and the published ``catalog.json``."""

        self.dead_letter_queue: sqs.Queue = sqs.Queue(
            self,
            "UpdatesDeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        """Announcements of spec changes the updater failed to apply five times; redrive them once fixed."""
        self.updates_queue: sqs.Queue = sqs.Queue(
            self,
            "UpdatesQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            # Lambda's guidance: six times the function's timeout, so a batch is never handed out twice at once.
            visibility_timeout=Duration.minutes(UPDATER_TIMEOUT.to_minutes() * 6),
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letter_queue, max_receive_count=5),
        )
        """The queue S3 announces every created or removed object under ``catalog/`` to."""

        self.catalog_updater: lambda_.Function = portal_function(
            self,
            "CatalogUpdater",
            handler="catalog_updater.handler.lambda_handler",
            description="catalog updater, which publishes the catalog when specs change",
            log_retention=log_retention,
            removal_policy=removal_policy,
            timeout=UPDATER_TIMEOUT,
            memory_size=1024,
            environment={"ARTIFACTS_BUCKET": self.artifacts_bucket.bucket_name},
        )
        """The function that applies batches of spec changes and publishes the catalog."""

        self.catalog_updater.add_event_source(
            sources.SqsEventSource(
                self.updates_queue,
                batch_size=BATCH_SIZE,
                max_batching_window=BATCH_WINDOW,
                # Batches commit with a conditional write and retry when they collide; two at a time keeps
                # collisions rare while a bulk upload still drains quickly.
                max_concurrency=2,
            )
        )
        key_filter = s3.NotificationKeyFilter(prefix=CATALOG_PREFIX)
        destination = s3n.SqsDestination(self.updates_queue)
        self.artifacts_bucket.add_event_notification(s3.EventType.OBJECT_CREATED, destination, key_filter)
        self.artifacts_bucket.add_event_notification(s3.EventType.OBJECT_REMOVED, destination, key_filter)

        self._grant_updater(syncs)
        # API Gateway's control plane has no grant methods. Usage plans are listed to map stages to their
        # tiers; the ARN names the usage-plan collection of this region only.
        gateway_reads = [stack.format_arn(service="apigateway", account="", resource="/usageplans")]
        exports = stack.format_arn(service="apigateway", account="", resource="/restapis/*/stages/*/exports/*")
        if syncs:
            gateway_reads.append(exports)
        self.catalog_updater.add_to_role_policy(
            iam.PolicyStatement(actions=["apigateway:GET"], resources=gateway_reads)
        )
        if syncs:
            acknowledge_wildcards(
                self.catalog_updater.role,  # type: ignore[arg-type]
                "The updater exports whichever stages the admin shows, which are chosen at run time; the ARN "
                "names stage exports of this region and nothing else.",
                resources=[exports],
            )

        self.deployment_rule: events.Rule | None = None
        """The EventBridge rule that reports deployments and usage-plan changes, when ``sync_on_deployment``."""
        if sync_on_deployment:
            self.deployment_rule = events.Rule(
                self,
                "DeploymentRule",
                description="Developer portal: export shown API stages again when they are redeployed",
                event_pattern=events.EventPattern(
                    source=["aws.apigateway"],
                    detail_type=["AWS API Call via CloudTrail"],
                    detail={
                        "eventSource": ["apigateway.amazonaws.com"],
                        "eventName": [
                            "CreateDeployment",
                            "UpdateStage",
                            "CreateUsagePlan",
                            "UpdateUsagePlan",
                            "DeleteUsagePlan",
                        ],
                    },
                ),
                targets=[targets.LambdaFunction(self.catalog_updater, retry_attempts=2)],
            )
        self.sync_rule: events.Rule | None = None
        """The scheduled rule that exports every shown stage again, when ``sync_schedule`` is given."""
        if sync_schedule is not None:
            self.sync_rule = events.Rule(
                self,
                "SyncSchedule",
                description="Developer portal: export shown API stages again on a schedule",
                schedule=sync_schedule,
                targets=[
                    targets.LambdaFunction(
                        self.catalog_updater,
                        event=events.RuleTargetInput.from_object({"action": "sync"}),
                        retry_attempts=2,
                    )
                ],
            )

    def _grant_updater(self, syncs: bool) -> None:
        bucket, role = self.artifacts_bucket, self.catalog_updater.role
        bucket.grant_read(self.catalog_updater, f"{CATALOG_PREFIX}*")
        written = [bucket.arn_for_objects(f"{CATALOG_PREFIX}*")]
        for pattern in PUBLISHED_PATTERNS:
            bucket.grant_read(self.catalog_updater, pattern)
            bucket.grant_put(self.catalog_updater, pattern)
            written.append(bucket.arn_for_objects(pattern))
        bucket.grant_delete(self.catalog_updater, "catalog-specs/*")
        written.append(bucket.arn_for_objects("catalog-specs/*"))
        if syncs:
            bucket.grant_put(self.catalog_updater, f"{CATALOG_PREFIX}*")
        acknowledge_wildcards(
            role,  # type: ignore[arg-type]
            "The updater reads the specs under catalog/ (whose names operators choose), writes the published "
            "catalog files beside them (catalog.json, catalog-*) and removes specs of deleted APIs; each "
            "wildcard is one of those prefixes of the artifacts bucket.",
            actions=(*S3_READ_ACTIONS, *_PUT_ACTIONS, *_DELETE_ACTIONS),
            resources=written,
        )

    def grant_read_catalog(self, grantee: iam.IGrantable) -> None:
        """Let `grantee` read the published catalog, its status and settings, and each API's spec."""
        for pattern in PUBLISHED_PATTERNS:
            self.artifacts_bucket.grant_read(grantee, pattern)
        self._acknowledge(
            grantee,
            "Reads the published catalog files (catalog.json, catalog-*) of the artifacts bucket.",
            actions=S3_READ_ACTIONS,
            resources=[self.artifacts_bucket.arn_for_objects(pattern) for pattern in PUBLISHED_PATTERNS],
        )

    def grant_manage_catalog(self, grantee: iam.IGrantable) -> None:
        """Let `grantee` (the admin console) add and remove specs, and record the admin's catalog settings."""
        self.grant_read_catalog(grantee)
        sources = f"{CATALOG_PREFIX}*"
        self.artifacts_bucket.grant_read(grantee, sources)
        self.artifacts_bucket.grant_put(grantee, sources)
        self.artifacts_bucket.grant_delete(grantee, sources)
        self.artifacts_bucket.grant_put(grantee, "catalog-settings.json")
        self._acknowledge(
            grantee,
            "The admin console shows, hides and uploads specs under catalog/, whose names are chosen at run time.",
            actions=(*S3_READ_ACTIONS, *_PUT_ACTIONS, *_DELETE_ACTIONS),
            resources=[self.artifacts_bucket.arn_for_objects(sources)],
        )

    @staticmethod
    def _acknowledge(grantee: iam.IGrantable, reason: str, *, actions: tuple[str, ...], resources: list[str]) -> None:
        principal = grantee.grant_principal
        if isinstance(principal, Construct):
            acknowledge_wildcards(principal, reason, actions=actions, resources=resources)
