"""AWS Marketplace SaaS subscriptions: the listener on the product's topics and its subscription records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from ._defaults import portal_function, table
from ._nag import acknowledge


@dataclass(frozen=True, kw_only=True)
class MarketplaceOptions:
    """How the portal connects to the AWS Marketplace SaaS product(s) that sell its APIs.

    :param subscription_topic_arns: The SNS topic ARNs AWS Marketplace created for each product
        (``arn:aws:sns:us-east-1:287250355862:aws-mp-subscription-notification-<code>``).
    :param product_codes: Product code to usage plan id, for plans whose ``productCode`` is not set yet.
        Default: - the usage plan's own ``productCode`` decides.
    """

    subscription_topic_arns: Sequence[str]
    product_codes: Mapping[str, str] = field(default_factory=dict)


class Marketplace(Construct):
    """Turns AWS Marketplace subscription notifications into usage-plan membership of the buyer's key."""

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
        :param options: The product topics and codes.
        :param removal_policy: What happens to the subscriptions table when it leaves the stack.
            Default: - RETAIN.
        :param log_retention: How long the listener's logs are kept. Default: - one year.
        """
        super().__init__(scope, construct_id)

        self.subscriptions_table: dynamodb.TableV2 = table(
            self,
            "SubscriptionsTable",
            partition_key="customerId",
            sort_key="productCode",
            removal_policy=removal_policy,
        )
        """Marketplace customers linked to portal users, with every state change and its event id."""

        self.dead_letter_queue: sqs.Queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            retention_period=Duration.days(14),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        """Notifications the listener could not handle, kept 14 days for inspection and redrive."""
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
                "PRODUCT_CODES": ",".join(f"{code}={plan}" for code, plan in options.product_codes.items()),
            },
        )
        """The function subscribed to the products' topics."""
        self.subscriptions_table.grant_read_write_data(self.listener)

        self.topics: list[sns.ITopic] = []
        for index, topic_arn in enumerate(options.subscription_topic_arns):
            topic = sns.Topic.from_topic_arn(self, f"ProductTopic{index}", topic_arn)
            topic.add_subscription(
                subscriptions.LambdaSubscription(self.listener, dead_letter_queue=self.dead_letter_queue)
            )
            self.topics.append(topic)

        self.dead_letter_alarm: cloudwatch.Alarm = self.dead_letter_queue.metric_approximate_number_of_messages_visible(
            period=Duration.minutes(5)
        ).create_alarm(
            self,
            "DeadLetterAlarm",
            alarm_description="Marketplace notifications failed and wait in the dead-letter queue.",
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        """Goes off as soon as a notification lands in the dead-letter queue."""
