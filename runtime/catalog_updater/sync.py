"""Keep shown stages in step with API Gateway: export them again when they are redeployed."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from portal_common.catalog import CatalogIndex, managed_stage, stage_key
from portal_common.gateway import export_stage, publish_export, sha256

logger = Logger(child=True)


def sync(index: CatalogIndex, targets: list[tuple[str, str | None]]) -> list[str]:
    """Export again the shown stages `targets` names (all when empty); return the keys rewritten.

    Only stages the portal itself exported are touched, so a hand-written spec is never overwritten. An
    export identical to the stored one is not written, so it costs no catalog build.
    """
    rewritten = []
    for key, record in sorted(index.records.items()):
        stage = managed_stage(key)
        if stage is None or not record.sha256 or key != stage_key(*stage):
            continue
        if targets and not any(api == stage[0] and name in (None, stage[1]) for api, name in targets):
            continue
        try:
            body = export_stage(*stage)
        except ClientError as error:
            logger.warning("could not export a shown stage", extra={"key": key, "error": str(error)})
            continue
        if sha256(body) != record.sha256:
            rewritten.append(publish_export(stage[0], stage[1], body))
    return rewritten
