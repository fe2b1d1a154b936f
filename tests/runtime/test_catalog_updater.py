"""The catalog updater on moto: ingestion of every format, tiers, generic APIs, invalid files, deletion, scale."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import yaml
from botocore.stub import Stubber
from moto import mock_aws

from tests.runtime.events import lambda_context, rest_api

BUCKET = "portal-artifacts"
_sequence = itertools.count(1)


def spec(title: str = "Pets", version: str = "3.0.3", paths: dict | None = None) -> dict[str, Any]:
    paths = paths if paths is not None else {"/pets": {"get": {"responses": {"200": {"description": "ok"}}}}}
    if version == "2.0":
        return {"swagger": "2.0", "info": {"title": title, "version": "1"}, "paths": paths}
    return {"openapi": version, "info": {"title": title, "version": "1"}, "paths": paths}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("ARTIFACTS_BUCKET", BUCKET)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        yield s3


def record(key: str, *, removed: bool = False, etag: str = "", sequencer: str | None = None) -> dict[str, Any]:
    """An S3 event record as S3 sends it; sequencers grow like S3's unless one is given."""
    return {
        "eventSource": "aws:s3",
        "eventName": "ObjectRemoved:Delete" if removed else "ObjectCreated:Put",
        "s3": {
            "bucket": {"name": BUCKET},
            "object": {
                "key": key.replace(" ", "+"),
                "eTag": etag.strip('"'),
                "sequencer": sequencer if sequencer is not None else f"{next(_sequence):016X}",
            },
        },
    }


def put(s3: Any, key: str, document: dict | bytes, *, as_yaml: bool = False) -> dict[str, Any]:
    """Put a file under catalog/ and return the event record S3 would send for it."""
    if isinstance(document, bytes):
        body = document
    else:
        body = (yaml.safe_dump(document) if as_yaml else json.dumps(document)).encode()
    response = s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return record(key, etag=response["ETag"])


def delete(s3: Any, key: str) -> dict[str, Any]:
    s3.delete_object(Bucket=BUCKET, Key=key)
    return record(key, removed=True)


def sqs(*records: dict[str, Any]) -> dict[str, Any]:
    """An SQS batch as Lambda delivers it: one S3 notification per message."""
    return {
        "Records": [
            {"eventSource": "aws:sqs", "messageId": str(number), "body": json.dumps({"Records": [item]})}
            for number, item in enumerate(records)
        ]
    }


def run(event: dict[str, Any]) -> dict[str, Any]:
    from catalog_updater.handler import lambda_handler

    return lambda_handler(event, lambda_context())


def read(s3: Any, key: str) -> dict[str, Any]:
    return json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def catalog(s3: Any) -> dict[str, Any]:
    return read(s3, "catalog.json")


def status(s3: Any) -> dict[str, Any]:
    return {file["key"]: file for file in read(s3, "catalog-status.json")["files"]}


def plan(name: str, *stages: tuple[str, str], **limits: Any) -> str:
    gateway = boto3.client("apigateway", region_name="us-east-1")
    api_stages = [{"apiId": api_id, "stage": stage} for api_id, stage in stages]
    return gateway.create_usage_plan(name=name, apiStages=api_stages, **limits)["id"]


def s3_reads(prefix: str) -> list[str]:
    """Start counting GetObject calls on keys under `prefix`, on the client the updater uses."""
    from portal_common.aws import client

    keys: list[str] = []

    def count(params: dict[str, Any], **_: Any) -> None:
        if params["Key"].startswith(prefix):
            keys.append(params["Key"])

    client("s3").meta.events.register("provide-client-params.s3.GetObject", count)
    return keys


# --- ingestion ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.0", "3.0.3", "3.1.0"])
@pytest.mark.parametrize("extension", ["json", "yaml", "yml"])
def test_publishes_swagger_2_and_openapi_3_in_json_and_yaml(aws: Any, version: str, extension: str) -> None:
    # Given a spec of each version in each format
    document = spec(f"API {version}", version)
    event = put(aws, f"catalog/apis/orders.{extension}", document, as_yaml=extension != "json")
    # When the updater receives its event
    run(sqs(event))
    # Then the API is published with its version, and its spec is served as JSON
    (entry,) = catalog(aws)["generic"]
    assert (entry["title"], entry["openapi"], entry["kind"]) == (f"API {version}", version, "generic")
    assert entry["spec"] == f"catalog/{entry['id']}/spec"
    assert read(aws, f"catalog-specs/{entry['id']}.json") == document


def test_a_file_named_api_id_and_stage_is_that_stage_case_sensitively(aws: Any) -> None:
    # Given a deployed stage in a usage plan, and files whose names differ only in case or folder
    api_id = rest_api()
    plan("Basic", (api_id, "prod"))
    events = [
        put(aws, f"catalog/{api_id}_prod.json", spec("Exact")),
        put(aws, f"catalog/{api_id}_Prod.yaml", spec("Other stage"), as_yaml=True),
        put(aws, f"catalog/{api_id.upper()}_prod.json", spec("Other API")),
        put(aws, f"catalog/team/{api_id}_prod.json", spec("In a folder")),
    ]
    # When they are built
    run(sqs(*events))
    # Then each name is taken as written: only the exact one has the plan, and a nested file is generic
    apis = {entry["id"]: entry for entry in catalog(aws)["apis"]}
    assert set(apis) == {f"{api_id}_prod", f"{api_id}_Prod", f"{api_id.upper()}_prod"}
    assert (apis[f"{api_id}_prod"]["apiId"], apis[f"{api_id}_prod"]["stage"]) == (api_id, "prod")
    assert [tier["name"] for tier in apis[f"{api_id}_prod"]["plans"]] == ["Basic"]
    assert apis[f"{api_id}_Prod"]["plans"] == []
    assert apis[f"{api_id.upper()}_prod"]["plans"] == []
    assert [entry["title"] for entry in catalog(aws)["generic"]] == ["In a folder"]


def test_a_stage_in_two_usage_plans_keeps_both_tiers(aws: Any) -> None:
    # Given one stage in a free plan and a paid plan with different limits
    api_id = rest_api()
    free = plan(
        "Free", (api_id, "prod"), throttle={"rateLimit": 1, "burstLimit": 2}, quota={"limit": 100, "period": "DAY"}
    )
    paid = plan("Paid", (api_id, "prod"), throttle={"rateLimit": 100, "burstLimit": 200})
    # When its spec is published
    run(sqs(put(aws, f"catalog/{api_id}_prod.json", spec())))
    # Then the entry lists both tiers with their limits, and each plan lists the stage
    published = catalog(aws)
    (entry,) = published["apis"]
    tiers = {tier["id"]: tier for tier in entry["plans"]}
    assert set(tiers) == {free, paid}
    assert tiers[free]["throttle"] == {"burstLimit": 2, "rateLimit": 1.0}
    assert tiers[free]["quota"] == {"limit": 100, "offset": 0, "period": "DAY"}
    assert tiers[paid]["throttle"]["rateLimit"] == 100.0
    assert {item["id"]: item["apis"] for item in published["usagePlans"]} == {
        free: [f"{api_id}_prod"],
        paid: [f"{api_id}_prod"],
    }


def test_generic_apis_are_kept_apart_without_plans(aws: Any) -> None:
    # Given a stage spec and a spec of an API outside API Gateway
    api_id = rest_api()
    plan("Basic", (api_id, "prod"))
    run(sqs(put(aws, f"catalog/{api_id}_prod.json", spec("Stage")), put(aws, "catalog/partner.yaml", spec("Partner"))))
    # Then each is in its own list, and the generic one has no stage or plan
    published = catalog(aws)
    assert [entry["title"] for entry in published["apis"]] == ["Stage"]
    (generic,) = published["generic"]
    assert generic["title"] == "Partner"
    assert "apiId" not in generic and generic["plans"] == [] and generic["sdkGeneration"] is False
    assert published["usagePlans"][0]["apis"] == [f"{api_id}_prod"]


def test_an_invalid_file_is_reported_and_the_valid_ones_are_published(aws: Any) -> None:
    # Given a batch with two valid specs and two broken files
    events = [
        put(aws, "catalog/good.json", spec("Good")),
        put(aws, "catalog/broken.yaml", b"openapi: [3.0\n"),
        put(aws, "catalog/no-version.json", {"openapi": "3.0.3", "info": {"title": "t"}, "paths": {}}),
        put(aws, "catalog/also-good.yml", spec("Also good"), as_yaml=True),
    ]
    # When the batch is built
    result = run(sqs(*events))
    # Then the valid ones are published, and the status says what is wrong with each other one
    assert [entry["title"] for entry in catalog(aws)["generic"]] == ["Also good", "Good"]
    files = status(aws)
    assert files["catalog/broken.yaml"]["state"] == "invalid"
    assert "not valid YAML" in files["catalog/broken.yaml"]["error"]
    assert "'version' is a required property" in files["catalog/no-version.json"]["error"]
    assert files["catalog/good.json"]["state"] == "published"
    assert (result["published"], result["invalid"]) == (2, 2)


def test_a_broken_new_version_keeps_the_last_valid_one_published(aws: Any) -> None:
    # Given a published spec
    run(sqs(put(aws, "catalog/orders.json", spec("Orders v1"))))
    (entry,) = catalog(aws)["generic"]
    # When it is overwritten with a broken file
    run(sqs(put(aws, "catalog/orders.json", b"{not json")))
    # Then the last valid version stays published, and the status explains the error
    assert [item["title"] for item in catalog(aws)["generic"]] == ["Orders v1"]
    assert read(aws, f"catalog-specs/{entry['id']}.json")["info"]["title"] == "Orders v1"
    error = status(aws)["catalog/orders.json"]["error"]
    assert "not valid JSON" in error and "keeps its last valid version" in error


def test_deleting_a_file_removes_its_api_and_its_spec(aws: Any) -> None:
    # Given two published specs
    run(sqs(put(aws, "catalog/a.json", spec("A")), put(aws, "catalog/b.json", spec("B"))))
    removed = next(entry for entry in catalog(aws)["generic"] if entry["title"] == "A")
    # When one file is deleted
    run(sqs(delete(aws, "catalog/a.json")))
    # Then only the other is left, and the deleted one's spec is no longer served
    assert [entry["title"] for entry in catalog(aws)["generic"]] == ["B"]
    assert "catalog/a.json" not in status(aws)
    with pytest.raises(aws.exceptions.NoSuchKey):
        aws.get_object(Bucket=BUCKET, Key=f"catalog-specs/{removed['id']}.json")


def test_an_older_event_arriving_late_never_undoes_a_newer_one(aws: Any) -> None:
    # Given a file deleted and then put again, whose events arrive newest first
    deleted = record("catalog/late.json", removed=True, sequencer="00A1")
    created = put(aws, "catalog/late.json", spec("Late"))
    created["s3"]["object"]["sequencer"] = "00A2"
    run(sqs(created))
    # When the older delete event arrives
    run(sqs(deleted))
    # Then the file stays published
    assert [entry["title"] for entry in catalog(aws)["generic"]] == ["Late"]


def test_a_json_and_a_yaml_of_one_stage_publish_one_and_report_the_other(aws: Any) -> None:
    api_id = rest_api()
    run(
        sqs(
            put(aws, f"catalog/{api_id}_prod.yaml", spec("Yaml"), as_yaml=True),
            put(aws, f"catalog/{api_id}_prod.json", spec("Json")),
        )
    )
    assert [entry["title"] for entry in catalog(aws)["apis"]] == ["Json"]
    duplicate = status(aws)[f"catalog/{api_id}_prod.yaml"]
    assert duplicate["state"] == "duplicate"
    assert f"same API ({api_id}_prod) as catalog/{api_id}_prod.json" in duplicate["error"]


def test_a_markdown_page_beside_a_stage_spec_is_flagged(aws: Any) -> None:
    api_id = rest_api()
    run(sqs(put(aws, f"catalog/{api_id}_prod.json", spec()), put(aws, f"catalog/{api_id}_prod.md", b"# Pets")))
    assert catalog(aws)["apis"][0]["hasDocs"] is True
    run(sqs(delete(aws, f"catalog/{api_id}_prod.md")))
    assert catalog(aws)["apis"][0]["hasDocs"] is False


def test_s3_test_events_and_other_files_change_nothing(aws: Any) -> None:
    run(sqs(put(aws, "catalog/a.json", spec("A"))))
    event = {"Records": [{"eventSource": "aws:sqs", "body": json.dumps({"Event": "s3:TestEvent"})}]}
    result = run(event)
    run(sqs(put(aws, "catalog/readme.txt", b"not a spec")))
    assert result["specsRead"] == 0
    assert [entry["title"] for entry in catalog(aws)["generic"]] == ["A"]
    assert "catalog/readme.txt" not in status(aws)


# --- scale --------------------------------------------------------------------------------------------------


def test_events_naming_one_file_several_times_read_it_once(aws: Any) -> None:
    # Given three notifications of the same file in one batch (S3 delivers at least once)
    event = put(aws, "catalog/a.json", spec("A"))
    reads = s3_reads("catalog/")
    # When the batch is built
    run(sqs(event, event, {**event, "s3": {**event["s3"], "object": {**event["s3"]["object"], "sequencer": "FF"}}}))
    # Then the file was read once
    assert reads == ["catalog/a.json"]


def test_a_single_changed_spec_rereads_only_itself(aws: Any) -> None:
    # Given five published specs
    run(sqs(*(put(aws, f"catalog/api-{number}.json", spec(f"API {number}")) for number in range(5))))
    reads = s3_reads("catalog/")
    # When one of them changes
    run(sqs(put(aws, "catalog/api-3.json", spec("API 3, revised"))))
    # Then only that one is read again, and the others stay published
    assert reads == ["catalog/api-3.json"]
    assert len(catalog(aws)["generic"]) == 5


def test_usage_plans_are_read_page_by_page_past_25(aws: Any) -> None:
    # moto returns every usage plan in one page, so the two pages API Gateway would send are stubbed.
    from portal_common.aws import client
    from portal_common.gateway import usage_plans

    def page(first: int, count: int) -> list[dict[str, Any]]:
        return [
            {"id": f"plan{n:04}", "name": f"Plan {n}", "apiStages": [{"apiId": "a1b2c3d4e5", "stage": "prod"}]}
            for n in range(first, first + count)
        ]

    with Stubber(client("apigateway")) as stub:
        stub.add_response("get_usage_plans", {"items": page(0, 25), "position": "next"}, {"limit": 500})
        stub.add_response("get_usage_plans", {"items": page(25, 5)}, {"limit": 500, "position": "next"})
        plans = usage_plans()
        stub.assert_no_pending_responses()
    assert len(plans.plans) == 30
    assert [tier.id for tier in plans.by_stage["a1b2c3d4e5_prod"]] == [f"plan{n:04}" for n in range(30)]


def test_a_stage_in_thirty_plans_lists_every_tier(aws: Any) -> None:
    api_id = rest_api()
    for number in range(30):
        plan(f"Tier {number}", (api_id, "prod"))
    run(sqs(put(aws, f"catalog/{api_id}_prod.json", spec())))
    assert len(catalog(aws)["apis"][0]["plans"]) == 30
    assert len(catalog(aws)["usagePlans"]) == 30


def test_a_rebuild_lists_past_500_specs_and_reads_only_what_changed(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given 501 specs in the bucket that no event announced, and listings of 200 keys a page
    from catalog_updater import build

    monkeypatch.setattr(build, "LIST_PAGE_SIZE", 200)
    tiny = json.dumps({"openapi": "3.1.0", "info": {"title": "T", "version": "1"}, "paths": {}}).encode()
    for number in range(501):
        aws.put_object(Bucket=BUCKET, Key=f"catalog/bulk/{number:04}.json", Body=tiny)
    # When a rebuild runs
    first = run({"action": "rebuild"})
    # Then every spec is published
    assert len(catalog(aws)["generic"]) == 501
    assert first["specsRead"] == 501
    # And a second rebuild, after one file changed and one was deleted, reads only the changed one
    aws.put_object(Bucket=BUCKET, Key="catalog/bulk/0007.json", Body=tiny.replace(b'"T"', b'"Seven"'))
    aws.delete_object(Bucket=BUCKET, Key="catalog/bulk/0008.json")
    second = run({"action": "rebuild"})
    assert second["specsRead"] == 1
    assert len(catalog(aws)["generic"]) == 500


def test_a_batch_that_loses_the_race_applies_again_without_rereading(aws: Any) -> None:
    # Given another build that commits the index while this batch is being applied
    from catalog_updater.build import Builder, Change
    from portal_common.aws import client

    run(sqs(put(aws, "catalog/other.json", spec("Other"))))
    event = put(aws, "catalog/mine.json", spec("Mine"))
    rival = boto3.client("s3", region_name="us-east-1")
    raced: list[bool] = []

    def race(params: dict[str, Any], **_: Any) -> None:
        if params["Key"] == "catalog-index.json" and not raced:
            raced.append(True)
            index = json.loads(rival.get_object(Bucket=BUCKET, Key="catalog-index.json")["Body"].read())
            index["docs"] = ["rival00000_prod"]  # what the rival's batch changed
            rival.put_object(Bucket=BUCKET, Key="catalog-index.json", Body=json.dumps(index))

    client("s3").meta.events.register("provide-client-params.s3.PutObject", race)
    # When the batch commits
    result = Builder().run([Change(key="catalog/mine.json", etag=event["s3"]["object"]["eTag"])])
    # Then it tried twice, read its file once, and kept the rival's change beside its own
    assert (result.attempts, result.specs_read) == (2, 1)
    assert [entry["title"] for entry in catalog(aws)["generic"]] == ["Mine", "Other"]
    assert read(aws, "catalog-index.json")["docs"] == ["rival00000_prod"]


# --- sync with API Gateway ----------------------------------------------------------------------------------


def test_a_redeployed_shown_stage_is_exported_again(aws: Any) -> None:
    # Given a stage shown by the portal's export and a stage described by a hand-written file
    from portal_common.gateway import export_stage, publish_export

    gateway = boto3.client("apigateway", region_name="us-east-1")
    shown = rest_api("shown")
    manual = rest_api("manual")
    publish_export(shown, "prod", export_stage(shown, "prod"))
    run(sqs(record(f"catalog/{shown}_prod.json"), put(aws, f"catalog/{manual}_prod.json", spec("By hand"))))
    assert {entry["apiId"] for entry in catalog(aws)["apis"]} == {shown, manual}
    # When both APIs get a new resource and are redeployed, and EventBridge reports the deployments
    for api_id in (shown, manual):
        root = gateway.get_resources(restApiId=api_id)["items"][0]["id"]
        gateway.create_resource(restApiId=api_id, parentId=root, pathPart="new")
        gateway.create_deployment(restApiId=api_id, stageName="prod")
    results = [
        run(
            {
                "source": "aws.apigateway",
                "detail-type": "AWS API Call via CloudTrail",
                "detail": {
                    "eventName": "CreateDeployment",
                    "requestParameters": {"restApiId": api_id, "createDeploymentInput": {"stageName": "prod"}},
                },
            }
        )
        for api_id in (shown, manual)
    ]
    # Then only the exported stage is rewritten, with the new resource; the hand-written file is left alone
    assert results == [{"rewritten": [f"catalog/{shown}_prod.json"]}, {"rewritten": []}]
    assert "/new" in read(aws, f"catalog/{shown}_prod.json")["paths"]
    assert read(aws, f"catalog/{manual}_prod.json")["info"]["title"] == "By hand"
    # And the rewrite's own S3 event brings the new path into the catalog
    run(sqs(record(f"catalog/{shown}_prod.json")))
    entry = next(item for item in catalog(aws)["apis"] if item["apiId"] == shown)
    assert "/new" in entry["paths"]
