"""Tests of the preview itself share one running preview per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devportal_constructs.preview import Preview, start_preview


@pytest.fixture(scope="module")
def preview() -> Iterator[Preview]:
    running = start_preview(port=0)
    yield running
    running.stop()
