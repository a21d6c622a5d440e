"""Day ranges: the one convention for "between these days" (docs/api.md, Time).

A day range is two `Date`s, both included, counted in the company's time zone; an
instant is a `DateTime` with its offset. Filters over an instant field by day take
`<field>From` / `<field>To` (`placedFrom`, `occurredFrom`, `dueFrom`); reports take
`from` / `to`. Here a day range becomes the half-open UTC interval the SQL compares.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from resolvers.errors import BadUserInput


def day_start(day: date, timezone: str) -> datetime:
    """The instant (UTC) the day begins in `timezone`."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def day_bounds(
    first: date | None, last: date | None, timezone: str, names: tuple[str, str]
) -> tuple[datetime | None, datetime | None]:
    """[start of `first`, start of the day after `last`) in UTC; either may be open."""
    if first is not None and last is not None and first > last:
        raise BadUserInput(f"`{names[0]}` must not be after `{names[1]}`.")
    low = day_start(first, timezone) if first is not None else None
    high = day_start(last + timedelta(days=1), timezone) if last is not None else None
    return low, high


def narrowest(
    low: datetime | None,
    high: datetime | None,
    other_low: datetime | None,
    other_high: datetime | None,
) -> tuple[datetime | None, datetime | None]:
    """Both intervals at once (a day range beside a deprecated instant range)."""
    lows = [v for v in (low, other_low) if v is not None]
    highs = [v for v in (high, other_high) if v is not None]
    return (max(lows) if lows else None, min(highs) if highs else None)
