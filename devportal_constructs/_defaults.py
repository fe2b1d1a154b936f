"""The secure defaults every portal resource shares, kept in one place so that none drifts."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ._bundling import LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME, lambda_code
from ._nag import acknowledge, acknowledge_wildcards

DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_YEAR
SERVICE_NAME = "devportal"


def secure_bucket(
    scope: Construct,
    construct_id: str,
    *,
    bucket_name: str | None,
    removal_policy: RemovalPolicy,
    server_access_logs_bucket: s3.IBucket | None,
    server_access_logs_prefix: str | None = None,
) -> s3.Bucket:
    """A private, encrypted, versioned bucket that refuses plain HTTP."""
    return s3.Bucket(
        scope,
        construct_id,
        bucket_name=bucket_name,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        minimum_tls_version=1.2,
        versioned=True,
        removal_policy=removal_policy,
        auto_delete_objects=False,
        server_access_logs_bucket=server_access_logs_bucket,
        server_access_logs_prefix=server_access_logs_prefix,
    )


def access_logs_bucket(scope: Construct, construct_id: str, *, removal_policy: RemovalPolicy) -> s3.Bucket:
    """Where S3 server and CloudFront access logs go. It cannot log to itself, which cdk-nag is told.

    CloudFront's standard logs are delivered with ACLs, so this bucket keeps them enabled (object writer).
    """
    bucket = s3.Bucket(
        scope,
        construct_id,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        minimum_tls_version=1.2,
        versioned=True,
        removal_policy=removal_policy,
        lifecycle_rules=[
            s3.LifecycleRule(expiration=Duration.days(365), noncurrent_version_expiration=Duration.days(30))
        ],
    )
    acknowledge(bucket, "S1", "This bucket receives the access logs; logging it to itself would loop.")
    return bucket


def table(
    scope: Construct,
    construct_id: str,
    *,
    partition_key: str,
    sort_key: str | None = None,
    removal_policy: RemovalPolicy,
) -> dynamodb.TableV2:
    """An on-demand, encrypted table with point-in-time recovery and deletion protection."""
    return dynamodb.TableV2(
        scope,
        construct_id,
        partition_key=dynamodb.Attribute(name=partition_key, type=dynamodb.AttributeType.STRING),
        sort_key=(None if sort_key is None else dynamodb.Attribute(name=sort_key, type=dynamodb.AttributeType.STRING)),
        billing=dynamodb.Billing.on_demand(),
        encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        deletion_protection=removal_policy == RemovalPolicy.RETAIN,
        removal_policy=removal_policy,
    )


def grant_table_data(table: dynamodb.ITableV2, function: lambda_.IFunction, *, write: bool) -> None:
    """Grant `function` the items of `table` (read, or read and write), and say why its indexes are named by '*'."""
    if write:
        table.grant_read_write_data(function)
    else:
        table.grant_read_data(function)
    acknowledge_wildcards(
        function.role,  # type: ignore[arg-type]
        "DynamoDB grants name the table's indexes as <table>/index/*, so queries on its secondary indexes work.",
        resources=[f"{table.table_arn}/index/*"],
    )


def portal_function(
    scope: Construct,
    construct_id: str,
    *,
    handler: str,
    description: str,
    log_retention: logs.RetentionDays,
    removal_policy: RemovalPolicy,
    environment: Mapping[str, str] | None = None,
    memory_size: int = 256,
    timeout: Duration | None = None,
) -> lambda_.Function:
    """A Python function on arm64 from the shared bundle, with its own role, log group and tracing.

    The role starts empty apart from writing its own log group and X-Ray traces; everything else is granted
    to it by name, so no managed policy with account-wide rights is attached.
    """
    log_group = logs.LogGroup(scope, f"{construct_id}Logs", retention=log_retention, removal_policy=removal_policy)
    role = iam.Role(
        scope,
        f"{construct_id}Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=f"Runs the developer portal's {description}",
    )
    log_group.grant_write(role)
    function = lambda_.Function(
        scope,
        construct_id,
        runtime=LAMBDA_RUNTIME,
        architecture=LAMBDA_ARCHITECTURE,
        code=lambda_code(scope),
        handler=handler,
        description=f"Developer portal: {description}",
        role=role,
        log_group=log_group,
        logging_format=lambda_.LoggingFormat.JSON,
        tracing=lambda_.Tracing.ACTIVE,
        memory_size=memory_size,
        timeout=timeout or Duration.seconds(30),
        environment={
            "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": "DevPortal",
            "POWERTOOLS_LOG_LEVEL": "INFO",
            "STACK_NAME": Stack.of(scope).stack_name,
            **(environment or {}),
        },
    )
    acknowledge(
        role,
        "IAM5[Resource::*]",
        "X-Ray's PutTraceSegments and PutTelemetryRecords accept no resource but '*'.",
    )
    return function
