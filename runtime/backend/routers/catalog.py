"""The published API catalog, readable by anyone."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from botocore.exceptions import ClientError

from portal_common.aws import client
from portal_common.catalog import CATALOG_KEY, empty_catalog
from portal_common.settings import settings

router = APIGatewayRouter()


@router.get("/catalog")
def get_catalog() -> dict[str, Any]:
    try:
        body = client("s3").get_object(Bucket=settings().artifacts_bucket, Key=CATALOG_KEY)["Body"].read()
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return empty_catalog()
        raise
    return json.loads(body)
