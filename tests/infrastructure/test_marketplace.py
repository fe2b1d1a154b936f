"""The Marketplace construct: its listener, how notifications reach it, its dead-letter path, its rights."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import ManualArgs, lint_file

from devportal_constructs import DevPortal, MarketplaceOptions
from devportal_constructs._defaults import portal_function
from devportal_constructs.marketplace import Marketplace
from tests.infrastructure.synth import new_app

TOPIC = "arn:aws:sns:us-east-1:287250355862:aws-mp-subscription-notification-abc123"
SECOND_TOPIC = "arn:aws:sns:us-east-1:287250355862:aws-mp-subscription-notification-def456"
EVENTBRIDGE = MarketplaceOptions(event_source="eventbridge", product_codes={"abc123": "plan1", "def456": "plan2"})
SNS = MarketplaceOptions(subscription_topic_arns=[TOPIC, SECOND_TOPIC])


def build(stack: cdk.Stack, options: MarketplaceOptions) -> tuple[Marketplace, Any]:
    """The construct, and a backend-like function it grants linking to, as DevPortal wires them."""
    marketplace = Marketplace(stack, "Marketplace", options=options)
    backend = portal_function(
        stack,
        "Backend",
        handler="backend.handler.lambda_handler",
        description="backend API",
        log_retention=logs.RetentionDays.ONE_WEEK,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    marketplace.grant_link(backend)
    return marketplace, backend


def synthesize(options: MarketplaceOptions, region: str, outdir: Path | None = None) -> tuple[cdk.Stack, Any]:
    app = new_app(outdir)
    stack = cdk.Stack(app, "MarketplaceStack", env=cdk.Environment(account="123456789012", region=region))
    built = build(stack, options)
    return stack, built


@pytest.fixture(scope="module")
def sns_stack() -> tuple[cdk.Stack, Marketplace, Any, Template]:
    stack, (marketplace, backend) = synthesize(SNS, "us-east-1")
    return stack, marketplace, backend, Template.from_stack(stack)


@pytest.fixture(scope="module")
def eventbridge_stack() -> tuple[cdk.Stack, Marketplace, Any, Template]:
    stack, (marketplace, backend) = synthesize(EVENTBRIDGE, "us-east-1")
    return stack, marketplace, backend, Template.from_stack(stack)


def logical_id(stack: cdk.Stack, construct: Any) -> str:
    return str(stack.resolve(construct.node.default_child.logical_id))


def statements_of(template: Template, stack: cdk.Stack, function: Any) -> list[dict[str, Any]]:
    role = logical_id(stack, function.role)
    statements: list[dict[str, Any]] = []
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if role in [item.get("Ref") for item in policy["Properties"]["Roles"]]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def actions(statement: dict[str, Any]) -> list[str]:
    value = statement["Action"]
    return [value] if isinstance(value, str) else list(value)


def resources(statement: dict[str, Any]) -> list[Any]:
    value = statement["Resource"]
    return value if isinstance(value, list) else [value]


def flat(value: Any) -> str:
    """An ARN built by Fn::Join, as text with its tokens named, e.g. arn:<AWS::Partition>:apigateway:..."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        return "".join(flat(part) for part in value["Fn::Join"][1])
    if "Ref" in value:
        return f"<{value['Ref']}>"
    return json.dumps(value)


# Records


def test_subscriptions_table_keys_by_customer_and_product_and_indexes_by_user(
    sns_stack: tuple[cdk.Stack, Marketplace, Any, Template],
) -> None:
    _, _, _, template = sns_stack
    template.has_resource_properties(
        "AWS::DynamoDB::GlobalTable",
        {
            "KeySchema": [
                {"AttributeName": "customerId", "KeyType": "HASH"},
                {"AttributeName": "productCode", "KeyType": "RANGE"},
            ],
            "GlobalSecondaryIndexes": [
                Match.object_like(
                    {
                        "IndexName": "byUser",
                        "KeySchema": [
                            {"AttributeName": "userId", "KeyType": "HASH"},
                            {"AttributeName": "productCode", "KeyType": "RANGE"},
                        ],
                    }
                )
            ],
            "Replicas": [
                Match.object_like(
                    {
                        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                        "DeletionProtectionEnabled": True,
                    }
                )
            ],
        },
    )


# SNS: one subscription per product topic


def test_the_listener_subscribes_to_every_product_topic(
    sns_stack: tuple[cdk.Stack, Marketplace, Any, Template],
) -> None:
    stack, marketplace, _, template = sns_stack
    listener = {"Fn::GetAtt": [logical_id(stack, marketplace.listener), "Arn"]}
    queue = {"Fn::GetAtt": [logical_id(stack, marketplace.dead_letter_queue), "Arn"]}
    for topic in (TOPIC, SECOND_TOPIC):
        # In the topics' own region, SNS can also keep what it fails to deliver in the queue
        template.has_resource_properties(
            "AWS::SNS::Subscription",
            {
                "Protocol": "lambda",
                "TopicArn": topic,
                "Endpoint": listener,
                "RedrivePolicy": {"deadLetterTargetArn": queue},
            },
        )
        template.has_resource_properties(
            "AWS::Lambda::Permission",
            {"Principal": "sns.amazonaws.com", "SourceArn": topic, "Action": "lambda:InvokeFunction"},
        )
    template.resource_count_is("AWS::Events::Rule", 0)


def test_in_another_region_the_subscription_has_no_queue_sns_would_refuse() -> None:
    stack, _ = synthesize(MarketplaceOptions(subscription_topic_arns=[TOPIC]), "eu-west-1")
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::SNS::Subscription", {"TopicArn": TOPIC, "Region": "us-east-1", "RedrivePolicy": Match.absent()}
    )


# Failures: retried, then kept in the dead-letter queue, whose alarm goes off


def test_failed_invocations_go_to_the_dead_letter_queue_and_raise_the_alarm(
    sns_stack: tuple[cdk.Stack, Marketplace, Any, Template],
) -> None:
    stack, marketplace, _, template = sns_stack
    queue = logical_id(stack, marketplace.dead_letter_queue)
    template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "FunctionName": {"Ref": logical_id(stack, marketplace.listener)},
            "MaximumRetryAttempts": 2,
            "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [queue, "Arn"]}}},
        },
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Namespace": "AWS/SQS",
            "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}],
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "EvaluationPeriods": 1,
        },
    )
    template.has_resource_properties(
        "AWS::SQS::Queue", {"MessageRetentionPeriod": 14 * 24 * 3600, "SqsManagedSseEnabled": True}
    )
    sends = [
        statement
        for statement in statements_of(template, stack, marketplace.listener)
        if "sqs:SendMessage" in actions(statement)
    ]
    assert sends and all(resources(statement) == [{"Fn::GetAtt": [queue, "Arn"]}] for statement in sends)


# Least privilege


def gateway_rights(template: Template, stack: cdk.Stack, function: Any) -> dict[str, list[str]]:
    """The listener's API Gateway rights: each HTTP method, and the paths it may call it on."""
    rights: dict[str, list[str]] = {}
    for statement in statements_of(template, stack, function):
        for action in actions(statement):
            if action.startswith("apigateway:"):
                prefix = "arn:aws:apigateway:us-east-1::"
                paths = [flat(arn).removeprefix(prefix) for arn in resources(statement)]
                rights.setdefault(action.removeprefix("apigateway:"), []).extend(paths)
    return {method: sorted(paths) for method, paths in rights.items()}


def test_without_product_codes_the_listener_may_change_the_keys_of_usage_plans_only(
    sns_stack: tuple[cdk.Stack, Marketplace, Any, Template],
) -> None:
    stack, marketplace, _, template = sns_stack
    assert gateway_rights(template, stack, marketplace.listener) == {
        "GET": ["/usageplans", "/usageplans/*"],
        "POST": ["/usageplans/*/keys"],
        "DELETE": ["/usageplans/*/keys/*"],
    }


def test_with_product_codes_the_listener_may_add_keys_to_those_plans_only(
    eventbridge_stack: tuple[cdk.Stack, Marketplace, Any, Template],
) -> None:
    stack, marketplace, _, template = eventbridge_stack
    # It may take a key out of any plan: out of one that shares a stage with the plan the key joins
    assert gateway_rights(template, stack, marketplace.listener) == {
        "GET": [
            "/usageplans",
            "/usageplans/plan1",
            "/usageplans/plan1/keys/*",
            "/usageplans/plan2",
            "/usageplans/plan2/keys/*",
        ],
        "POST": ["/usageplans/plan1/keys", "/usageplans/plan2/keys"],
        "DELETE": ["/usageplans/*/keys/*"],
    }


def test_only_the_backend_resolves_customers_and_the_listener_calls_no_marketplace_api(
    sns_stack: tuple[cdk.Stack, Marketplace, Any, Template],
) -> None:
    stack, marketplace, backend, template = sns_stack
    backend_actions = [action for statement in statements_of(template, stack, backend) for action in actions(statement)]
    listener_actions = [
        action for statement in statements_of(template, stack, marketplace.listener) for action in actions(statement)
    ]
    assert "aws-marketplace:ResolveCustomer" in backend_actions
    assert not [action for action in listener_actions if action.startswith("aws-marketplace:")]
    table = logical_id(stack, marketplace.subscriptions_table)
    writes = [
        statement
        for statement in statements_of(template, stack, backend)
        if "dynamodb:UpdateItem" in actions(statement)
    ]
    assert writes and all(table in json.dumps(resources(statement)) for statement in writes)


def test_the_backend_and_listener_learn_the_table_source_and_products(
    eventbridge_stack: tuple[cdk.Stack, Marketplace, Any, Template],
) -> None:
    stack, marketplace, backend, template = eventbridge_stack
    table = {"Ref": logical_id(stack, marketplace.subscriptions_table)}
    for function in (backend, marketplace.listener):
        template.has_resource_properties(
            "AWS::Lambda::Function",
            {
                "Handler": Match.any_value(),
                "Environment": {
                    "Variables": Match.object_like(
                        {
                            "SUBSCRIPTIONS_TABLE": table,
                            "MARKETPLACE_EVENT_SOURCE": "eventbridge",
                            "MARKETPLACE_PRODUCT_CODES": "abc123=plan1,def456=plan2",
                        }
                    )
                },
                "Role": {"Fn::GetAtt": [logical_id(stack, function.role), "Arn"]},
            },
        )


# EventBridge, the alternative source


def test_eventbridge_source_invokes_the_listener_from_a_default_bus_rule(
    eventbridge_stack: tuple[cdk.Stack, Marketplace, Any, Template],
) -> None:
    stack, marketplace, _, template = eventbridge_stack
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.agreement-marketplace"],
                "detail-type": ["License Updated - Manufacturer", "License Deprovisioned - Manufacturer"],
                "detail": {"product": {"code": ["abc123", "def456"]}},
            },
            "EventBusName": Match.absent(),
            "Targets": [
                Match.object_like(
                    {
                        "Arn": {"Fn::GetAtt": [logical_id(stack, marketplace.listener), "Arn"]},
                        "DeadLetterConfig": {
                            "Arn": {"Fn::GetAtt": [logical_id(stack, marketplace.dead_letter_queue), "Arn"]}
                        },
                    }
                )
            ],
        },
    )
    template.resource_count_is("AWS::SNS::Subscription", 0)


def test_eventbridge_outside_us_east_1_warns_that_no_event_will_arrive() -> None:
    stack, _ = synthesize(EVENTBRIDGE, "eu-west-1")
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("default bus in us-east-1"))
    assert warnings, "expected a warning on the Marketplace construct"


# Compliance of both sources, and no marketplace without the option


@pytest.mark.parametrize("options", [SNS, EVENTBRIDGE], ids=["sns", "eventbridge"])
def test_cdk_nag_and_cfn_lint_find_nothing(options: MarketplaceOptions, tmp_path: Path) -> None:
    app = new_app(tmp_path)
    stack = cdk.Stack(app, "MarketplaceStack", env=cdk.Environment(account="123456789012", region="us-east-1"))
    build(stack, options)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    try:
        app.synth()
    except RuntimeError as error:
        report = tmp_path / "validation-report.json"
        pytest.fail(f"cdk-nag found unacknowledged findings: {report.read_text() if report.exists() else error}")
    matches = lint_file(tmp_path / "MarketplaceStack.template.json", config=ManualArgs(regions=["us-east-1"]))
    assert [f"{match.rule.id} {match.message}" for match in matches if match.rule.id.startswith("E")] == []


def test_a_portal_without_marketplace_has_no_marketplace_resources(
    minimal_portal: tuple[cdk.Stack, DevPortal, Template],
) -> None:
    stack, portal, template = minimal_portal
    assert portal.marketplace is None
    assert stack.node.try_find_child("DevPortal").node.try_find_child("Marketplace") is None  # type: ignore[union-attr]
    marketplace_ids = [name for name in template.to_json()["Resources"] if "Marketplace" in name]
    assert marketplace_ids == []
    tables = template.find_resources("AWS::DynamoDB::GlobalTable").values()
    assert not [table for table in tables if "customerId" in json.dumps(table["Properties"]["KeySchema"])]
    subscriptions = template.find_resources("AWS::SNS::Subscription").values()
    assert not [item for item in subscriptions if "aws-mp-subscription" in json.dumps(item["Properties"])]
    statements = [
        statement
        for policy in template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert not [statement for statement in statements if "aws-marketplace:ResolveCustomer" in actions(statement)]
