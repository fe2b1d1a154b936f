"""`devportal marketplace link` against moto: it sets the usage plan's product code and shows the URL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from devportal_constructs.marketplace_cli import main

REGION = "us-east-1"
CODE = "8pmr4k2x0example1234567ab"


@pytest.fixture
def plan_id() -> Iterator[str]:
    with mock_aws():
        yield boto3.client("apigateway", region_name=REGION).create_usage_plan(name="Gold")["id"]


def product_code_of(plan_id: str) -> str | None:
    return boto3.client("apigateway", region_name=REGION).get_usage_plan(usagePlanId=plan_id).get("productCode")


def portal_stack(api_url: str) -> None:
    """A stack with the portal's ApiUrl output, as `cdk deploy` leaves it."""
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"ApiUrl": {"Value": api_url}},
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="DevPortalStack", TemplateBody=json.dumps(template)
    )


def test_link_sets_the_product_code_and_prints_the_fulfillment_url(
    plan_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the portal's stack is deployed
    portal_stack("https://abc123.execute-api.us-east-1.amazonaws.com/prod/api")
    # When the operator links the plan to the product
    code = main(["link", "--usage-plan", plan_id, "--product-code", CODE, "--stack", "DevPortalStack"])
    # Then the plan sells the product, and the URL to give AWS Marketplace is printed
    out = capsys.readouterr().out
    assert code == 0
    assert product_code_of(plan_id) == CODE
    assert f"Usage plan Gold ({plan_id}) now sells AWS Marketplace product {CODE}." in out
    assert f"https://abc123.execute-api.us-east-1.amazonaws.com/prod/api/marketplace-confirm/{plan_id}" in out


def test_link_without_a_stack_prints_the_url_format(plan_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["link", "--usage-plan", plan_id, "--product-code", CODE]) == 0
    out = capsys.readouterr().out
    assert f"https://<api-id>.execute-api.<region>.amazonaws.com/prod/api/marketplace-confirm/{plan_id}" in out
    assert "ApiUrl output" in out


def test_link_again_changes_nothing(plan_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["link", "--usage-plan", plan_id, "--product-code", CODE])
    assert main(["link", "--usage-plan", plan_id, "--product-code", CODE]) == 0
    assert "already sells product" in capsys.readouterr().out


def test_fails_when_the_plan_sells_another_product(plan_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["link", "--usage-plan", plan_id, "--product-code", "firstproduct"])
    code = main(["link", "--usage-plan", plan_id, "--product-code", CODE])
    assert code == 1
    assert "sells product firstproduct already. Pass --replace" in capsys.readouterr().err
    assert product_code_of(plan_id) == "firstproduct"


def test_replace_sells_the_new_product(plan_id: str) -> None:
    main(["link", "--usage-plan", plan_id, "--product-code", "firstproduct"])
    assert main(["link", "--usage-plan", plan_id, "--product-code", CODE, "--replace"]) == 0
    assert product_code_of(plan_id) == CODE


def test_fails_when_the_plan_does_not_exist(plan_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["link", "--usage-plan", "nosuchplan", "--product-code", CODE, "--region", REGION]) == 1
    assert "there is no usage plan nosuchplan in us-east-1" in capsys.readouterr().err


def test_fails_when_the_product_code_is_not_one(plan_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["link", "--usage-plan", plan_id, "--product-code", "not a code"]) == 1
    assert "'not a code' is not an AWS Marketplace product code" in capsys.readouterr().err
    assert product_code_of(plan_id) is None


def test_fails_when_the_stack_has_no_api_url(plan_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["link", "--usage-plan", plan_id, "--product-code", CODE, "--stack", "Missing"]) == 1
    assert "there is no stack 'Missing'" in capsys.readouterr().err


def test_fails_when_a_required_option_is_missing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["link", "--usage-plan", "abc"]) == 2
    assert "--product-code" in capsys.readouterr().err
