"""The portal's clock: the times it writes on records, and the days it reports usage for."""

from __future__ import annotations

from datetime import UTC, date, datetime


def now() -> str:
    """The current UTC time to the second, as records show it: ``2026-03-01T12:00:00+00:00``."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def precise_now() -> str:
    return timestamp(datetime.now(UTC))


def timestamp(moment: datetime) -> str:
    """A fixed-width UTC time to the microsecond, so that two of them compare as strings in time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    """An ISO 8601 time, ``Z`` or offset; one without a zone is taken as UTC."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def today() -> date:
    return datetime.now(UTC).date()
