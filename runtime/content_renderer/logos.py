"""Keeps ``custom-content/api-logos/index.json``, the list of the per-API logos the site bucket holds.

The site reads it once and asks for ``api-logos/{id}.png`` only when the id is listed, so a missing logo
costs no failed request (and no console error); the others get ``default.png``. The content renderer writes
it whenever a logo is uploaded or deleted, and the seeder at every deploy::

    from content_renderer.logos import publish_logo_manifest

    publish_logo_manifest("site-bucket")   # lists api-logos/*.png; True when index.json changed

The manifest is ``{"version": 1, "logos": ["a1b2c3d4e5_prod", ...]}``: sorted ids, ``default`` left out.
It is rebuilt from a listing, not patched per event, so events that arrive late or twice cannot corrupt it.
"""

from __future__ import annotations

import json

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from portal_common.aws import client, is_missing_object

LOGOS_PREFIX = "custom-content/api-logos/"
LOGO_SUFFIX = ".png"
MANIFEST_KEY = f"{LOGOS_PREFIX}index.json"
DEFAULT_LOGO_NAME = "default"
CACHE_CONTROL = "public, max-age=60"

logger = Logger(child=True)


def is_logo(key: str) -> bool:
    """True for ``custom-content/api-logos/<id>.png``, the default logo included; nested folders are not."""
    if not key.startswith(LOGOS_PREFIX) or not key.endswith(LOGO_SUFFIX):
        return False
    name = key[len(LOGOS_PREFIX) : -len(LOGO_SUFFIX)]
    return bool(name) and "/" not in name


def logo_manifest(keys: list[str]) -> dict[str, object]:
    """The manifest of the logos among `keys` (any keys of the bucket)."""
    ids = {key[len(LOGOS_PREFIX) : -len(LOGO_SUFFIX)] for key in keys if is_logo(key)}
    return {"version": 1, "logos": sorted(ids - {DEFAULT_LOGO_NAME})}


def _current(bucket: str, owner: dict[str, str]) -> bytes | None:
    try:
        return bytes(client("s3").get_object(Bucket=bucket, Key=MANIFEST_KEY, **owner)["Body"].read())
    except ClientError as error:
        if is_missing_object(error):
            return None
        raise


def publish_logo_manifest(bucket: str, *, expected_owner: str | None = None) -> bool:
    """List the logos in `bucket` and write the manifest when it differs; True when it was written."""
    owner = {} if expected_owner is None else {"ExpectedBucketOwner": expected_owner}
    s3 = client("s3")
    keys = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=LOGOS_PREFIX, **owner)
        for item in page.get("Contents", [])
    ]
    body = json.dumps(logo_manifest(keys)).encode()
    if _current(bucket, owner) == body:
        return False
    s3.put_object(
        Bucket=bucket,
        Key=MANIFEST_KEY,
        Body=body,
        ContentType="application/json; charset=utf-8",
        CacheControl=CACHE_CONTROL,
        **owner,
    )
    logger.info("logo manifest written", extra={"logos": len(json.loads(body)["logos"])})
    return True
