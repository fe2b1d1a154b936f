"""Seeds the site bucket's ``custom-content/`` with the default content, never over the operator's files.

Callable without Lambda, from any code whose boto3 reaches S3 (the custom resource, the local preview)::

    from site_deployment.seed import files_from_directory, seed_custom_content

    result = seed_custom_content(files_from_directory(Path("site/custom-content")), site_bucket="site")
    result.written    # keys written; result.kept: the operator's files left alone
    result.rendered   # fragment JSON written by the content renderer

- Default mode writes a default file only where no object with its key exists yet.
- ``overwrite=True`` (``overwrite-content``) writes every default file whose content differs, replacing the
  operator's version. Files the defaults do not have, such as per-API logos, are left alone in both modes.
- Fragments it writes, and fragments that have no JSON yet, are rendered beside themselves.
- ``api-logos/index.json``, the list of per-API logos the site reads, is rebuilt from the bucket's logos.
- Everything it changed is invalidated in CloudFront when ``distribution_id`` is given.

Running it twice changes nothing the second time, so CloudFormation may retry it freely. Listing is paginated,
so buckets with any number of objects are handled.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aws_lambda_powertools import Logger

from content_renderer.logos import MANIFEST_KEY, publish_logo_manifest
from content_renderer.publish import is_fragment, json_key_for, publish_fragment
from portal_common.aws import client

CUSTOM_CONTENT_PREFIX = "custom-content/"
CACHE_CONTROL = "public, max-age=60"
# Beyond this many changed paths, one wildcard is cheaper than listing them (CloudFront bills per path).
MAX_INVALIDATION_PATHS = 50
_CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
}

logger = Logger(child=True)


class SeedError(ValueError):
    """The default content cannot be read; the message says what to fix."""


@dataclass
class SeedResult:
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)
    logo_manifest_written: bool = False
    invalidation_id: str | None = None

    def summary(self) -> dict[str, str]:
        """Counts as strings, the shape CloudFormation's response ``Data`` wants."""
        return {
            "Written": str(len(self.written)),
            "Kept": str(len(self.kept)),
            "Unchanged": str(len(self.unchanged)),
            "Rendered": str(len(self.rendered)),
            "InvalidationId": self.invalidation_id or "",
        }


def content_type(key: str) -> str:
    suffix = Path(key).suffix.lower()
    return _CONTENT_TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


def _is_hidden(relative: str) -> bool:
    return any(part.startswith(".") for part in relative.split("/"))


def files_from_zip(data: bytes) -> dict[str, bytes]:
    """The files of a CDK directory asset (a zip of the folder's contents), by relative path."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise SeedError("the default content asset is not a zip file; redeploy to upload it again") from error
    with archive:
        return {
            info.filename.lstrip("/"): archive.read(info)
            for info in archive.infolist()
            if not info.is_dir() and not _is_hidden(info.filename)
        }


def files_from_directory(root: Path) -> dict[str, bytes]:
    """The files under `root` (``site/custom-content``), by path relative to it."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not _is_hidden(path.relative_to(root).as_posix())
    }


def read_asset(bucket: str, key: str) -> dict[str, bytes]:
    """Download the default content asset and unpack it."""
    s3 = client("s3")
    try:
        data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey as error:
        raise SeedError(
            f"the default content asset s3://{bucket}/{key} does not exist; run 'cdk deploy' again so that "
            "the CDK uploads its assets"
        ) from error
    return files_from_zip(data)


def existing_objects(bucket: str, prefix: str, *, expected_owner: str | None = None) -> dict[str, str]:
    """Every key under `prefix` with its ETag, across as many pages as there are."""
    owner = {} if expected_owner is None else {"ExpectedBucketOwner": expected_owner}
    found: dict[str, str] = {}
    for page in client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, **owner):
        for item in page.get("Contents", []):
            found[item["Key"]] = item.get("ETag", "").strip('"')
    return found


def _same_content(etag: str, body: bytes) -> bool:
    # A single-part upload's ETag is its MD5; a multipart one ("...-N") cannot be compared, so it differs.
    return "-" not in etag and etag == hashlib.md5(body, usedforsecurity=False).hexdigest()


def invalidate(distribution_id: str, keys: list[str]) -> str:
    paths = sorted(f"/{key}" for key in keys)
    if len(paths) > MAX_INVALIDATION_PATHS:
        paths = [f"/{CUSTOM_CONTENT_PREFIX}*"]
    response = client("cloudfront").create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": len(paths), "Items": paths},
            "CallerReference": f"custom-content-{time.time_ns()}",
        },
    )
    return str(response["Invalidation"]["Id"])


def seed_custom_content(
    files: Mapping[str, bytes],
    *,
    site_bucket: str,
    overwrite: bool = False,
    distribution_id: str = "",
    expected_owner: str | None = None,
) -> SeedResult:
    """Write `files` (paths relative to ``custom-content/``) into `site_bucket` as described above."""
    owner = {} if expected_owner is None else {"ExpectedBucketOwner": expected_owner}
    s3 = client("s3")
    existing = existing_objects(site_bucket, CUSTOM_CONTENT_PREFIX, expected_owner=expected_owner)
    result = SeedResult()
    for relative, body in sorted(files.items()):
        key = f"{CUSTOM_CONTENT_PREFIX}{relative}"
        if key in existing and not overwrite:
            result.kept.append(key)
            continue
        if key in existing and _same_content(existing[key], body):
            result.unchanged.append(key)
            continue
        s3.put_object(
            Bucket=site_bucket,
            Key=key,
            Body=body,
            ContentType=content_type(key),
            CacheControl=CACHE_CONTROL,
            **owner,
        )
        result.written.append(key)

    fragments = [key for key in result.written if is_fragment(key)]
    fragments += [
        key for key in existing if is_fragment(key) and key not in fragments and json_key_for(key) not in existing
    ]
    for key in sorted(fragments):
        published = publish_fragment(site_bucket, key, expected_owner=expected_owner)
        (result.rendered if published.written else result.broken).append(published.json_key)

    result.logo_manifest_written = publish_logo_manifest(site_bucket, expected_owner=expected_owner)
    changed = result.written + result.rendered + ([MANIFEST_KEY] if result.logo_manifest_written else [])
    if changed and distribution_id:
        result.invalidation_id = invalidate(distribution_id, changed)
    logger.info("custom content seeded", extra=result.summary())
    return result
