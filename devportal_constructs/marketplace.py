"""AWS Marketplace SaaS subscriptions: the listener on the product's notifications and its records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from aws_cdk import Annotations, Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from ._defaults import grant_table_data, portal_function, table
from ._nag import acknowledge, acknowledge_wildcards

EventSource = Literal["sns", "eventbridge"]
EVENT_SOURCES: tuple[str, ...] = ("sns", "eventbridge")
EVENTBRIDGE_SOURCE = "aws.agreement-marketplace"
EVENTBRIDGE_DETAIL_TYPES = ("License Updated - Manufacturer", "License Deprovisioned - Manufacturer")
"""The SaaS events the listener acts on: a license granted (or changed), and a license taken away."""
EVENTBRIDGE_REGION = "us-east-1"
"""AWS Marketplace puts its events on the default bus of this region only."""
USER_INDEX = "byUser"


@dataclass(frozen=True, kw_only=True)
class MarketplaceOptions:
    """How the portal hears from the AWS Marketplace SaaS product(s) that sell its APIs.

    :param subscription_topic_arns: The SNS topic AWS Marketplace created for each product
        (``arn:aws:sns:us-east-1:287250355862:aws-mp-subscription-notification-<code>``), shown on the
        product's page in the AWS Marketplace Management Portal. Give it with ``event_source="sns"``.
        Default: - none: required with ``event_source="sns"``.
    :param product_codes: Product code to the id of the usage plan that sells it. When given, the listener
        may change the keys of these plans only, and the portal sells no other plan; a plan whose own
        ``productCode`` is set must agree. Default: - every usage plan whose ``productCode`` is set (see
        ``devportal marketplace link``) sells its product, so the listener may change the keys of any usage
        plan in the region.
    :param event_source: ``sns`` (the products' subscription topics) or ``eventbridge`` (AWS Marketplace's
        SaaS events on the default event bus, ``License Updated`` and ``License Deprovisioned``, which
        arrive in us-east-1 only). Default: - ``sns``.
    """

    subscription_topic_arns: Sequence[str] = ()
    product_codes: Mapping[str, str] = field(default_factory=dict)
    event_source: EventSource = "sns"


class Marketplace(Construct):
    """Turns AWS Marketplace subscription notifications into usage-plan membership of the buyer's key.

    The listener is invoked by the products' SNS topics or, with ``event_source="eventbridge"``, by a rule
    on the default event bus. A notification it cannot apply is retried twice, then kept in
    ``dead_letter_queue``, whose ``dead_letter_alarm`` goes off at the first one.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        options: MarketplaceOptions,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
    ) -> None:
        """
        :param options: The product topics or events, and the product codes.
        :param removal_policy: What happens to the subscriptions table and the listener's logs when they
            leave the stack. Default: - RETAIN.
        :param log_retention: How long the listener's logs are kept. Default: - one year.
        """
        super().__init__(scope, construct_id)
        self._options = options
        stack = Stack.of(self)

        self.subscriptions_table: dynamodb.TableV2 = table(
            self,
            "SubscriptionsTable",
            partition_key="customerId",
            sort_key="productCode",
            removal_policy=removal_policy,
        )
        """Marketplace customers linked to portal users, with every state change, its time and event id."""
        self.subscriptions_table.add_global_secondary_index(
            index_name=USER_INDEX,
            partition_key=dynamodb.Attribute(name="userId", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="productCode", type=dynamodb.AttributeType.STRING),
        )

        self.dead_letter_queue: sqs.Queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            retention_period=Duration.days(14),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        """Notifications the listener could not apply, kept 14 days for inspection and redrive."""
        acknowledge(self.dead_letter_queue, "SQS3", "This queue is itself the dead-letter queue.")

        self.listener: lambda_.Function = portal_function(
            self,
            "Listener",
            handler="marketplace_listener.handler.lambda_handler",
            description="marketplace listener, which applies subscription notifications",
            log_retention=log_retention,
            removal_policy=removal_policy,
            environment={
                "SUBSCRIPTIONS_TABLE": self.subscriptions_table.table_name,
                **self._product_environment(),
            },
        )
        """The function that applies the notifications."""
        grant_table_data(self.subscriptions_table, self.listener, write=True)
        # Function errors: Lambda retries an asynchronous invocation twice, then hands it to the queue.
        self.listener.configure_async_invoke(
            on_failure=destinations.SqsDestination(self.dead_letter_queue),
            retry_attempts=2,
            max_event_age=Duration.hours(6),
        )
        self._grant_usage_plan_keys()

        self.topics: list[sns.ITopic] = []
        """The products' SNS topics the listener is subscribed to (``event_source="sns"``)."""
        self.rules: list[events.Rule] = []
        """The default-bus rule that invokes the listener (``event_source="eventbridge"``)."""
        if options.event_source == "eventbridge":
            self.rules.append(self._eventbridge_rule())
        else:
            for index, topic_arn in enumerate(options.subscription_topic_arns):
                topic = sns.Topic.from_topic_arn(self, f"ProductTopic{index}", topic_arn)
                topic.add_subscription(
                    subscriptions.LambdaSubscription(
                        self.listener,
                        dead_letter_queue=self._subscription_dead_letter_queue(stack, topic_arn),
                    )
                )
                self.topics.append(topic)

        waiting = self.dead_letter_queue.metric_approximate_number_of_messages_visible(period=Duration.minutes(5))
        self.dead_letter_alarm: cloudwatch.Alarm = waiting.create_alarm(
            self,
            "DeadLetterAlarm",
            alarm_description=(
                "AWS Marketplace notifications failed and wait in the dead-letter queue: read the listener's "
                "logs, fix the cause, then redrive the queue."
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        """Goes off as soon as a notification lands in the dead-letter queue. Add an action to be told."""

    def grant_link(self, function: lambda_.Function) -> None:
        """Let `function` (the backend) link buyers' subscriptions to portal users.

        It may read and write the subscription records, resolve AWS Marketplace registration tokens, and
        learns the table, the event source and the product codes from its environment.
        """
        grant_table_data(self.subscriptions_table, function, write=True)
        # aws-marketplace:ResolveCustomer names no resource: IAM accepts only "*" for it.
        function.add_to_role_policy(iam.PolicyStatement(actions=["aws-marketplace:ResolveCustomer"], resources=["*"]))
        acknowledge(
            function.role,  # type: ignore[arg-type]
            "IAM5[Resource::*]",
            "X-Ray's PutTraceSegments and PutTelemetryRecords, and AWS Marketplace's ResolveCustomer, accept "
            "no resource but '*'.",
        )
        function.add_environment("SUBSCRIPTIONS_TABLE", self.subscriptions_table.table_name)
        for name, value in self._product_environment().items():
            function.add_environment(name, value)

    def _product_environment(self) -> dict[str, str]:
        codes = self._options.product_codes
        return {
            "MARKETPLACE_EVENT_SOURCE": self._options.event_source,
            "MARKETPLACE_PRODUCT_CODES": ",".join(f"{code}={plan}" for code, plan in codes.items()),
        }

    def _grant_usage_plan_keys(self) -> None:
        # API Gateway's control plane has no grant methods, so these statements name its paths:
        #   read the plans that sell (GET /usageplans/{id}) and a key's plans (GET /usageplans?keyId=),
        #   add a key to a plan that sells (POST /usageplans/{id}/keys), and take a key out of a plan
        #   (DELETE /usageplans/{id}/keys/{keyId}): out of the one it stops paying for, and out of any plan
        #   sharing a stage with the one it joins, since API Gateway allows a key one plan per stage.
        stack = Stack.of(self)
        plans = list(dict.fromkeys(self._options.product_codes.values())) or ["*"]

        def arn(path: str) -> str:
            return stack.format_arn(service="apigateway", account="", resource=path)

        reads = [arn("/usageplans"), *(arn(f"/usageplans/{plan}") for plan in plans)]
        reads += [arn(f"/usageplans/{plan}/keys/*") for plan in plans if plan != "*"]
        adds = [arn(f"/usageplans/{plan}/keys") for plan in plans]
        removes = [arn("/usageplans/*/keys/*")]
        for actions, resources in (("GET", reads), ("POST", adds), ("DELETE", removes)):
            self.listener.add_to_role_policy(
                iam.PolicyStatement(actions=[f"apigateway:{actions}"], resources=resources)
            )
        reason = (
            "Keys are created at run time, so the listener names the keys of usage plans: it takes a key out "
            "of the plan its buyer stopped paying for, and out of any plan sharing a stage with the plan it "
            "joins (API Gateway allows one per stage)"
        )
        if plans == ["*"]:
            reason += (
                "; without MarketplaceOptions.product_codes any usage plan may sell a product, so it may "
                "read and add keys to every plan; give product_codes to name them one by one"
            )
        acknowledge_wildcards(
            self.listener.role,  # type: ignore[arg-type]
            reason + ".",
            resources=list(dict.fromkeys(item for item in reads + adds + removes if "*" in item)),
        )

    def _eventbridge_rule(self) -> events.Rule:
        stack = Stack.of(self)
        if not Token.is_unresolved(stack.region) and stack.region != EVENTBRIDGE_REGION:
            Annotations.of(self).add_warning_v2(
                "devportal:marketplace-eventbridge-region",
                f"AWS Marketplace sends its events to the default bus in {EVENTBRIDGE_REGION} only; this "
                f"stack is in {stack.region}, so the rule will see none. Deploy the portal in "
                f"{EVENTBRIDGE_REGION}, forward the events here, or use event_source='sns'.",
            )
        detail: dict[str, object] = {}
        if self._options.product_codes:
            detail["product"] = {"code": list(self._options.product_codes)}
        rule = events.Rule(
            self,
            "SaasEventsRule",
            description="AWS Marketplace SaaS license events for the developer portal's products",
            event_pattern=events.EventPattern(
                source=[EVENTBRIDGE_SOURCE],
                detail_type=list(EVENTBRIDGE_DETAIL_TYPES),
                detail=detail or None,
            ),
        )
        rule.add_target(
            targets.LambdaFunction(
                self.listener,
                dead_letter_queue=self.dead_letter_queue,
                retry_attempts=185,
                max_event_age=Duration.hours(24),
            )
        )
        return rule

    def _subscription_dead_letter_queue(self, stack: Stack, topic_arn: str) -> sqs.IQueue | None:
        """The queue for messages SNS cannot deliver, where SNS allows one: in the subscription's region.

        SNS keeps a subscription in its topic's region (us-east-1 for AWS Marketplace) and sends undeliverable
        messages only to a queue there. Elsewhere, SNS's own retries (for days, to Lambda) and the
        function's on-failure queue remain.
        """
        if Token.is_unresolved(stack.region) or Token.is_unresolved(topic_arn):
            return None
        if topic_arn.split(":")[3] != stack.region:
            return None
        return self.dead_letter_queue
