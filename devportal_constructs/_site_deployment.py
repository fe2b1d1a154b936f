"""Puts the site into its bucket on every deploy, keeping the operator's custom content."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import CustomResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_s3_deployment as s3deploy
from aws_cdk import aws_s3_notifications as s3n
from constructs import Construct

from ._assets import site_dir
from ._defaults import portal_function
from ._nag import (
    BASIC_EXECUTION_ROLE,
    S3_READ_ACTIONS,
    S3_READ_WRITE_ACTIONS,
    acknowledge,
    acknowledge_wildcards,
)

CUSTOM_CONTENT_PREFIX = "custom-content/"
FRAGMENTS_PREFIX = f"{CUSTOM_CONTENT_PREFIX}content-fragments/"
LOGOS_PREFIX = f"{CUSTOM_CONTENT_PREFIX}api-logos/"
CONFIG_FILE = "config.json"
REBUILD_TOKEN_FILE = ".rebuild-token"
# grant_read plus grant_put: reading and multipart uploads, no deletes.
S3_SEED_ACTIONS = (*S3_READ_ACTIONS, "s3:Abort*")
SITE_CACHE_CONTROL = "public, max-age=0, must-revalidate, s-maxage=86400"


def site_invalidation_paths(public: Path) -> list[str]:
    """What a deploy can change: every top-level file and folder of the site and ``config.json``.

    ``custom-content/`` is not among them; the seeder invalidates the files it writes there.
    """
    paths = {f"/{CONFIG_FILE}"}
    for entry in public.iterdir():
        if entry.name.startswith(".") or entry.name == CUSTOM_CONTENT_PREFIX.rstrip("/"):
            continue
        paths.add(f"/{entry.name}/*" if entry.is_dir() else f"/{entry.name}")
    return sorted(paths)


class SiteDeployment(Construct):
    """The built site, its deploy-time ``config.json``, and the seed-once ``custom-content/``.

    - ``site/public`` is copied with ``BucketDeployment`` on every deploy; stale files are pruned, except
      under ``custom-content/``, which belongs to the operator.
    - ``config.json`` holds the deployed values with tokens resolved.
    - ``site/custom-content`` is written by the site-deployment custom resource only where an object is
      missing, or replaced everywhere in ``overwrite-content`` mode. Its fragments are then rendered, and
      rendered again by the content renderer whenever an operator uploads one.
    - ``custom-content/api-logos/index.json`` lists the per-API logos, so the site requests only those that
      exist; the seeder writes it at deploy time and the content renderer whenever a logo is added or removed.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        site_bucket: s3.Bucket,
        distribution: cloudfront.IDistribution,
        config: Mapping[str, Any],
        rebuild_mode: str,
        rebuild_token: str | None,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        site = site_dir()

        self.content_renderer = portal_function(
            self,
            "ContentRenderer",
            handler="content_renderer.handler.lambda_handler",
            description="content renderer, which turns Markdown fragments into sanitized HTML",
            log_retention=log_retention,
            removal_policy=removal_policy,
            environment={
                "SITE_BUCKET": site_bucket.bucket_name,
                "DISTRIBUTION_ID": distribution.distribution_id,
            },
        )
        # Read and put, never delete: a broken fragment keeps its last good rendering. In api-logos/ it
        # lists the logos and writes their manifest, index.json.
        for prefix in (FRAGMENTS_PREFIX, LOGOS_PREFIX):
            site_bucket.grant_read(self.content_renderer, f"{prefix}*")
            site_bucket.grant_put(self.content_renderer, f"{prefix}*")
        distribution.grant_create_invalidation(self.content_renderer)
        acknowledge_wildcards(
            self.content_renderer.role,  # type: ignore[arg-type]
            "grant_read and grant_put on the fragments and api-logos folders of the site bucket: the renderer "
            "reads each uploaded fragment and writes its rendering beside it, and lists the logos to write "
            "their manifest.",
            actions=S3_SEED_ACTIONS,
            resources=[site_bucket.arn_for_objects(f"{prefix}*") for prefix in (FRAGMENTS_PREFIX, LOGOS_PREFIX)],
        )
        renderer = s3n.LambdaDestination(self.content_renderer)
        site_bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED, renderer, s3.NotificationKeyFilter(prefix=FRAGMENTS_PREFIX, suffix=".md")
        )
        # Only .png: the manifest the renderer writes there (index.json) must not trigger it again.
        for event in (s3.EventType.OBJECT_CREATED, s3.EventType.OBJECT_REMOVED):
            site_bucket.add_event_notification(
                event, renderer, s3.NotificationKeyFilter(prefix=LOGOS_PREFIX, suffix=".png")
            )

        self.files = s3deploy.BucketDeployment(
            self,
            "Files",
            sources=[
                s3deploy.Source.asset(str(site / "public")),
                s3deploy.Source.json_data(CONFIG_FILE, dict(config)),
                # A new token is a new source, which makes the deployment copy the site again.
                *([] if rebuild_token is None else [s3deploy.Source.data(REBUILD_TOKEN_FILE, rebuild_token)]),
            ],
            destination_bucket=site_bucket,
            exclude=[f"{CUSTOM_CONTENT_PREFIX}*"],
            prune=True,
            # Browsers revalidate every file (their names carry no hash); CloudFront keeps them until the
            # next deploy invalidates them.
            cache_control=[s3deploy.CacheControl.from_string(SITE_CACHE_CONTROL)],
            distribution=distribution,
            distribution_paths=site_invalidation_paths(site / "public"),
            memory_limit=512,
        )
        handler = self.files.handler_role.node.scope
        assert handler is not None
        acknowledge_wildcards(
            handler,
            "BucketDeployment's handler copies the site's asset from the CDK assets bucket into the site "
            "bucket and prunes stale files, so it reads the asset objects and writes any key of the site "
            "bucket.",
            actions=S3_READ_WRITE_ACTIONS,
            resources=[
                Stack.of(self).format_arn(
                    service="s3",
                    region="",
                    account="",
                    resource=f"cdk-hnb659fds-assets-{Stack.of(self).account}-{Stack.of(self).region}",
                    resource_name="*",
                ),
                site_bucket.arn_for_objects("*"),
            ],
        )
        acknowledge(
            handler,
            "IAM5[Resource::*]",
            "BucketDeployment invalidates the distribution; CloudFront's GetInvalidation takes no resource but '*'.",
        )
        acknowledge(
            handler,
            BASIC_EXECUTION_ROLE,
            "BucketDeployment's handler, part of aws-cdk-lib, uses the basic execution role.",
        )
        acknowledge(handler, "L1", "BucketDeployment's handler runtime is chosen by aws-cdk-lib.")

        default_content = s3_assets.Asset(self, "DefaultContent", path=str(site / "custom-content"))
        self.seeder = portal_function(
            self,
            "Seeder",
            handler="site_deployment.handler.lambda_handler",
            description="site deployment, which seeds custom content without overwriting the operator's",
            log_retention=log_retention,
            removal_policy=removal_policy,
            timeout=Duration.minutes(10),
            memory_size=512,
        )
        default_content.grant_read(self.seeder)
        # It lists, reads and writes custom-content/, and never deletes there: that is the operator's data.
        site_bucket.grant_read(self.seeder, f"{CUSTOM_CONTENT_PREFIX}*")
        site_bucket.grant_put(self.seeder, f"{CUSTOM_CONTENT_PREFIX}*")
        acknowledge_wildcards(
            self.seeder.role,  # type: ignore[arg-type]
            "The seeder reads the default content asset and lists, reads and writes the site bucket's "
            "custom-content/ folder, through grant_read and grant_put.",
            actions=S3_SEED_ACTIONS,
            resources=[
                site_bucket.arn_for_objects(f"{CUSTOM_CONTENT_PREFIX}*"),
                default_content.bucket.arn_for_objects("*"),
            ],
        )
        distribution.grant_create_invalidation(self.seeder)
        self.custom_content = CustomResource(
            self,
            "CustomContent",
            service_token=self.seeder.function_arn,
            resource_type="Custom::DevPortalCustomContent",
            properties={
                "SiteBucket": site_bucket.bucket_name,
                "SourceBucket": default_content.s3_bucket_name,
                "SourceKey": default_content.s3_object_key,
                "DistributionId": distribution.distribution_id,
                "RebuildMode": rebuild_mode,
                "RebuildToken": rebuild_token or "",
            },
        )
        self.custom_content.node.add_dependency(self.files)
