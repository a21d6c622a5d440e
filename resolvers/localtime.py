"""Local time: the company's zone, its calendar periods and local dates, in Python and SQL.

Instants are stored as UTC; days, weeks and months are the company's (conventions: a
`Date` range is inclusive, in the company's time zone). PostgreSQL converts with
timezone(); SQLite has no zone database, so its SQL is given the zone's UTC offsets over
the instants a statement can read (`utc_offsets`, `offsets_between`).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Date, case, cast, func, literal
from sqlalchemy.sql.elements import ColumnElement

from db.models import utcnow

if TYPE_CHECKING:
    from resolvers.context import Context
    from resolvers.permissions import Viewer

# A time the client says has passed may run slightly ahead of our clock: phones and
# laptops drift.
CLOCK_SKEW = timedelta(minutes=5)

DAY_SECONDS = 86_400

# Zones with no offset but 0, ever: no bounds needed to convert their times.
UTC_ZONES = frozenset(
    {
        "UTC",
        "Etc/UTC",
        "Etc/UCT",
        "Etc/Universal",
        "Etc/Zulu",
        "UCT",
        "Universal",
        "Zulu",
        "Etc/GMT",
        "Etc/GMT0",
        "Etc/GMT+0",
        "Etc/GMT-0",
        "Etc/Greenwich",
        "GMT",
        "GMT0",
        "GMT+0",
        "GMT-0",
        "Greenwich",
    }
)

Offsets = tuple[tuple[int, int], ...]
NO_OFFSET: Offsets = ((0, 0),)


class Period(enum.StrEnum):
    """A calendar period in the company's zone; weeks start on Monday."""

    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


def company_timezone(context: Context) -> str:
    """The viewer's company's IANA time zone; UTC if the stored name is unknown here."""
    name = context.viewer.company_timezone or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


def local_date(instant: datetime, timezone: str) -> date:
    """The calendar date of an aware instant in `timezone`."""
    return instant.astimezone(ZoneInfo(timezone)).date()


def local_today(timezone: str) -> date:
    return local_date(utcnow(), timezone)


def days_since(moment: datetime | None, timezone: str, today: date | None = None) -> int | None:
    """Whole calendar days between `moment` and today, both in the company's time zone."""
    if moment is None:
        return None
    today = today or local_today(timezone)
    # A moment may be a few minutes ahead (CLOCK_SKEW), never a day.
    return max(0, (today - local_date(moment, timezone)).days)


@lru_cache(maxsize=256)
def utc_offsets(timezone: str, start: int, end: int) -> Offsets:
    """The UTC offsets (seconds) `timezone` uses between epoch seconds `start` and `end`:
    (since, offset) pairs in time order, the first since `start`.

    zoneinfo gives the offset at an instant; a transition is found by checking every
    day and bisecting to the second where the offset turns (transitions fall on whole
    seconds). Two transitions that cancel out within one day would be missed: the tz
    database has none."""
    zone = ZoneInfo(timezone)

    def offset(at: int) -> int:
        shift = datetime.fromtimestamp(at, zone).utcoffset()
        return int(shift.total_seconds()) if shift is not None else 0

    pieces = [(start, offset(start))]
    cursor = start
    while cursor < end:
        step = min(cursor + DAY_SECONDS, end)
        if offset(step) == pieces[-1][1]:
            cursor = step
            continue
        low, high = cursor, step  # offset(low) is the current one, offset(high) is not
        while high - low > 1:
            middle = (low + high) // 2
            if offset(middle) == pieces[-1][1]:
                low = middle
            else:
                high = middle
        pieces.append((high, offset(high)))
        cursor = high
    return tuple(pieces)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


_FIRST_EPOCH = _epoch(datetime(2, 1, 1, tzinfo=UTC))
_LAST_EPOCH = _epoch(datetime(9998, 1, 1, tzinfo=UTC))


def offsets_between(timezone: str, low: datetime, high: datetime) -> Offsets:
    """The zone's offsets over [low, high], widened to whole UTC days so that a day's
    statements share one computation, and kept within the years zoneinfo converts in every
    zone (the first offset holds before the start)."""
    if timezone in UTC_ZONES:
        return NO_OFFSET
    start = max(_epoch(low) // DAY_SECONDS * DAY_SECONDS, _FIRST_EPOCH)
    end = min((_epoch(high) // DAY_SECONDS + 1) * DAY_SECONDS, _LAST_EPOCH)
    return utc_offsets(timezone, start, end)


def sqlite_period(
    period: Period, moment: Any, offsets: Sequence[tuple[int, int]]
) -> ColumnElement[Any]:
    """SQLite SQL for the local date starting `period` (weeks start on Monday), given the
    zone's UTC offsets over every instant the statement can see (utc_offsets).

    Stored times are naive UTC text ('YYYY-MM-DD HH:MM:SS.ffffff'). At offset 0 the
    local date is a prefix of that text; otherwise SQLite's date() shifts it by the
    offset, a CASE choosing among the offsets in force within the range when the zone
    changes offset there. date() rounds fractions to milliseconds, so 23:59:59.9999
    would become the next day: the fraction is cut first (offsets are whole seconds)."""
    if len(offsets) == 1 and offsets[0][1] == 0:
        if period == Period.DAY:
            return func.substr(moment, 1, 10)
        if period == Period.MONTH:
            return func.substr(moment, 1, 7).concat("-01")
        return func.date(func.substr(moment, 1, 10), "weekday 0", "-6 days")
    shift: Any = literal(f"{offsets[0][1]:+d} seconds")
    if len(offsets) > 1:
        # Latest first: `moment` is at or after the start of the first arm that holds.
        shift = case(
            *[
                (moment >= datetime.fromtimestamp(since, UTC), f"{seconds:+d} seconds")
                for since, seconds in reversed(offsets[1:])
            ],
            else_=shift,
        )
    modifiers: tuple[Any, ...] = (shift,)
    if period == Period.WEEK:
        # 'weekday 0' moves to the coming Sunday (or stays), six days back is Monday.
        modifiers += ("weekday 0", "-6 days")
    elif period == Period.MONTH:
        modifiers += ("start of month",)
    return func.date(func.substr(moment, 1, 19), *modifiers)


def period_start(period: Period, moment: Any, timezone: Any) -> ColumnElement[Any]:
    """PostgreSQL SQL for the local date starting `period` (weeks start on Monday);
    `timezone` may be a column."""
    local = func.timezone(timezone, moment)
    if period == Period.DAY:
        return cast(local, Date())
    return cast(func.date_trunc(period.value.lower(), local), Date())


def local_day(
    dialect: str, instant: Any, timezone: Any, offsets: Sequence[tuple[int, int]] = NO_OFFSET
) -> ColumnElement[Any]:
    """SQL for the calendar day of a stored UTC instant in `timezone`: PostgreSQL
    converts (`timezone` may be a column); SQLite needs the zone's UTC `offsets` over every
    instant the statement reads."""
    if dialect == "postgresql":
        return period_start(Period.DAY, instant, timezone)
    return sqlite_period(Period.DAY, instant, offsets)


def company_today(viewer: Viewer) -> date:
    """Today's date in the viewer's company's zone."""
    return local_today(viewer.company_timezone)


def day_start(day: date, timezone: str) -> datetime:
    """The instant a calendar day starts in the company's time zone."""
    return datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(timezone))
