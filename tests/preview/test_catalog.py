"""Specs put into the artifacts bucket reach the catalog the way the stack wires it in AWS.

S3 announces each object under ``catalog/`` to the updates queue, and the queue's event source mapping hands
the catalog updater batches of those announcements; the preview does both, from the stack's template.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import yaml

from devportal_constructs.preview import Preview

ORDERS = {
    "openapi": "3.0.3",
    "info": {"title": "Orders", "version": "2.1.0", "description": "Place and track orders."},
    "paths": {"/orders": {"get": {"responses": {"200": {"description": "The orders"}}}}},
}


def catalog(preview: Preview) -> dict[str, Any]:
    with urllib.request.urlopen(f"{preview.url}/api/catalog", timeout=10) as response:
        return dict(json.loads(response.read()))


def queue_urls(preview: Preview) -> tuple[str, str]:
    """The updates queue and its dead-letter queue, as the stack names them."""
    urls = preview.aws("sqs").list_queues()["QueueUrls"]
    updates = next(url for url in urls if url.endswith("UpdatesQueue"))
    dead_letters = next(url for url in urls if url.endswith("UpdatesDeadLetterQueue"))
    return updates, dead_letters


def waiting(preview: Preview, queue_url: str) -> int:
    attributes = preview.aws("sqs").get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(count) for count in attributes.values())


def test_the_sample_api_is_in_the_catalog_with_both_plans_as_its_tiers(preview: Preview) -> None:
    # When a visitor opens the catalog of a freshly started preview
    published = {entry["id"]: entry for entry in catalog(preview)["apis"]}
    # Then both stages of the PetStore are listed, prod with the Free and Pro plans, dev with Free only
    prod, dev = published[f"{preview.sample_api_id}_prod"], published[f"{preview.sample_api_id}_dev"]
    assert prod["title"] == "PetStore"
    assert [plan["name"] for plan in prod["plans"]] == ["Free", "Pro"]
    assert [plan["name"] for plan in dev["plans"]] == ["Free"]
    assert prod["plans"][0]["quota"] == {"limit": 1000, "offset": 0, "period": "DAY"}


def test_a_spec_put_under_catalog_reaches_the_catalog_through_the_updates_queue(preview: Preview) -> None:
    # Given an operator's OpenAPI file
    body = yaml.safe_dump(ORDERS).encode()
    # When it is put under catalog/ in the artifacts bucket
    preview.aws("s3").put_object(Bucket=preview.buckets["artifacts"], Key="catalog/shop/orders.yaml", Body=body)
    # Then the catalog lists it as a generic API, and the queue's announcement was taken and deleted
    generic = {entry["source"]: entry for entry in catalog(preview)["generic"]}
    assert generic["catalog/shop/orders.yaml"]["title"] == "Orders"
    assert generic["catalog/shop/orders.yaml"]["version"] == "2.1.0"
    updates, _ = queue_urls(preview)
    assert waiting(preview, updates) == 0


def test_a_spec_removed_from_catalog_leaves_the_catalog(preview: Preview) -> None:
    # Given a published spec
    s3, bucket = preview.aws("s3"), preview.buckets["artifacts"]
    s3.put_object(
        Bucket=bucket,
        Key="catalog/leaving.json",
        Body=json.dumps(ORDERS | {"info": {"title": "Leaving", "version": "1"}}).encode(),
    )
    assert "catalog/leaving.json" in {entry["source"] for entry in catalog(preview)["generic"]}
    # When it is deleted
    s3.delete_object(Bucket=bucket, Key="catalog/leaving.json")
    # Then the catalog no longer lists it
    assert "catalog/leaving.json" not in {entry["source"] for entry in catalog(preview)["generic"]}


def test_announcements_that_keep_failing_land_in_the_dead_letter_queue(preview: Preview) -> None:
    # Given a message the updater cannot read, sent to its queue
    updates, dead_letters = queue_urls(preview)
    sqs = preview.aws("sqs")
    sqs.send_message(QueueUrl=updates, MessageBody="not an S3 event")
    # Then after the queue's five attempts (its redrive policy) the message waits in the dead-letter queue
    assert waiting(preview, updates) == 0
    moved = sqs.receive_message(QueueUrl=dead_letters, MessageSystemAttributeNames=["ApproximateReceiveCount"])
    assert [message["Body"] for message in moved["Messages"]] == ["not an S3 event"]
    assert moved["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "6"
