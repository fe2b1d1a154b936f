"""Renders a fragment that is in S3 and writes its JSON beside it; the handler and the seeder both use it.

Call it with a bucket and the fragment's key, anywhere boto3 reaches S3 (Lambda, moto, the preview)::

    from content_renderer.publish import publish_fragment

    result = publish_fragment("site-bucket", "custom-content/content-fragments/Home.md")
    result.json_key   # "custom-content/content-fragments/Home.json", written when result.written
    result.problem    # why it was not rendered (the last good JSON is kept), or None

A fragment that cannot be rendered leaves the existing JSON untouched, so the site keeps showing the last
good version, and an error naming the file and the problem is logged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from aws_lambda_powertools import Logger

from content_renderer.render import FragmentError, render_fragment
from portal_common.aws import client

FRAGMENTS_PREFIX = "custom-content/content-fragments/"
FRAGMENT_SUFFIX = ".md"
CACHE_CONTROL = "public, max-age=60"

logger = Logger(child=True)


@dataclass(frozen=True)
class Published:
    """What became of one fragment."""

    key: str
    json_key: str
    written: bool
    problem: str | None = None


def is_fragment(key: str) -> bool:
    """True for ``custom-content/content-fragments/<Name>.md``; nested folders are not fragments."""
    if not key.startswith(FRAGMENTS_PREFIX) or not key.endswith(FRAGMENT_SUFFIX):
        return False
    name = key[len(FRAGMENTS_PREFIX) : -len(FRAGMENT_SUFFIX)]
    return bool(name) and "/" not in name


def json_key_for(key: str) -> str:
    """``.../Home.md`` -> ``.../Home.json``."""
    return key[: -len(FRAGMENT_SUFFIX)] + ".json"


def publish_fragment(bucket: str, key: str, *, expected_owner: str | None = None) -> Published:
    """Render ``s3://bucket/key`` and write ``<Name>.json`` next to it, unless the fragment is broken."""
    owner = {} if expected_owner is None else {"ExpectedBucketOwner": expected_owner}
    s3 = client("s3")
    json_key = json_key_for(key)
    body = s3.get_object(Bucket=bucket, Key=key, **owner)["Body"].read()
    try:
        rendered = render_fragment(body)
    except FragmentError as error:
        problem = str(error)
        logger.error(
            f"Kept the last good rendering of s3://{bucket}/{key}: {problem}",
            extra={"file": key, "problem": problem},
        )
        return Published(key=key, json_key=json_key, written=False, problem=problem)
    s3.put_object(
        Bucket=bucket,
        Key=json_key,
        Body=json.dumps(rendered, ensure_ascii=False).encode("utf-8"),
        ContentType="application/json; charset=utf-8",
        CacheControl=CACHE_CONTROL,
        **owner,
    )
    logger.info("fragment rendered", extra={"file": key, "rendering": json_key})
    return Published(key=key, json_key=json_key, written=True)
