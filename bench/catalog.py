"""Benchmark: what a bulk upload of N specs costs the catalog updater, against a rebuild per event.

    python bench/catalog.py                      # N = 10, 100, 1000; a few minutes on a laptop
    python bench/catalog.py --sizes 10 100 --batch-size 10

Both builders run in-process against moto (``mock_aws``). The S3 and API Gateway calls each makes are
counted by botocore event hooks on the clients the updater uses, so the figures are calls, not estimates.

- **incremental** is the portal's updater: S3 events in SQS batches of ``--batch-size`` (the deployed
  construct uses 100), each batch reading the index, the settings and only the files it names.
- **baseline** is the original portal's design: every event lists the bucket and reads every spec again.
  At N = 1000 that is half a million reads, so unless ``--measure-baseline`` is given its count is
  computed from the formula the smaller sizes measure, N(N+1)/2 spec reads plus one listing per event,
  and marked "computed".

The run fails (exit 1) if the incremental updater needs more than 2 reads per spec for any size.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "runtime"), str(ROOT)]

BUCKET = "bench-artifacts"
READS = ("GetObject", "HeadObject", "ListObjectsV2")
MAX_READS_PER_SPEC = 2.0
DEFAULT_SIZES = (10, 100, 1000)
LIST_PAGE = 1000


@dataclass
class Measure:
    approach: str
    size: int
    s3_reads: int
    spec_reads: int
    s3_writes: int
    gateway_calls: int
    seconds: float
    computed: bool = False

    @property
    def reads_per_spec(self) -> float:
        return self.s3_reads / self.size


class Calls:
    """Counts the API calls the updater's cached clients make, by service and operation."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.spec_reads = 0

    def attach(self) -> None:
        from portal_common.aws import client

        for service in ("s3", "apigateway"):
            client(service).meta.events.register(f"before-call.{service}", self._count)
        client("s3").meta.events.register("provide-client-params.s3.GetObject", self._count_spec)

    def _count(self, model: Any, **_: Any) -> None:
        self.counts[(model.service_model.service_name, model.name)] += 1

    def _count_spec(self, params: dict[str, Any], **_: Any) -> None:
        if params.get("Key", "").startswith("catalog/"):
            self.spec_reads += 1

    def s3(self, operations: tuple[str, ...]) -> int:
        return sum(count for (service, name), count in self.counts.items() if service == "s3" and name in operations)

    def s3_writes(self) -> int:
        return sum(
            count
            for (service, name), count in self.counts.items()
            if service == "s3" and name in ("PutObject", "DeleteObject")
        )

    def gateway(self) -> int:
        return sum(count for (service, _), count in self.counts.items() if service == "apigateway")


@contextmanager
def emulation() -> Iterator[dict[str, Any]]:
    """A fresh moto account with the bucket, one deployed stage and three usage plans that include it."""
    saved = dict(os.environ)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "ARTIFACTS_BUCKET": BUCKET,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_NAMESPACE": "DevPortalBench",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )
    import boto3
    from moto import mock_aws

    from portal_common.aws import reset_clients
    from portal_common.settings import settings

    with mock_aws():
        reset_clients()
        settings.cache_clear()
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        gateway = boto3.client("apigateway", region_name="us-east-1")
        api_id = gateway.create_rest_api(name="bench")["id"]
        root = gateway.get_resources(restApiId=api_id)["items"][0]["id"]
        gateway.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
        gateway.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
        gateway.create_deployment(restApiId=api_id, stageName="prod")
        for tier in ("Free", "Team", "Enterprise"):
            gateway.create_usage_plan(name=tier, apiStages=[{"apiId": api_id, "stage": "prod"}])
        try:
            yield {"s3": s3, "api_id": api_id}
        finally:
            reset_clients()
            settings.cache_clear()
            os.environ.clear()
            os.environ.update(saved)


def spec(number: int) -> bytes:
    return json.dumps(
        {
            "openapi": "3.0.3",
            "info": {"title": f"API {number}", "version": "1.0.0", "description": "A benchmark API."},
            "paths": {
                f"/things{number}": {"get": {"responses": {"200": {"description": "ok"}}}},
                f"/things{number}/{{id}}": {
                    "get": {
                        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                        "responses": {"200": {"description": "ok"}, "404": {"description": "missing"}},
                    }
                },
            },
        }
    ).encode()


def upload_one(env: dict[str, Any], number: int) -> list[dict[str, Any]]:
    """Put spec `number` (the first is a managed stage) with an uncounted client; return its S3 event."""
    key = f"catalog/{env['api_id']}_prod.json" if number == 0 else f"catalog/bulk/api-{number:05}.json"
    response = env["s3"].put_object(Bucket=BUCKET, Key=key, Body=spec(number))
    return [
        {
            "eventSource": "aws:s3",
            "eventName": "ObjectCreated:Put",
            "s3": {"object": {"key": key, "eTag": response["ETag"].strip('"'), "sequencer": f"{number + 1:016X}"}},
        }
    ]


def upload(env: dict[str, Any], size: int) -> list[dict[str, Any]]:
    return [record for number in range(size) for record in upload_one(env, number)]


@dataclass(frozen=True)
class BenchContext:
    """The Lambda context Powertools reads."""

    function_name: str = "bench-catalog-updater"
    memory_limit_in_mb: int = 1024
    aws_request_id: str = "bench"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:bench-catalog-updater"


def incremental(records: list[dict[str, Any]], batch_size: int) -> None:
    from catalog_updater.handler import lambda_handler

    context = BenchContext()
    for start in range(0, len(records), batch_size):
        batch = records[start : start + batch_size]
        event = {
            "Records": [
                {"eventSource": "aws:sqs", "messageId": str(index), "body": json.dumps({"Records": [item]})}
                for index, item in enumerate(batch)
            ]
        }
        lambda_handler(event, context)


def rebuild_per_event(_records: list[dict[str, Any]]) -> None:
    """The original updater's algorithm: each event lists the bucket, reads every spec, and publishes."""
    from portal_common.aws import client
    from portal_common.gateway import usage_plans
    from portal_common.specs import SpecError, load_spec

    s3 = client("s3")
    for _event in _records:
        plans = usage_plans()
        entries = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="catalog/"):
            for item in page.get("Contents", []):
                body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
                try:
                    entries.append(load_spec(item["Key"], body).summary.model_dump())
                except SpecError:
                    continue
        s3.put_object(Bucket=BUCKET, Key="catalog.json", Body=json.dumps({"apis": entries, "plans": len(plans.plans)}))


def measure(approach: str, size: int, batch_size: int) -> Measure:
    """Upload `size` specs and count what building the catalog costs.

    The incremental updater gets the events in batches once the upload is done, as SQS would gather them.
    The baseline rebuilds after each upload, as the original did on each S3 event, so event i finds i files.
    """
    with emulation() as env:
        calls = Calls()
        calls.attach()
        started = time.perf_counter()
        if approach == "incremental":
            records = upload(env, size)
            started = time.perf_counter()
            incremental(records, batch_size)
        else:
            for number in range(size):
                rebuild_per_event(upload_one(env, number))
        elapsed = time.perf_counter() - started
    return Measure(
        approach=approach,
        size=size,
        s3_reads=calls.s3(READS),
        spec_reads=calls.spec_reads,
        s3_writes=calls.s3_writes(),
        gateway_calls=calls.gateway(),
        seconds=elapsed,
    )


def computed_baseline(size: int, per_event_seconds: float) -> Measure:
    """The baseline's count from its formula, which the measured sizes confirm."""
    spec_reads = size * (size + 1) // 2
    listings = sum(math.ceil(index / LIST_PAGE) for index in range(1, size + 1))
    return Measure(
        approach="baseline",
        size=size,
        s3_reads=spec_reads + listings,
        spec_reads=spec_reads,
        s3_writes=size,
        gateway_calls=size,
        seconds=per_event_seconds * spec_reads,
        computed=True,
    )


def run(sizes: list[int], batch_size: int, measure_baseline: bool, out: Any = sys.stdout) -> list[Measure]:
    results: list[Measure] = []
    seconds_per_read = 0.0
    for size in sizes:
        results.append(measure("incremental", size, batch_size))
        if size <= 100 or measure_baseline:
            measured = measure("baseline", size, batch_size)
            seconds_per_read = measured.seconds / max(measured.spec_reads, 1)
            expected = computed_baseline(size, seconds_per_read)
            if measured.s3_reads != expected.s3_reads:
                print(f"note: the baseline formula predicts {expected.s3_reads} reads at N={size}", file=out)
            results.append(measured)
        else:
            results.append(computed_baseline(size, seconds_per_read))
    return results


def table(results: list[Measure], batch_size: int) -> str:
    lines = [
        f"Catalog updater, bulk upload of N specs (incremental: SQS batches of {batch_size}).",
        "",
        f"{'N':>6}  {'approach':<12} {'S3 reads':>10} {'reads/spec':>10} {'spec reads':>10} "
        f"{'S3 writes':>9} {'API GW calls':>12} {'wall time':>10}",
    ]
    for item in results:
        wall = f"{item.seconds:>9.1f}s" if item.seconds else f"{'-':>10}"
        if item.computed and item.seconds:
            wall = f"~{item.seconds:>8.0f}s"
        mark = " (computed)" if item.computed else ""
        lines.append(
            f"{item.size:>6}  {item.approach:<12} {item.s3_reads:>10,} {item.reads_per_spec:>10.2f} "
            f"{item.spec_reads:>10,} {item.s3_writes:>9,} {item.gateway_calls:>12,} {wall}{mark}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="numbers of specs")
    parser.add_argument("--batch-size", type=int, default=100, help="SQS batch size (the construct uses 100)")
    parser.add_argument("--measure-baseline", action="store_true", help="also measure the baseline above N=100")
    parser.add_argument("--json", action="store_true", help="print the measures as JSON")
    args = parser.parse_args(argv)
    results = run(args.sizes, args.batch_size, args.measure_baseline)
    if args.json:
        print(json.dumps([{**vars(item), "readsPerSpec": item.reads_per_spec} for item in results], indent=2))
    else:
        print(table(results, args.batch_size))
    worst = max(item.reads_per_spec for item in results if item.approach == "incremental")
    if worst > MAX_READS_PER_SPEC:
        print(f"FAIL: the incremental updater needed {worst:.2f} reads per spec (at most {MAX_READS_PER_SPEC}).")
        return 1
    print(f"\nOK: the incremental updater needs at most {worst:.2f} S3 reads per spec (limit {MAX_READS_PER_SPEC}).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
