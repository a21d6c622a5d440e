"""SQL functions SQLite lacks, registered on every SQLite connection (see db/session.py).

PostgreSQL has them built in; the query builders pick the right one per dialect.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_HOUR = timedelta(hours=1)
_TICK = timedelta(microseconds=1)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@lru_cache(maxsize=100_000)
def _hour_dates(utc_hour: str, timezone: str) -> tuple[str, int, str] | None:
    """For UTC hour 'YYYY-MM-DD HH': the local date at its start, the minute of the hour
    at which the local date turns (60 if it does not), and the date after; None when
    the zone's offset changes within the hour (each instant is then converted alone)."""
    zone = _zone(timezone)
    if zone is None:
        return None
    start = datetime.fromisoformat(utc_hour + ":00").replace(tzinfo=UTC)
    offset = start.astimezone(zone).utcoffset()
    if offset is None or (start + _HOUR - _TICK).astimezone(zone).utcoffset() != offset:
        return None
    local = (start + offset).replace(tzinfo=None)
    to_midnight = 24 * 60 - (local.hour * 60 + local.minute)
    following = (local + timedelta(minutes=to_midnight)).date().isoformat()
    return local.date().isoformat(), min(to_midnight, 60), following


def local_date(stored: str | None, timezone: str | None) -> str | None:
    """`rolodex_local_date(ts, tz)`: the calendar date ('YYYY-MM-DD') of a stored UTC
    timestamp in time zone `tz`, like PostgreSQL's `(ts AT TIME ZONE tz)::date`.

    A report converts a million rows and most share their UTC hour's offset, so the
    answer is cached per hour; a local date turns on a whole minute, never between."""
    if stored is None or timezone is None:
        return None
    hour = _hour_dates(stored[:13], timezone)
    if hour is not None:
        today, turn, following = hour
        return today if turn == 60 or int(stored[14:16]) < turn else following
    zone = _zone(timezone)
    if zone is None:
        return None
    moment = datetime.fromisoformat(stored).replace(tzinfo=UTC)
    return moment.astimezone(zone).date().isoformat()


# name -> (number of arguments, function); all deterministic, so usable in indexes.
SQLITE_FUNCTIONS: dict[str, tuple[int, Any]] = {
    "rolodex_local_date": (2, local_date),
}
