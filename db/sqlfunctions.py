"""SQL functions SQLite lacks, registered on every SQLite connection (see db/session.py).

PostgreSQL has them built in; the query builders pick the right one per dialect.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_date(stored: str | None, timezone: str | None) -> str | None:
    """`rolodex_local_date(ts, tz)`: the calendar date ('YYYY-MM-DD') of a stored UTC
    timestamp in time zone `tz`, like PostgreSQL's `(ts AT TIME ZONE tz)::date`."""
    if stored is None or timezone is None:
        return None
    moment = datetime.fromisoformat(stored).replace(tzinfo=UTC)
    try:
        zone = _zone(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return moment.astimezone(zone).date().isoformat()


# name -> (number of arguments, function); all deterministic, so usable in indexes.
SQLITE_FUNCTIONS: dict[str, tuple[int, Any]] = {
    "rolodex_local_date": (2, local_date),
}
