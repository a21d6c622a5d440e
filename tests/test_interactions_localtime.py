"""rolodex_local_date, SQLite's stand-in for PostgreSQL's `(ts AT TIME ZONE tz)::date`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from db.sqlfunctions import local_date

# DST at whole hours, half-hour DST (Lord Howe), :30 and :45 offsets, the date line.
ZONES = [
    "UTC",
    "America/Los_Angeles",
    "America/St_Johns",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "Pacific/Kiritimati",
]


def stored(moment: datetime) -> str:
    """How SQLAlchemy stores a UTC datetime in SQLite."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def test_matches_zoneinfo_every_17_minutes_for_a_year_in_awkward_zones():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for name in ZONES:
        zone = ZoneInfo(name)
        moment = start
        while moment < start + timedelta(days=366):
            expected = moment.astimezone(zone).date().isoformat()
            assert local_date(stored(moment), name) == expected, (name, moment)
            moment += timedelta(minutes=17)


def test_edges_of_a_local_day():
    # 2026-03-08 is the US spring-forward day: 07:59:59 UTC is still 7 March, 23:59:59 PST.
    assert local_date("2026-03-08 07:59:59.999999", "America/Los_Angeles") == "2026-03-07"
    assert local_date("2026-03-08 08:00:00.000000", "America/Los_Angeles") == "2026-03-08"
    # Kathmandu is UTC+5:45: its midnight falls at 18:15 UTC.
    assert local_date("2026-06-01 18:14:59.999999", "Asia/Kathmandu") == "2026-06-01"
    assert local_date("2026-06-01 18:15:00.000000", "Asia/Kathmandu") == "2026-06-02"
    assert local_date(None, "UTC") is None
    assert local_date("2026-06-01 12:00:00.000000", "Not/AZone") is None
