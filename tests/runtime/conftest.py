"""Runtime tests: handlers run against moto, with clients and settings rebuilt for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _fresh_clients() -> Iterator[None]:
    from portal_common.aws import reset_clients
    from portal_common.settings import settings

    reset_clients()
    settings.cache_clear()
    yield
    reset_clients()
    settings.cache_clear()
