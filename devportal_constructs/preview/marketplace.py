"""AWS Marketplace, simulated for the preview: the buyer's redirect, ResolveCustomer and the notifications.

The example stack turns the marketplace on with ``-c MarketplaceSubscriptionTopicArns=ARN[,ARN...]``. For each
product topic the preview:

- creates a topic of the same name in the emulation, which SNS delivers to the listener as the stack
  subscribes it (``AwsExtensions.function_subscriptions``);
- reads the product code from the topic's name (``aws-mp-subscription-notification-<code>``) and creates the
  usage plan that sells it, ``Marketplace Gold`` on the sample API's prod stage, its ``productCode`` set as
  ``devportal marketplace link`` sets it;
- answers ``ResolveCustomer`` itself (the emulation lacks it): the tokens it mints name a new customer and
  the product, signed so that a changed token is refused with ``InvalidTokenException``.

``/_preview/marketplace/`` is AWS Marketplace's side of the journey: "Set up your account" posts a fresh token
to the portal's fulfillment URL (``/api/marketplace-confirm/<plan>``), and a button per notification publishes
it to the product's topic, as AWS Marketplace does once billing starts or stops. Scripts and tests use its
JSON: ``POST /_preview/marketplace/tokens`` ``{"productCode"}`` and ``POST /_preview/marketplace/notifications``
``{"action", "customerId", "productCode"}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import string
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

PLAN_NAME = "Marketplace Gold"
PLAN = {
    "description": "Sold on AWS Marketplace: 200 requests a second, 1,000,000 a month, billed by AWS.",
    "throttle": {"rateLimit": 200.0, "burstLimit": 400},
    "quota": {"limit": 1000000, "period": "MONTH"},
    "stages": ("prod",),
}
TOPIC_PREFIX = "aws-mp-subscription-notification-"
ACTIONS = ("subscribe-success", "subscribe-fail", "unsubscribe-pending", "unsubscribe-complete")
TOKEN_PREFIX = "preview-mp-"
ROOT = "/_preview/marketplace"
# Tokens survive a restart with --state; they sign nothing outside this machine.
_SIGNING_KEY = b"devportal-preview-marketplace"
_TARGET = "AWSMPMeteringService."
Answer = tuple[int, dict[str, str], bytes]


@dataclass(frozen=True)
class Product:
    code: str
    topic_arn: str
    """The topic as the stack names it (AWS Marketplace's, in its account)."""
    local_topic_arn: str
    usage_plan_id: str
    usage_plan_name: str


@dataclass(frozen=True)
class Customer:
    customer_id: str
    product_code: str
    account_id: str


def product_code_of(topic_arn: str) -> str:
    name = topic_arn.rsplit(":", 1)[-1]
    return name.removeprefix(TOPIC_PREFIX) or name


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _signature(payload: str) -> str:
    return hmac.new(_SIGNING_KEY, payload.encode(), hashlib.sha256).hexdigest()[:24]


def _error(kind: str, message: str) -> Answer:
    body = json.dumps({"__type": kind, "message": message}).encode()
    return 400, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": kind}, body


class MarketplaceSimulation:
    """AWS Marketplace for the preview's products; ``__call__`` serves ``/_preview/marketplace/``."""

    def __init__(self, *, products: list[Product], sns: Any, dynamodb: Any, subscriptions_table: str) -> None:
        self.products = {product.code: product for product in products}
        self._sns = sns
        self._dynamodb = dynamodb
        self._table = subscriptions_table
        self._lock = threading.Lock()
        self._resolved: dict[tuple[str, str], Customer] = {}

    # --- tokens and ResolveCustomer ---------------------------------------------------------------------

    def mint(self, product_code: str) -> tuple[str, Customer]:
        """A registration token for a new buyer of the product, as AWS Marketplace posts it."""
        if product_code not in self.products:
            raise ValueError(f"no product {product_code!r} in the preview; it has {', '.join(sorted(self.products))}")
        customer = Customer(
            customer_id=_random(string.ascii_letters + string.digits, 11),
            product_code=product_code,
            account_id=_random(string.digits, 12),
        )
        payload = base64.urlsafe_b64encode(
            json.dumps([customer.customer_id, customer.product_code, customer.account_id]).encode()
        ).decode()
        return f"{TOKEN_PREFIX}{payload.rstrip('=')}.{_signature(payload.rstrip('='))}", customer

    def customer_of(self, token: str) -> Customer | None:
        payload, _, signature = token.removeprefix(TOKEN_PREFIX).rpartition(".")
        if not token.startswith(TOKEN_PREFIX) or not hmac.compare_digest(signature, _signature(payload)):
            return None
        try:
            customer_id, product_code, account_id = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
        except ValueError:
            return None
        return Customer(customer_id=customer_id, product_code=product_code, account_id=account_id)

    def metering(self, target: str, body: bytes) -> Answer | None:
        """Answer the Metering Service's ResolveCustomer; None passes other operations on to the emulation."""
        if target != f"{_TARGET}ResolveCustomer":
            return None
        token = str(json.loads(body or b"{}").get("RegistrationToken", ""))
        customer = self.customer_of(token)
        if customer is None:
            return _error("InvalidTokenException", "Registration token is invalid")
        with self._lock:
            self._resolved[(customer.customer_id, customer.product_code)] = customer
        answer = {
            "CustomerIdentifier": customer.customer_id,
            "ProductCode": customer.product_code,
            "CustomerAWSAccountId": customer.account_id,
        }
        return 200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(answer).encode()

    # --- notifications ----------------------------------------------------------------------------------

    def notify(self, *, action: str, customer_id: str, product_code: str) -> str:
        """Publish the notification to the product's topic, as AWS Marketplace does; return its message id."""
        if action not in ACTIONS:
            raise ValueError(f"action {action!r} is not one AWS Marketplace sends; use one of {', '.join(ACTIONS)}")
        product = self.products.get(product_code)
        if product is None:
            raise ValueError(f"no product {product_code!r} in the preview; it has {', '.join(sorted(self.products))}")
        if not customer_id.strip():
            raise ValueError("customerId is empty; give the customer a token was minted for")
        message = {
            "action": action,
            "customer-identifier": customer_id,
            "product-code": product_code,
            "offer-identifier": f"offer-preview-{product_code}",
            "isFreeTrialTermPresent": "false",
        }
        published = self._sns.publish(TopicArn=product.local_topic_arn, Message=json.dumps(message))
        return str(published["MessageId"])

    def buyers(self) -> list[dict[str, Any]]:
        """The subscription records, and the customers resolved but not linked yet."""
        records: list[dict[str, Any]] = []
        arguments: dict[str, Any] = {"TableName": self._table}
        while True:
            page = self._dynamodb.scan(**arguments)
            records.extend({key: _plain(value) for key, value in item.items()} for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        known = {(record["customerId"], record["productCode"]) for record in records}
        with self._lock:
            resolved = [customer for key, customer in self._resolved.items() if key not in known]
        records += [{"customerId": c.customer_id, "productCode": c.product_code} for c in resolved]
        return sorted(records, key=lambda record: str(record.get("linkedAt") or "~"))

    # --- the pages --------------------------------------------------------------------------------------

    def __call__(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        try:
            if path == ROOT and request.method == "GET":
                return Response(self.page(request.args), content_type="text/html; charset=utf-8")
            if path == f"{ROOT}/tokens" and request.method == "POST":
                fields = _fields(request)
                code = fields.get("productCode") or next(iter(self.products))
                token, customer = self.mint(code)
                product = self.products[code]
                return _json(
                    201,
                    {
                        "token": token,
                        "customerId": customer.customer_id,
                        "customerAwsAccountId": customer.account_id,
                        "productCode": code,
                        "usagePlanId": product.usage_plan_id,
                        "fulfillmentPath": f"/api/marketplace-confirm/{product.usage_plan_id}",
                    },
                )
            if path == f"{ROOT}/notifications" and request.method == "POST":
                fields = _fields(request)
                message_id = self.notify(
                    action=fields.get("action", ""),
                    customer_id=fields.get("customerId", ""),
                    product_code=fields.get("productCode", ""),
                )
                if request.mimetype == "application/json":
                    return _json(202, {"messageId": message_id})
                sent = urlencode({"sent": fields["action"], "customer": fields["customerId"]})
                return Response(status=303, headers={"Location": f"{ROOT}/?{sent}"})
        except ValueError as problem:
            if request.mimetype == "application/json" or request.method == "GET":
                return _json(400, {"message": str(problem)})
            return Response(str(problem), status=400, content_type="text/plain; charset=utf-8")
        return _json(404, {"message": f"{request.method} {request.path} is not part of the simulated marketplace"})

    def page(self, query: Mapping[str, str]) -> str:
        sent = ""
        if query.get("sent"):
            sent = (
                f"<p class=notice role=status>Sent <b>{html.escape(query['sent'])}</b> for customer "
                f"{html.escape(query.get('customer', ''))}.</p>"
            )
        products = "".join(self._product_section(product) for product in self.products.values())
        rows = "".join(self._buyer_row(buyer) for buyer in self.buyers())
        buyers = (
            "<table><thead><tr><th>Customer</th><th>Product</th><th>Portal user</th><th>Status</th>"
            f"<th>Key in plan</th><th>Notify</th></tr></thead><tbody>{rows}</tbody></table>"
            if rows
            else "<p>No buyers yet. Set up an account above.</p>"
        )
        return (
            "<!doctype html><html lang=en><head><meta charset=utf-8><title>AWS Marketplace · local preview</title>"
            "<link rel=icon href=/custom-content/favicon.ico><link rel=stylesheet href=/_preview/outbox.css>"
            "</head><body><main><h1>AWS Marketplace (simulated)</h1>"
            "<p>What AWS Marketplace does for the portal's SaaS products: it sends buyers to the fulfillment "
            "URL with a registration token, and tells the portal over SNS when billing starts and stops.</p>"
            f"{sent}<h2>Products</h2>{products}<h2>Buyers</h2>{buyers}</main></body></html>"
        )

    def _product_section(self, product: Product) -> str:
        token, _ = self.mint(product.code)
        return (
            f"<section><h3>Product {html.escape(product.code)}</h3><p>Usage plan "
            f"<b>{html.escape(product.usage_plan_name)}</b> ({html.escape(product.usage_plan_id)}); topic "
            f"<code>{html.escape(product.topic_arn)}</code></p>"
            f"<form method=post action='/api/marketplace-confirm/{html.escape(product.usage_plan_id)}'>"
            f"<input type=hidden name=x-amzn-marketplace-token value='{html.escape(token)}'>"
            f"<button type=submit>Subscribe to {html.escape(product.code)} and set up your account</button>"
            "</form></section>"
        )

    def _buyer_row(self, buyer: Mapping[str, Any]) -> str:
        customer, code = str(buyer["customerId"]), str(buyer["productCode"])
        buttons = "".join(
            f"<form method=post action='{ROOT}/notifications'>"
            f"<input type=hidden name=customerId value='{html.escape(customer)}'>"
            f"<input type=hidden name=productCode value='{html.escape(code)}'>"
            f"<button type=submit name=action value={action}>{action}</button></form>"
            for action in ACTIONS
        )
        return (
            f"<tr><td>{html.escape(customer)}</td><td>{html.escape(code)}</td>"
            f"<td>{html.escape(str(buyer.get('userId', '-')))}</td>"
            f"<td>{html.escape(str(buyer.get('status', 'pending' if 'userId' in buyer else 'not linked')))}</td>"
            f"<td>{'yes' if buyer.get('keyInPlan') else 'no'}</td><td class=actions>{buttons}</td></tr>"
        )


def _fields(request: Request) -> dict[str, str]:
    if request.mimetype == "application/json":
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise ValueError('send a JSON object, e.g. {"productCode": "..."}')
        return {key: str(value) for key, value in data.items()}
    return {key: str(value) for key, value in request.form.items()}


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _plain(value: Mapping[str, Any]) -> Any:
    """A DynamoDB attribute value as plain JSON (only the types the subscription records use)."""
    if "S" in value:
        return value["S"]
    if "BOOL" in value:
        return value["BOOL"]
    if "N" in value:
        return value["N"]
    return None


def simulate_marketplace(
    *,
    blueprint: Any,
    names: Mapping[str, str],
    aws: Callable[[str], Any],
    extensions: Any,
    sample_api_id: str,
    restored: bool,
) -> MarketplaceSimulation | None:
    """Set up the simulation when the stack has AWS Marketplace's product topics; None when it has none."""
    products = []
    sns, apigateway = aws("sns"), aws("apigateway")
    plans = {plan["name"]: plan["id"] for plan in apigateway.get_usage_plans().get("items", [])}
    subscribed = [
        props
        for props in blueprint.of_type("AWS::SNS::Subscription").values()
        if props.get("Protocol") == "lambda" and isinstance(props.get("TopicArn"), str)
    ]
    for props in subscribed:
        topic_arn = props["TopicArn"]
        code = product_code_of(topic_arn)
        local_topic = sns.create_topic(Name=topic_arn.rsplit(":", 1)[-1])["TopicArn"]
        function = props["Endpoint"]["Fn::GetAtt"][0]
        extensions.function_subscriptions.setdefault(local_topic, []).append(function)
        name = PLAN_NAME if len(subscribed) == 1 else f"{PLAN_NAME} ({code})"
        plan_id = plans.get(name) if restored else None
        if plan_id is None:
            plan_id = apigateway.create_usage_plan(
                name=name,
                description=PLAN["description"],
                apiStages=[{"apiId": sample_api_id, "stage": stage} for stage in PLAN["stages"]],
                throttle=PLAN["throttle"],
                quota=PLAN["quota"],
            )["id"]
            apigateway.update_usage_plan(
                usagePlanId=plan_id, patchOperations=[{"op": "replace", "path": "/productCode", "value": code}]
            )
        products.append(
            Product(
                code=code,
                topic_arn=topic_arn,
                local_topic_arn=local_topic,
                usage_plan_id=plan_id,
                usage_plan_name=name,
            )
        )
    if not products:
        return None
    table = next(
        (
            names[logical_id]
            for logical_id, props in blueprint.of_type("AWS::DynamoDB::GlobalTable").items()
            if [key["AttributeName"] for key in props["KeySchema"]] == ["customerId", "productCode"]
        ),
        None,
    )
    if table is None:
        raise ValueError("the example stack has marketplace topics but no subscriptions table; the preview needs one")
    simulation = MarketplaceSimulation(products=products, sns=sns, dynamodb=aws("dynamodb"), subscriptions_table=table)
    extensions.marketplace = simulation.metering
    return simulation
