"""The incremental catalog build: apply a batch of changed source files to the index, then publish.

Each source file has one record in ``catalog-index.json``. A batch reads the index once, reads only the files
that changed (each once, however many events named it), reads the usage plans once, and publishes
``catalog.json``, ``catalog-status.json`` and the changed specs from the index alone. A bulk upload of N files
in batches of B therefore costs about N + 3N/B reads, where a rebuild per event would cost N²/2.

Several batches may run at once: the index is committed with a conditional write (``If-Match``), a batch that
loses the race re-reads the index and applies its changes again (without reading its files again), and the
last writer of ``catalog.json`` checks that no newer index was committed meanwhile.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from portal_common.aws import client, is_missing_object
from portal_common.catalog import (
    CATALOG_KEY,
    CATALOG_PREFIX,
    DOCS_SUFFIX,
    INDEX_KEY,
    STATUS_KEY,
    ApiEntry,
    Catalog,
    CatalogIndex,
    CatalogSettings,
    CatalogStatus,
    FileStatus,
    IndexRecord,
    UsagePlan,
    is_docs_key,
    is_source_key,
    load_settings,
    logo_path,
    managed_stage,
    source_id,
    source_kind,
    spec_key,
    write_json,
)
from portal_common.clock import now
from portal_common.gateway import EXPORT_ORIGIN, UsagePlans, sha256, usage_plans
from portal_common.settings import settings
from portal_common.specs import LoadedSpec, SpecError, load_spec

logger = Logger(child=True)
MAX_ATTEMPTS = 8
LIST_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Change:
    """One source file that was created or removed, as an S3 event (or a rebuild's listing) names it."""

    key: str
    removed: bool = False
    sequencer: str = ""
    etag: str = ""


@dataclass
class _Read:
    body: bytes | None
    etag: str = ""
    origin: str = ""
    loaded: LoadedSpec | None = None
    error: str | None = None


@dataclass
class BuildResult:
    specs_read: int = 0
    attempts: int = 0
    published: int = 0
    invalid: int = 0
    changed: list[str] = field(default_factory=list)


def sequencer_order(sequencer: str, width: int = 32) -> str:
    """S3 sequencers compare as hex strings after right-padding the shorter with zeros."""
    return sequencer.upper().ljust(width, "0")


def _later(candidate: str, than: str) -> bool:
    width = max(len(candidate), len(than))
    return sequencer_order(candidate, width) > sequencer_order(than, width)


def collapse(changes: Iterable[Change]) -> dict[str, Change]:
    """The last change of each key: the one with the greatest sequencer, or the last listed without one."""
    latest: dict[str, Change] = {}
    for change in changes:
        current = latest.get(change.key)
        if current is None or not change.sequencer or not _later(current.sequencer, change.sequencer):
            latest[change.key] = change
    return latest


class Builder:
    """One invocation's build. Reads are cached, so a retry after a lost race reads no file twice."""

    def __init__(self) -> None:
        self.bucket = settings().artifacts_bucket
        self.s3 = client("s3")
        self._reads: dict[str, _Read] = {}
        self._plans: UsagePlans | None = None
        self.result = BuildResult()

    # --- the index ---------------------------------------------------------------------------------------

    def read_index(self) -> tuple[CatalogIndex, str | None]:
        try:
            response = self.s3.get_object(Bucket=self.bucket, Key=INDEX_KEY)
        except ClientError as error:
            if is_missing_object(error):
                return CatalogIndex(), None
            raise
        return CatalogIndex.model_validate_json(response["Body"].read()), response["ETag"]

    def commit_index(self, index: CatalogIndex, etag: str | None) -> str | None:
        """Write the index if nobody else did since we read it; its new ETag, or None when we lost."""
        condition = {"IfNoneMatch": "*"} if etag is None else {"IfMatch": etag}
        try:
            return write_json(INDEX_KEY, index, **condition)["ETag"]
        except ClientError as error:
            if error.response["Error"]["Code"] in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                return None
            raise

    # --- the files ---------------------------------------------------------------------------------------

    def _read(self, key: str) -> _Read:
        if key in self._reads:
            return self._reads[key]
        try:
            response = self.s3.get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if not is_missing_object(error):
                raise
            read = _Read(body=None)
        else:
            body = response["Body"].read()
            read = _Read(
                body=body,
                etag=response["ETag"],
                origin=(response.get("Metadata") or {}).get("devportal-origin", ""),
            )
            try:
                read.loaded = load_spec(key, body, managed=managed_stage(key) is not None)
            except SpecError as error:
                read.error = str(error)
        self.result.specs_read += 1
        self._reads[key] = read
        return read

    def _record(self, key: str, read: _Read, sequencer: str, previous: IndexRecord | None) -> IndexRecord:
        assert read.body is not None
        if read.loaded is None and previous is not None and previous.summary is not None:
            # A broken new version must not take a working API away: keep publishing the last valid one.
            return previous.model_copy(
                update={
                    "etag": read.etag,
                    "sequencer": sequencer,
                    "error": f"{read.error} Until it is fixed, the portal keeps its last valid version.",
                    "updatedAt": now(),
                }
            )
        return IndexRecord(
            key=key,
            id=source_id(key),
            kind=source_kind(key),
            etag=read.etag,
            sequencer=sequencer,
            size=len(read.body),
            sha256=sha256(read.body) if read.origin == EXPORT_ORIGIN else "",
            error=read.error,
            summary=read.loaded.summary if read.loaded else None,
            updatedAt=now(),
        )

    # --- one batch -----------------------------------------------------------------------------------------

    def apply(self, index: CatalogIndex, changes: dict[str, Change]) -> set[str]:
        """Apply the changes to the index; return the ids whose published spec may have changed."""
        touched: set[str] = set()
        for key, change in sorted(changes.items()):
            if key.endswith(DOCS_SUFFIX):
                if is_docs_key(key):
                    self._apply_docs(index, key, change)
                continue
            if not is_source_key(key):
                continue
            record = index.records.get(key)
            stale = record is not None and change.sequencer and record.sequencer
            if stale and not _later(change.sequencer, record.sequencer):  # type: ignore[union-attr]
                continue  # a duplicate or an older event than the one already applied
            if change.removed:
                if index.records.pop(key, None) is not None:
                    touched.add(source_id(key))
                continue
            if record is not None and change.etag and record.etag.strip('"') == change.etag.strip('"'):
                record.sequencer = change.sequencer or record.sequencer
                continue  # the same content again
            read = self._read(key)
            if read.body is None:
                if index.records.pop(key, None) is not None:
                    touched.add(source_id(key))
                continue
            index.records[key] = self._record(key, read, change.sequencer, record)
            touched.add(source_id(key))
        return touched

    @staticmethod
    def _apply_docs(index: CatalogIndex, key: str, change: Change) -> None:
        api = source_id(key)
        docs = set(index.docs)
        if change.removed:
            docs.discard(api)
        else:
            docs.add(api)
        index.docs = sorted(docs)

    def serve_specs(self, index: CatalogIndex, touched: set[str], before: dict[str, str]) -> None:
        """Write the spec of every touched id whose winning file changed; remove it when no file is left.

        `before` maps each id to the file that won before this batch, whose spec is already served.
        """
        pending = set(touched)
        while pending:
            api = pending.pop()
            winner = winners(index).get(api)
            if winner is None:
                self.s3.delete_object(Bucket=self.bucket, Key=spec_key(api))
                continue
            if index.records[winner].error:
                continue  # a broken new version: the last valid one stays served
            if winner == before.get(api) and winner not in self._reads:
                continue
            read = self._read(winner)
            if read.loaded is None:  # it changed since the index recorded it: record what it is now
                if read.body is None:
                    index.records.pop(winner, None)
                else:
                    previous = index.records[winner]
                    index.records[winner] = self._record(winner, read, previous.sequencer, previous)
                pending.add(api)
                continue
            self.s3.put_object(
                Bucket=self.bucket,
                Key=spec_key(api),
                Body=json.dumps(read.loaded.document, separators=(",", ":"), ensure_ascii=False).encode(),
                ContentType="application/json",
            )

    # --- publishing ----------------------------------------------------------------------------------------

    def plans(self) -> UsagePlans:
        if self._plans is None:
            self._plans = usage_plans()
        return self._plans

    def derive(self, index: CatalogIndex, choices: CatalogSettings) -> tuple[Catalog, CatalogStatus]:
        plans = self.plans()
        generated = now()
        catalog = Catalog(generatedAt=generated)
        status = CatalogStatus(generatedAt=generated)
        winners: dict[str, str] = {}
        for record in sorted(index.records.values(), key=lambda item: item.key):
            if record.summary is None:
                continue
            if record.id in winners:
                continue
            winners[record.id] = record.key
            stage = managed_stage(record.key)
            entry = ApiEntry(
                **record.summary.model_dump(),
                id=record.id,
                kind=record.kind,
                apiId=stage[0] if stage else None,
                stage=stage[1] if stage else None,
                plans=plans.by_stage.get(record.id, []) if stage else [],
                logo=logo_path(record.id),
                sdkGeneration=bool(stage) and choices.sdkGeneration.get(record.id, False),
                hasDocs=record.id in index.docs,
                spec=f"catalog/{record.id}/spec",
                source=record.key,
                updatedAt=record.updatedAt,
            )
            (catalog.apis if stage else catalog.generic).append(entry)
        for record in sorted(index.records.values(), key=lambda item: item.key):
            if record.summary is None or record.error:
                state, error = "invalid", record.error
            elif winners[record.id] == record.key:
                state, error = "published", None
            else:
                state = "duplicate"
                error = (
                    f"{record.key} describes the same API ({record.id}) as {winners[record.id]}, which is "
                    "published; delete one of the two files."
                )
            status.files.append(
                FileStatus(
                    key=record.key,
                    id=record.id,
                    kind=record.kind,
                    state=state,
                    error=error,
                    title=record.summary.title if record.summary else None,
                    size=record.size,
                    updatedAt=record.updatedAt,
                )
            )
        status.published = len(winners)
        status.invalid = sum(1 for file in status.files if file.state != "published")
        for entries in (catalog.apis, catalog.generic):
            entries.sort(key=lambda entry: (entry.title.lower(), entry.id))
        for tier in plans.plans:
            apis = sorted(entry.id for entry in catalog.apis if any(plan.id == tier.id for plan in entry.plans))
            if apis:
                catalog.usagePlans.append(UsagePlan(**tier.model_dump(), apis=apis))
        return catalog, status

    def publish(self, index: CatalogIndex, committed: str | None) -> None:
        """Write catalog.json and the status from `index`, then make sure no newer index was committed."""
        while True:
            catalog, status = self.derive(index, load_settings())
            write_json(CATALOG_KEY, catalog)
            write_json(STATUS_KEY, status)
            self.result.published, self.result.invalid = status.published, status.invalid
            if committed is None:
                return
            head = self.s3.head_object(Bucket=self.bucket, Key=INDEX_KEY)
            if head["ETag"] == committed:
                return
            index, committed = self.read_index()

    def run(self, changes: Iterable[Change], *, rebuild: bool = False) -> BuildResult:
        latest = collapse(changes)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            self.result.attempts = attempt
            index, etag = self.read_index()
            unchanged = index.model_dump_json()
            before = winners(index)
            work = self._reconcile(index, latest) if rebuild else latest
            touched = self.apply(index, work)
            self.serve_specs(index, touched, before)
            committed = etag
            if index.model_dump_json() != unchanged:
                committed = self.commit_index(index, etag)
                if committed is None:
                    logger.info("another build committed the index first; applying the batch again")
                    continue
            self.publish(index, committed)
            self.result.changed = sorted(touched)
            return self.result
        raise RuntimeError(
            f"The catalog index changed {MAX_ATTEMPTS} times while this batch was applied; the batch will be retried."
        )

    def _reconcile(self, index: CatalogIndex, work: dict[str, Change]) -> dict[str, Change]:
        """Changes that make the index match the bucket: listed files that differ, and records not listed."""
        listed: dict[str, str] = {}
        paginator = self.s3.get_paginator("list_objects_v2")
        pages = paginator.paginate(
            Bucket=self.bucket, Prefix=CATALOG_PREFIX, PaginationConfig={"PageSize": LIST_PAGE_SIZE}
        )
        for page in pages:
            for item in page.get("Contents", []):
                listed[item["Key"]] = item["ETag"]
        result = dict(work)
        for key, etag in listed.items():
            if is_docs_key(key) and source_id(key) not in index.docs:
                result[key] = Change(key=key)
            elif is_source_key(key):
                record = index.records.get(key)
                if record is None or record.etag.strip('"') != etag.strip('"'):
                    result[key] = Change(key=key, etag="")
        for key in index.records:
            if key not in listed:
                result[key] = Change(key=key, removed=True)
        listed_docs = {source_id(key) for key in listed if is_docs_key(key)}
        for api in set(index.docs) - listed_docs:
            docs_key = f"{CATALOG_PREFIX}{api}{DOCS_SUFFIX}"
            result[docs_key] = Change(key=docs_key, removed=True)
        return result


def winners(index: CatalogIndex) -> dict[str, str]:
    """For each id, the file published for it: the first valid one in key order (json before yaml)."""
    result: dict[str, str] = {}
    for key in sorted(index.records):
        record = index.records[key]
        if record.summary is not None:
            result.setdefault(record.id, key)
    return result


def build(changes: Iterable[Change], *, rebuild: bool = False) -> BuildResult:
    return Builder().run(changes, rebuild=rebuild)
