"""The seed-once custom resource: Create, Update and Delete against moto, answered through the response URL.

CloudFormation's pre-signed ResponseURL is played by a server on 127.0.0.1 that records each PUT, so every
test sees exactly what CloudFormation would receive.
"""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONTENT = ROOT / "site" / "custom-content"
SITE = "site-bucket"
ASSETS = "cdk-assets"
ASSET_KEY = "abc123.zip"
FRAGMENTS = "custom-content/content-fragments/"
ACCOUNT = "123456789012"


class CloudFormation:
    """Records the answers PUT to the response URL."""

    def __init__(self) -> None:
        self.answers: list[dict] = []
        self.content_types: list[str | None] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                length = int(self.headers["Content-Length"])
                recorder.answers.append(json.loads(self.rfile.read(length)))
                recorder.content_types.append(self.headers.get("Content-Type"))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/response?signature=x"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def answer(self) -> dict:
        assert len(self.answers) == 1, f"expected exactly one answer, got {self.answers}"
        return self.answers[0]


class FakeContext:
    function_name = "seeder"
    memory_limit_in_mb = 512
    invoked_function_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:seeder"
    aws_request_id = "request-1"
    log_stream_name = "2024/01/01/[$LATEST]abc"

    def __init__(self, remaining_ms: int = 600_000) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def zipped(folder: Path) -> bytes:
    """A directory asset as the CDK packs it: a zip of the folder's contents."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


@pytest.fixture
def cfn() -> Iterator[CloudFormation]:
    server = CloudFormation()
    yield server
    server.stop()


@pytest.fixture
def aws() -> Iterator[dict]:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=SITE)
        s3.create_bucket(Bucket=ASSETS)
        s3.put_object(Bucket=ASSETS, Key=ASSET_KEY, Body=zipped(DEFAULT_CONTENT))
        cloudfront = boto3.client("cloudfront", region_name="us-east-1")
        distribution_id = cloudfront.create_distribution(
            DistributionConfig={
                "CallerReference": "site",
                "Comment": "",
                "Enabled": True,
                "Origins": {
                    "Quantity": 1,
                    "Items": [{"Id": "site", "DomainName": f"{SITE}.s3.amazonaws.com"}],
                },
                "DefaultCacheBehavior": {
                    "TargetOriginId": "site",
                    "ViewerProtocolPolicy": "redirect-to-https",
                },
            }
        )["Distribution"]["Id"]
        yield {"s3": s3, "cloudfront": cloudfront, "distribution_id": distribution_id}


def event(cfn: CloudFormation, aws: dict, request_type: str = "Create", **overrides: str) -> dict:
    properties = {
        "ServiceToken": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:seeder",
        "SiteBucket": SITE,
        "SourceBucket": ASSETS,
        "SourceKey": ASSET_KEY,
        "DistributionId": aws["distribution_id"],
        "RebuildMode": "",
        "RebuildToken": "",
        **overrides,
    }
    request = {
        "RequestType": request_type,
        "ResponseURL": cfn.url,
        "StackId": f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/Portal/guid",
        "RequestId": f"request-{request_type}",
        "LogicalResourceId": "CustomContent",
        "ResourceType": "Custom::DevPortalCustomContent",
        "ResourceProperties": {key: value for key, value in properties.items() if value is not None},
    }
    if request_type != "Create":
        request["PhysicalResourceId"] = f"custom-content:{SITE}"
        request["OldResourceProperties"] = dict(request["ResourceProperties"])
    return request


def run(request: dict, context: FakeContext | None = None) -> None:
    from site_deployment.handler import lambda_handler

    lambda_handler(request, context or FakeContext())


def body(aws: dict, key: str) -> bytes:
    return aws["s3"].get_object(Bucket=SITE, Key=key)["Body"].read()


def keys(aws: dict, prefix: str = "custom-content/") -> set[str]:
    paginator = aws["s3"].get_paginator("list_objects_v2")
    return {item["Key"] for page in paginator.paginate(Bucket=SITE, Prefix=prefix) for item in page.get("Contents", [])}


def invalidated_paths(aws: dict) -> list[list[str]]:
    cloudfront, distribution_id = aws["cloudfront"], aws["distribution_id"]
    listing = cloudfront.list_invalidations(DistributionId=distribution_id)["InvalidationList"].get("Items", [])
    return [
        cloudfront.get_invalidation(DistributionId=distribution_id, Id=item["Id"])["Invalidation"]["InvalidationBatch"][
            "Paths"
        ]["Items"]
        for item in listing
    ]


def default_keys() -> set[str]:
    return {
        f"custom-content/{path.relative_to(DEFAULT_CONTENT).as_posix()}"
        for path in DEFAULT_CONTENT.rglob("*")
        if path.is_file()
    }


def rendered_keys() -> set[str]:
    return {key[: -len(".md")] + ".json" for key in default_keys() if key.endswith(".md")}


LOGO_MANIFEST = "custom-content/api-logos/index.json"


# --- Create ----------------------------------------------------------------------------------------------


def test_create_seeds_every_default_file_renders_the_fragments_and_answers_success(cfn, aws):
    # Given an empty site bucket
    # When CloudFormation creates the resource
    run(event(cfn, aws))

    # Then every default file is there with its content and type, each fragment has its rendering, and the
    # logo manifest lists no per-API logo yet
    assert keys(aws) == default_keys() | rendered_keys() | {LOGO_MANIFEST}
    assert json.loads(body(aws, LOGO_MANIFEST)) == {"version": 1, "logos": []}
    assert body(aws, "custom-content/styles.css") == (DEFAULT_CONTENT / "styles.css").read_bytes()
    assert aws["s3"].head_object(Bucket=SITE, Key="custom-content/favicon.ico")["ContentType"] == "image/x-icon"
    assert aws["s3"].head_object(Bucket=SITE, Key="custom-content/nav-logo.png")["ContentType"] == "image/png"
    home = json.loads(body(aws, f"{FRAGMENTS}Home.json"))
    assert home["frontMatter"]["tagline"] == "Your gateway to the data."
    # And CloudFormation hears SUCCESS once, with the counts and a stable id, as an unsigned-type PUT
    answer = cfn.answer
    assert answer["Status"] == "SUCCESS"
    assert answer["PhysicalResourceId"] == f"custom-content:{SITE}"
    assert answer["RequestId"] == "request-Create"
    assert answer["LogicalResourceId"] == "CustomContent"
    assert answer["Data"]["Written"] == str(len(default_keys()))
    assert answer["Data"]["Rendered"] == "3"
    assert cfn.content_types == [""]
    # And what changed is invalidated, file by file
    assert invalidated_paths(aws) == [sorted(f"/{key}" for key in default_keys() | rendered_keys() | {LOGO_MANIFEST})]


def test_create_keeps_content_that_is_already_in_the_bucket(cfn, aws):
    # Given a bucket that already holds an operator's stylesheet (a retained bucket, reused)
    aws["s3"].put_object(Bucket=SITE, Key="custom-content/styles.css", Body=b"body { color: red }")
    run(event(cfn, aws))
    assert body(aws, "custom-content/styles.css") == b"body { color: red }"
    assert cfn.answer["Data"]["Kept"] == "1"


# --- Update ----------------------------------------------------------------------------------------------


def test_update_leaves_the_operators_replaced_files_untouched(cfn, aws):
    # Given a seeded portal whose operator replaced the stylesheet, the logo and the Home fragment
    run(event(cfn, aws))
    cfn.answers.clear()
    s3 = aws["s3"]
    s3.put_object(Bucket=SITE, Key="custom-content/styles.css", Body=b":root { --portal-accent: red }")
    s3.put_object(Bucket=SITE, Key="custom-content/nav-logo.png", Body=b"operator logo")
    s3.put_object(Bucket=SITE, Key=f"{FRAGMENTS}Home.md", Body=b"---\ntitle: Operator\n---\nMine")
    s3.put_object(Bucket=SITE, Key=f"{FRAGMENTS}Home.json", Body=b'{"frontMatter": {"title": "Operator"}}')
    s3.delete_object(Bucket=SITE, Key="custom-content/api-logos/default.png")

    # When the stack is redeployed with a new rebuild token (default mode)
    run(event(cfn, aws, "Update", RebuildToken="2"))

    # Then the operator's files are byte-for-byte theirs, and only the missing default came back
    assert body(aws, "custom-content/styles.css") == b":root { --portal-accent: red }"
    assert body(aws, "custom-content/nav-logo.png") == b"operator logo"
    assert body(aws, f"{FRAGMENTS}Home.md") == b"---\ntitle: Operator\n---\nMine"
    assert body(aws, f"{FRAGMENTS}Home.json") == b'{"frontMatter": {"title": "Operator"}}'
    assert body(aws, "custom-content/api-logos/default.png") == (DEFAULT_CONTENT / "api-logos/default.png").read_bytes()
    answer = cfn.answer
    assert answer["Status"] == "SUCCESS"
    assert answer["PhysicalResourceId"] == f"custom-content:{SITE}"
    assert answer["Data"]["Written"] == "1"
    assert invalidated_paths(aws)[-1] == ["/custom-content/api-logos/default.png"]


def test_overwrite_mode_replaces_the_operators_files_and_keeps_their_extra_ones(cfn, aws):
    # Given an operator's stylesheet, Home fragment and a per-API logo the defaults do not have
    run(event(cfn, aws))
    s3 = aws["s3"]
    s3.put_object(Bucket=SITE, Key="custom-content/styles.css", Body=b"operator css")
    s3.put_object(Bucket=SITE, Key=f"{FRAGMENTS}Home.md", Body=b"---\ntitle: Operator\n---\n")
    s3.put_object(Bucket=SITE, Key="custom-content/api-logos/abc123_prod.png", Body=b"api logo")
    cfn.answers.clear()

    # When the stack is redeployed in overwrite-content mode
    run(event(cfn, aws, "Update", RebuildMode="overwrite-content"))

    # Then the defaults replace the operator's versions, the rendering follows, and extra files stay
    assert body(aws, "custom-content/styles.css") == (DEFAULT_CONTENT / "styles.css").read_bytes()
    assert body(aws, f"{FRAGMENTS}Home.md") == (DEFAULT_CONTENT / "content-fragments/Home.md").read_bytes()
    assert json.loads(body(aws, f"{FRAGMENTS}Home.json"))["frontMatter"]["title"] == "Developer Portal"
    assert body(aws, "custom-content/api-logos/abc123_prod.png") == b"api logo"
    assert cfn.answer["Data"]["Written"] == "2"
    # And the logo manifest now lists the operator's logo
    assert json.loads(body(aws, LOGO_MANIFEST)) == {"version": 1, "logos": ["abc123_prod"]}
    assert sorted(invalidated_paths(aws)[-1]) == [
        f"/{LOGO_MANIFEST}",
        f"/{FRAGMENTS}Home.json",
        f"/{FRAGMENTS}Home.md",
        "/custom-content/styles.css",
    ]


def test_running_twice_changes_nothing_the_second_time(cfn, aws):
    run(event(cfn, aws))
    versions = {key: aws["s3"].head_object(Bucket=SITE, Key=key)["ETag"] for key in keys(aws)}
    cfn.answers.clear()

    for mode in ("", "overwrite-content"):
        run(event(cfn, aws, "Update", RebuildMode=mode))

    assert {key: aws["s3"].head_object(Bucket=SITE, Key=key)["ETag"] for key in keys(aws)} == versions
    assert [answer["Data"]["Written"] for answer in cfn.answers] == ["0", "0"]
    assert len(invalidated_paths(aws)) == 1, "only the first run changed anything"


def test_operator_files_beyond_the_first_thousand_objects_are_seen(cfn, aws):
    # Given 1,100 operator logos, which sort before styles.css, and an operator's styles.css
    s3 = aws["s3"]
    for index in range(1100):
        s3.put_object(Bucket=SITE, Key=f"custom-content/api-logos/api{index:04d}_prod.png", Body=b"x")
    s3.put_object(Bucket=SITE, Key="custom-content/styles.css", Body=b"operator css")

    # When the resource is created
    run(event(cfn, aws))

    # Then styles.css, on the second page of the listing, is still recognized as the operator's
    assert body(aws, "custom-content/styles.css") == b"operator css"
    assert cfn.answer["Status"] == "SUCCESS"
    assert "/custom-content/styles.css" not in invalidated_paths(aws)[-1]


def test_many_changed_files_are_invalidated_with_one_wildcard(aws):
    from site_deployment.seed import MAX_INVALIDATION_PATHS, seed_custom_content

    files = {f"api-logos/api{index}.png": b"x" for index in range(MAX_INVALIDATION_PATHS + 1)}
    seed_custom_content(files, site_bucket=SITE, distribution_id=aws["distribution_id"])

    assert invalidated_paths(aws) == [["/custom-content/*"]]


def test_a_fragment_without_its_rendering_is_rendered_even_when_kept(cfn, aws):
    aws["s3"].put_object(Bucket=SITE, Key=f"{FRAGMENTS}APIs.md", Body=b"---\ntitle: Catalogue\n---\n")
    run(event(cfn, aws))
    assert body(aws, f"{FRAGMENTS}APIs.md") == b"---\ntitle: Catalogue\n---\n"
    assert json.loads(body(aws, f"{FRAGMENTS}APIs.json"))["frontMatter"] == {"title": "Catalogue"}


# --- Delete ----------------------------------------------------------------------------------------------


def test_delete_answers_success_and_keeps_the_operators_content(cfn, aws):
    run(event(cfn, aws))
    before = keys(aws)
    cfn.answers.clear()

    run(event(cfn, aws, "Delete"))

    assert keys(aws) == before
    assert cfn.answer["Status"] == "SUCCESS"
    assert cfn.answer["PhysicalResourceId"] == f"custom-content:{SITE}"


def test_delete_after_a_failed_create_answers_success(cfn, aws):
    request = event(cfn, aws, "Delete", SourceKey="missing.zip")
    run(request)
    assert cfn.answer["Status"] == "SUCCESS"


# --- failures still answer ----------------------------------------------------------------------------------


def test_fails_when_the_default_content_asset_is_missing_and_still_answers(cfn, aws):
    run(event(cfn, aws, SourceKey="gone.zip"))
    answer = cfn.answer
    assert answer["Status"] == "FAILED"
    assert "s3://cdk-assets/gone.zip does not exist" in answer["Reason"]
    assert "log stream 2024/01/01/[$LATEST]abc" in answer["Reason"]
    assert answer["PhysicalResourceId"] == f"custom-content:{SITE}"


def test_fails_when_the_site_bucket_does_not_exist_and_still_answers(cfn, aws):
    run(event(cfn, aws, SiteBucket="no-such-bucket"))
    assert cfn.answer["Status"] == "FAILED"
    assert "NoSuchBucket" in cfn.answer["Reason"]


def test_fails_when_properties_are_missing_or_wrong(cfn, aws):
    request = event(cfn, aws)
    del request["ResourceProperties"]["SourceKey"]
    run(request)
    assert cfn.answers[-1]["Status"] == "FAILED"
    assert "lacks the properties SourceKey" in cfn.answers[-1]["Reason"]

    run(event(cfn, aws, RebuildMode="always"))
    assert cfn.answers[-1]["Status"] == "FAILED"
    assert "RebuildMode 'always' is not one of" in cfn.answers[-1]["Reason"]


def test_fails_when_the_asset_is_not_a_zip(cfn, aws):
    aws["s3"].put_object(Bucket=ASSETS, Key="broken.zip", Body=b"not a zip")
    run(event(cfn, aws, SourceKey="broken.zip"))
    assert cfn.answer["Status"] == "FAILED"
    assert cfn.answer["Reason"].startswith("the default content asset is not a zip file")


def test_the_watchdog_answers_before_a_timeout_and_the_late_result_is_not_sent(cfn, aws, monkeypatch):
    # Given seeding that is still running when the function is about to time out
    import site_deployment.handler as handler

    answered = threading.Event()
    original_send = handler.Responder.send

    def send_and_signal(self, *args, **kwargs):
        sent = original_send(self, *args, **kwargs)
        answered.set()
        return sent

    def slow_handle(event, context):
        assert answered.wait(timeout=30), "the watchdog never answered"
        return {}

    monkeypatch.setattr(handler.Responder, "send", send_and_signal)
    monkeypatch.setattr(handler, "handle", slow_handle)

    # When the function starts with less time left than the margin it keeps for answering
    run(event(cfn, aws), FakeContext(remaining_ms=int(handler.TIMEOUT_MARGIN_SECONDS * 1000)))

    # Then CloudFormation got one FAILED answer from the watchdog, and not the late SUCCESS
    assert cfn.answer["Status"] == "FAILED"
    assert "did not finish within" in cfn.answer["Reason"]


def test_the_seeder_core_runs_without_lambda(aws):
    # The local preview seeds its emulated bucket straight from the folder.
    from site_deployment.seed import files_from_directory, seed_custom_content

    result = seed_custom_content(files_from_directory(DEFAULT_CONTENT), site_bucket=SITE)

    assert set(result.written) == default_keys()
    assert set(result.rendered) == rendered_keys()
    assert result.invalidation_id is None
