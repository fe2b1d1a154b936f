"""The Catalog construct: S3 → SQS → updater in batches, a dead-letter queue, least-privilege IAM, sync rules."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from devportal_constructs import Catalog
from tests.infrastructure.synth import portal_stack


def _with_reader(stack: cdk.Stack, **props: Any) -> Catalog:
    catalog = Catalog(stack, "Catalog", **props)
    reader = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    manager = iam.Role(stack, "Manager", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    catalog.grant_read_catalog(reader)
    catalog.grant_manage_catalog(manager)
    return catalog


@pytest.fixture(scope="module")
def plain() -> tuple[cdk.Stack, Catalog, Template]:
    return portal_stack(_with_reader)


@pytest.fixture(scope="module")
def syncing() -> tuple[cdk.Stack, Catalog, Template]:
    return portal_stack(
        lambda stack: Catalog(
            stack, "Catalog", sync_on_deployment=True, sync_schedule=events.Schedule.rate(cdk.Duration.hours(6))
        )
    )


def _statements(template: Template, role_prefix: str) -> list[dict[str, Any]]:
    """Every statement of the policies attached to the role whose logical id starts with `role_prefix`."""
    roles = [
        logical_id for logical_id in template.find_resources("AWS::IAM::Role") if logical_id.startswith(role_prefix)
    ]
    assert len(roles) == 1, roles
    statements: list[dict[str, Any]] = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if {"Ref": roles[0]} in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def test_s3_announces_catalog_changes_to_a_queue_not_to_the_function(
    plain: tuple[cdk.Stack, Catalog, Template],
) -> None:
    _, catalog, template = plain
    queue_id = cdk.Stack.of(catalog).get_logical_id(catalog.updates_queue.node.default_child)  # type: ignore[arg-type]
    template.has_resource_properties(
        "Custom::S3BucketNotifications",
        {
            "NotificationConfiguration": {
                "QueueConfigurations": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Events": ["s3:ObjectCreated:*"],
                                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "catalog/"}]}},
                                "QueueArn": {"Fn::GetAtt": [queue_id, "Arn"]},
                            }
                        ),
                        Match.object_like({"Events": ["s3:ObjectRemoved:*"]}),
                    ]
                ),
                "LambdaFunctionConfigurations": Match.absent(),
            }
        },
    )


def test_the_updater_takes_batches_two_at_a_time(plain: tuple[cdk.Stack, Catalog, Template]) -> None:
    _, _, template = plain
    template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {"BatchSize": 100, "MaximumBatchingWindowInSeconds": 5, "ScalingConfig": {"MaximumConcurrency": 2}},
    )


def test_failing_announcements_end_in_an_encrypted_dead_letter_queue(
    plain: tuple[cdk.Stack, Catalog, Template],
) -> None:
    _, _, template = plain
    template.resource_count_is("AWS::SQS::Queue", 2)
    template.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "RedrivePolicy": {"maxReceiveCount": 5, "deadLetterTargetArn": Match.any_value()},
            "SqsManagedSseEnabled": True,
            "VisibilityTimeout": 1800,
        },
    )
    template.has_resource_properties("AWS::SQS::Queue", {"MessageRetentionPeriod": 14 * 24 * 3600})


def _objects(statement: dict[str, Any]) -> set[str]:
    """The object patterns a statement names in a bucket: what follows the bucket ARN (``catalog/*``)."""
    resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    return {
        resource["Fn::Join"][1][-1].lstrip("/")
        for resource in resources
        if isinstance(resource, dict) and "Fn::Join" in resource
    }


def test_the_updater_reads_and_writes_only_the_catalog_prefixes(plain: tuple[cdk.Stack, Catalog, Template]) -> None:
    _, _, template = plain
    statements = _statements(template, "CatalogCatalogUpdaterRole")
    s3 = [s for s in statements if any(action.startswith("s3:") for action in _actions(s))]
    reads = set().union(*(_objects(s) for s in s3 if "s3:GetObject*" in _actions(s)))
    puts = set().union(*(_objects(s) for s in s3 if "s3:PutObject" in _actions(s)))
    deletes = set().union(*(_objects(s) for s in s3 if "s3:DeleteObject*" in _actions(s)))
    assert reads == {"catalog/*", "catalog.json", "catalog-*"}
    assert puts == {"catalog.json", "catalog-*"}, "without sync it never writes sources"
    assert deletes == {"catalog-specs/*"}
    gateway = [s for s in statements if "apigateway:GET" in _actions(s)]
    assert len(gateway) == 1
    assert "/usageplans" in json.dumps(gateway[0]["Resource"])
    assert "exports" not in json.dumps(gateway[0]["Resource"])


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return actions if isinstance(actions, list) else [actions]


def test_grants_let_a_reader_read_and_a_manager_change_sources(plain: tuple[cdk.Stack, Catalog, Template]) -> None:
    _, _, template = plain
    reader = _statements(template, "Reader")
    assert all(not action.startswith(("s3:Put", "s3:Delete")) for s in reader for action in _actions(s))
    manager = _statements(template, "Manager")
    deletes = set().union(*(_objects(s) for s in manager if "s3:DeleteObject*" in _actions(s)))
    puts = set().union(*(_objects(s) for s in manager if "s3:PutObject" in _actions(s)))
    assert deletes == {"catalog/*"}
    assert puts == {"catalog/*", "catalog-settings.json"}


def test_without_sync_there_are_no_rules(plain: tuple[cdk.Stack, Catalog, Template]) -> None:
    _, catalog, template = plain
    template.resource_count_is("AWS::Events::Rule", 0)
    assert catalog.deployment_rule is None and catalog.sync_rule is None


def test_sync_reports_deployments_and_plan_changes_and_runs_on_a_schedule(
    syncing: tuple[cdk.Stack, Catalog, Template],
) -> None:
    _, catalog, template = syncing
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.apigateway"],
                "detail-type": ["AWS API Call via CloudTrail"],
                "detail": {"eventName": Match.array_with(["CreateDeployment", "UpdateStage", "UpdateUsagePlan"])},
            }
        },
    )
    template.has_resource_properties(
        "AWS::Events::Rule",
        {"ScheduleExpression": "rate(6 hours)", "Targets": [Match.object_like({"Input": '{"action":"sync"}'})]},
    )
    assert catalog.deployment_rule is not None and catalog.sync_rule is not None


def test_sync_may_export_stages_and_write_their_sources(syncing: tuple[cdk.Stack, Catalog, Template]) -> None:
    _, _, template = syncing
    statements = _statements(template, "CatalogCatalogUpdaterRole")
    gateway = next(s for s in statements if "apigateway:GET" in _actions(s))
    assert "/restapis/*/stages/*/exports/*" in json.dumps(gateway["Resource"])
    puts = set().union(*(_objects(s) for s in statements if "s3:PutObject" in _actions(s)))
    assert "catalog/*" in puts
