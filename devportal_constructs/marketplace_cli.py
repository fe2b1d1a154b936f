"""`devportal marketplace`: link the usage plans that sell your APIs to their AWS Marketplace products.

    devportal marketplace link --usage-plan a1b2c3 --product-code 8pmr4k2x0example [--stack DevPortalStack]

sets the usage plan's ``productCode`` (what the portal checks a buyer's subscription against) and prints the
fulfillment URL to enter for the product in the AWS Marketplace Management Portal.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import Any

# AWS Marketplace's ProductCode shape, and API Gateway's resource ids.
_PRODUCT_CODE = re.compile(r"^[-a-zA-Z0-9/=:_.@]{1,255}$")
_USAGE_PLAN_ID = re.compile(r"^[A-Za-z0-9]{1,64}$")
API_URL_OUTPUT = "ApiUrl"


class CommandError(Exception):
    """Something the operator can fix; the message says what."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="devportal marketplace", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    link = commands.add_parser(
        "link",
        help="Set a usage plan's AWS Marketplace product code and show the fulfillment URL.",
        description="Set a usage plan's AWS Marketplace product code and show the product's fulfillment URL.",
    )
    link.add_argument("--usage-plan", required=True, metavar="ID", help="the usage plan's id, e.g. a1b2c3")
    link.add_argument(
        "--product-code",
        required=True,
        metavar="CODE",
        help="the product code AWS Marketplace gave the product",
    )
    link.add_argument(
        "--stack",
        metavar="NAME",
        help="the portal's CloudFormation stack, whose ApiUrl output makes the fulfillment URL",
    )
    link.add_argument("--region", help="the usage plan's region (default: your AWS configuration's)")
    link.add_argument(
        "--replace",
        action="store_true",
        help="replace a different product code the plan has already (its buyers are then refused)",
    )
    return parser


def main(argv: Sequence[str]) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        return link(
            usage_plan_id=args.usage_plan,
            product_code=args.product_code,
            stack=args.stack,
            region=args.region,
            replace=args.replace,
        )
    except CommandError as error:
        print(f"devportal marketplace: {error}", file=sys.stderr)
        return 1


def link(*, usage_plan_id: str, product_code: str, stack: str | None, region: str | None, replace: bool) -> int:
    """Set the plan's product code unless it has another (without `replace`); print the fulfillment URL."""
    if not _USAGE_PLAN_ID.match(usage_plan_id):
        raise CommandError(
            f"--usage-plan {usage_plan_id!r} is not a usage plan id; list yours with: aws apigateway get-usage-plans"
        )
    if not _PRODUCT_CODE.match(product_code):
        raise CommandError(
            f"--product-code {product_code!r} is not an AWS Marketplace product code; copy it from the "
            "product's page in the AWS Marketplace Management Portal"
        )
    try:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError as error:
        raise CommandError("boto3 is missing: pip install 'devportal-constructs[preview]'") from error

    try:
        gateway = boto3.client("apigateway", region_name=region)
        plan = _usage_plan(gateway, usage_plan_id)
        name = plan.get("name") or usage_plan_id
        current = plan.get("productCode")
        if current == product_code:
            print(f"Usage plan {name} ({usage_plan_id}) already sells product {product_code}.")
        elif current and not replace:
            raise CommandError(
                f"usage plan {name} ({usage_plan_id}) sells product {current} already. Pass --replace to "
                f"sell {product_code} through it instead; buyers of {current} are then refused."
            )
        else:
            gateway.update_usage_plan(
                usagePlanId=usage_plan_id,
                patchOperations=[{"op": "replace", "path": "/productCode", "value": product_code}],
            )
            print(f"Usage plan {name} ({usage_plan_id}) now sells AWS Marketplace product {product_code}.")
        api_url = _api_url(boto3.client("cloudformation", region_name=region), stack) if stack else None
    except (ClientError, BotoCoreError) as error:
        raise CommandError(f"AWS refused: {error}") from error
    base = api_url or "https://<api-id>.execute-api.<region>.amazonaws.com/prod/api"
    print(f"Fulfillment URL for the product: {base}/marketplace-confirm/{usage_plan_id}")
    if api_url is None:
        print(f"  (<api-id> and <region> are in the {API_URL_OUTPUT} output of the portal's stack; --stack prints it)")
    return 0


def _usage_plan(gateway: Any, usage_plan_id: str) -> dict[str, Any]:
    try:
        return dict(gateway.get_usage_plan(usagePlanId=usage_plan_id))
    except gateway.exceptions.NotFoundException as error:
        region = gateway.meta.region_name
        raise CommandError(
            f"there is no usage plan {usage_plan_id} in {region}; list them with: "
            f"aws apigateway get-usage-plans --region {region}"
        ) from error


def _api_url(cloudformation: Any, stack: str) -> str:
    try:
        found = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except cloudformation.exceptions.ClientError as error:
        raise CommandError(f"there is no stack {stack!r}: {error.response['Error'].get('Message', '')}") from error
    outputs = {output["OutputKey"]: output["OutputValue"] for output in found[0].get("Outputs", [])}
    url = outputs.get(API_URL_OUTPUT) or next(
        (value for key, value in outputs.items() if key.endswith(API_URL_OUTPUT)), None
    )
    if url is None:
        raise CommandError(f"the stack {stack} has no {API_URL_OUTPUT} output; is it the developer portal's stack?")
    return str(url).rstrip("/")
