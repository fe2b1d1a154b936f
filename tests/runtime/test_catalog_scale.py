"""The O(N) reads of a bulk upload, checked by the benchmark's own counters on moto."""

from __future__ import annotations

import pytest

from bench.catalog import MAX_READS_PER_SPEC, computed_baseline, measure


@pytest.mark.parametrize("batch_size", [10, 100])
def test_a_bulk_upload_reads_each_spec_once_and_little_else(batch_size: int) -> None:
    # Given 100 specs uploaded at once, announced in SQS batches
    # When the updater applies every batch
    result = measure("incremental", 100, batch_size)
    # Then it read each spec once, plus the index, settings and check of each batch, and usage plans once a batch
    batches = 100 // batch_size
    assert result.spec_reads == 100
    assert result.s3_reads == 100 + 3 * batches
    assert result.reads_per_spec <= MAX_READS_PER_SPEC
    assert result.gateway_calls == batches


def test_reads_grow_linearly_where_a_rebuild_per_event_grows_quadratically() -> None:
    # Given the same uploads of 10 and 20 specs to both builders
    small, large = (measure("incremental", size, 100) for size in (10, 20))
    baseline_small, baseline_large = (measure("baseline", size, 100) for size in (10, 20))
    # Then doubling N doubles the incremental reads' spec part but quadruples (about) the baseline's,
    # whose count the benchmark's formula for N = 1000 reproduces
    assert (small.spec_reads, large.spec_reads) == (10, 20)
    assert (baseline_small.spec_reads, baseline_large.spec_reads) == (55, 210)
    assert baseline_large.s3_reads == computed_baseline(20, 0).s3_reads
