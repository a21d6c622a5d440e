"""SQLite's local periods of the interactions report, against zoneinfo.

PostgreSQL converts with `(ts AT TIME ZONE tz)`; on SQLite the report shifts the stored
UTC text by the zone's offsets in force within the range (resolvers.localtime.
utc_offsets, sqlite_period), then takes date() of it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select

from db.models import UTCDateTime
from resolvers.localtime import Period, sqlite_period, utc_offsets

# DST at whole hours, half-hour DST (Lord Howe), :30 and :45 offsets, the date line,
# a zone that skipped a whole day (Apia, end of 2011) and a fixed one.
ZONES = [
    "UTC",
    "America/Los_Angeles",
    "America/St_Johns",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "Pacific/Kiritimati",
    "Pacific/Apia",
    "Asia/Kolkata",
]


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def expected(moment: datetime, zone: ZoneInfo, group: Period) -> str:
    local = moment.astimezone(zone).date()
    if group == Period.WEEK:
        local -= timedelta(days=local.weekday())
    elif group == Period.MONTH:
        local = local.replace(day=1)
    return local.isoformat()


def periods(moments: list[datetime], zone: str, group: Period) -> list[str]:
    """The report's period expression run by SQLite over `moments` stored as the app stores them."""
    engine = create_engine("sqlite://")
    table = Table(
        "t",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime(), nullable=False),
    )
    table.metadata.create_all(engine)
    offsets = utc_offsets(zone, epoch(min(moments)) // 86_400 * 86_400, epoch(max(moments)) + 1)
    with engine.begin() as connection:
        connection.execute(insert(table), [{"at": moment} for moment in moments])
        statement = select(sqlite_period(group, table.c.at, offsets)).order_by(table.c.id)
        return list(connection.scalars(statement))


def test_matches_zoneinfo_every_17_minutes_for_two_years_in_awkward_zones():
    start = datetime(2025, 6, 1, 0, 0, 59, 999_999, tzinfo=UTC)
    moments = []
    moment = start
    while moment < start + timedelta(days=2 * 366):
        moments.append(moment)
        moment += timedelta(minutes=17)
    for name in ZONES:
        zone = ZoneInfo(name)
        for group in (Period.DAY, Period.WEEK, Period.MONTH):
            got = periods(moments, name, group)
            wrong = [
                (m, g) for m, g in zip(moments, got, strict=True) if g != expected(m, zone, group)
            ]
            assert not wrong, (name, group, wrong[:3])


def test_edges_of_a_local_day():
    day = Period.DAY
    # 2026-03-08 is the US spring-forward day: 07:59:59 UTC is still 7 March, 23:59:59 PST.
    la = [datetime(2026, 3, 8, 7, 59, 59, 999_999, tzinfo=UTC), datetime(2026, 3, 8, 8, tzinfo=UTC)]
    assert periods(la, "America/Los_Angeles", day) == ["2026-03-07", "2026-03-08"]
    # Kathmandu is UTC+5:45: its midnight falls at 18:15 UTC.
    ktm = [
        datetime(2026, 6, 1, 18, 14, 59, 999_999, tzinfo=UTC),
        datetime(2026, 6, 1, 18, 15, tzinfo=UTC),
    ]
    assert periods(ktm, "Asia/Kathmandu", day) == ["2026-06-01", "2026-06-02"]
    # Apia skipped 30 December 2011: 29 December 23:59:59 local was followed by 31 December.
    apia = [
        datetime(2011, 12, 30, 9, 59, 59, 999_999, tzinfo=UTC),
        datetime(2011, 12, 30, 10, tzinfo=UTC),
    ]
    assert periods(apia, "Pacific/Apia", day) == ["2011-12-29", "2011-12-31"]
    # UTC: the last microsecond of a day and of a month stay in them.
    utc = [datetime(2026, 1, 31, 23, 59, 59, 999_999, tzinfo=UTC)]
    assert periods(utc, "UTC", day) == ["2026-01-31"]
    assert periods(utc, "UTC", Period.MONTH) == ["2026-01-01"]
    assert periods(utc, "UTC", Period.WEEK) == ["2026-01-26"]


def test_offsets_over_a_year_are_a_handful():
    year = (epoch(datetime(2026, 1, 1, tzinfo=UTC)), epoch(datetime(2027, 1, 1, tzinfo=UTC)))
    assert utc_offsets("UTC", *year) == ((year[0], 0),)
    assert utc_offsets("Asia/Kolkata", *year) == ((year[0], 19_800),)
    # US DST 2026: 8 March 10:00 UTC (02:00 PST) to 1 November 09:00 UTC (02:00 PDT).
    assert utc_offsets("America/Los_Angeles", *year) == (
        (year[0], -28_800),
        (epoch(datetime(2026, 3, 8, 10, tzinfo=UTC)), -25_200),
        (epoch(datetime(2026, 11, 1, 9, tzinfo=UTC)), -28_800),
    )
