"""`devportal catalog validate` and `publish`: the portal's own checks, stack lookup, and the preview's S3."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from devportal_constructs.catalog_cli import main

VALID = {"openapi": "3.1.0", "info": {"title": "Orders", "version": "1"}, "paths": {}}
STACK_TEMPLATE = {
    "Resources": {"Artifacts": {"Type": "AWS::S3::Bucket"}},
    "Outputs": {"ArtifactsBucketName": {"Value": {"Ref": "Artifacts"}}},
}


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "orders.json").write_text(json.dumps(VALID))
    (folder / "a1b2c3d4e5_prod.yaml").write_text("swagger: '2.0'\ninfo: {title: Pets, version: '1'}\npaths: {}\n")
    (folder / "notes.txt").write_text("not a spec")
    return folder


def broken(folder: Path) -> Path:
    path = folder / "broken.yaml"
    path.write_text("openapi: 3.0.3\ninfo: {title: Broken}\npaths: {}\n")
    return path


def keys(s3: Any, bucket: str) -> list[str]:
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def test_validate_accepts_a_folder_of_valid_specs(specs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # When the operator validates a folder
    code = main(["validate", str(specs)])
    # Then each spec is reported with its kind, and the .txt file is not considered
    out = capsys.readouterr().out
    assert code == 0
    assert "ok       " in out and "Orders (generic)" in out and "Pets (API Gateway stage)" in out
    assert "notes.txt" not in out and "2 valid, 0 invalid." in out


def test_fails_when_a_file_is_invalid(specs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(specs / "orders.json"), str(broken(specs))])
    out = capsys.readouterr().out
    assert code == 1
    assert "invalid  " in out and "'version' is a required property" in out and "1 valid, 1 invalid." in out


def test_fails_when_a_file_does_not_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(tmp_path / "missing.yaml")])
    assert code == 2
    assert "missing.yaml: no such file or folder" in capsys.readouterr().err


def test_fails_when_two_files_would_share_a_key(specs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = specs / "other"
    other.mkdir()
    (other / "orders.json").write_text(json.dumps(VALID))
    assert main(["validate", str(specs)]) == 1
    assert "would both be published as catalog/orders.json; rename one" in capsys.readouterr().out


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    with mock_aws():
        cloudformation = boto3.client("cloudformation", region_name="us-east-1")
        cloudformation.create_stack(StackName="PortalStack", TemplateBody=json.dumps(STACK_TEMPLATE))
        outputs = cloudformation.describe_stacks(StackName="PortalStack")["Stacks"][0]["Outputs"]
        yield boto3.client("s3", region_name="us-east-1"), outputs[0]["OutputValue"]


def test_publish_uploads_to_the_stacks_artifacts_bucket(
    specs: Path, stack: tuple[Any, str], capsys: pytest.CaptureFixture[str]
) -> None:
    s3, bucket = stack
    # When the operator publishes a folder to the stack
    code = main(["publish", str(specs), "--stack", "PortalStack"])
    # Then each spec is under catalog/ by its file name, with one progress line each and a summary
    out = capsys.readouterr().out
    assert code == 0
    assert keys(s3, bucket) == ["catalog/a1b2c3d4e5_prod.yaml", "catalog/orders.json"]
    assert "[1/2] uploaded" in out and "[2/2] uploaded" in out
    assert f"Published 2 file(s) to s3://{bucket}/catalog/." in out
    head = s3.head_object(Bucket=bucket, Key="catalog/orders.json")
    assert head["ContentType"] == "application/json"


def test_fails_when_publishing_an_invalid_file_and_uploads_nothing(
    specs: Path, stack: tuple[Any, str], capsys: pytest.CaptureFixture[str]
) -> None:
    s3, bucket = stack
    broken(specs)
    assert main(["publish", str(specs), "--stack", "PortalStack"]) == 1
    assert "Nothing was uploaded: fix the invalid files, or pass --skip-invalid" in capsys.readouterr().out
    assert keys(s3, bucket) == []
    # And with --skip-invalid the valid ones go up, and the exit code still says something was wrong
    assert main(["publish", str(specs), "--stack", "PortalStack", "--skip-invalid"]) == 1
    assert keys(s3, bucket) == ["catalog/a1b2c3d4e5_prod.yaml", "catalog/orders.json"]
    assert ", 1 invalid skipped." in capsys.readouterr().out


def test_fails_when_the_stack_does_not_exist(
    specs: Path, stack: tuple[Any, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["publish", str(specs), "--stack", "Nope", "--region", "us-east-1"]) == 2
    assert "Stack 'Nope' does not exist in us-east-1; check --stack and --region." in capsys.readouterr().err


def test_fails_when_the_stack_has_no_portal(
    specs: Path, stack: tuple[Any, str], capsys: pytest.CaptureFixture[str]
) -> None:
    template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    boto3.client("cloudformation", region_name="us-east-1").create_stack(
        StackName="Other", TemplateBody=json.dumps(template)
    )
    assert main(["publish", str(specs), "--stack", "Other"]) == 2
    assert "has no ArtifactsBucketName output; is it a stack with a DevPortal in it?" in capsys.readouterr().err


def test_fails_when_neither_stack_nor_bucket_is_given(specs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["publish", str(specs)])
    assert exit_info.value.code == 2
    assert "one of the arguments --stack --bucket is required" in capsys.readouterr().err


def test_publish_reaches_the_local_preview_through_its_endpoint(
    specs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an S3 emulation served on a local port, as the preview serves it
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint)
        s3.create_bucket(Bucket="preview-artifacts")
        # When the operator publishes to it by bucket and endpoint
        code = main(
            ["publish", str(specs / "orders.json"), "--bucket", "preview-artifacts", "--endpoint-url", endpoint]
        )
        # Then the spec is in the emulation's bucket
        assert code == 0
        assert keys(s3, "preview-artifacts") == ["catalog/orders.json"]
    finally:
        server.stop()
