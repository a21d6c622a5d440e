"""Customer stats read from the denormalised columns: engagement and the average order."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, literal
from sqlalchemy.sql.elements import ColumnElement

from db.enums import Engagement
from db.models import Customer

ENGAGED_WITHIN_DAYS = 365


def engagement_cutoff(timezone: str) -> datetime:
    """Orders placed at or after this instant make a customer ENGAGED: 365 days before
    the start of today in the company's time zone."""
    today = datetime.now(ZoneInfo(timezone)).date()
    start = datetime.combine(today - timedelta(days=ENGAGED_WITHIN_DAYS), time.min)
    return start.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def engagement_of(last_order_at: datetime | None, cutoff: datetime) -> Engagement:
    if last_order_at is None:
        return Engagement.NEVER_ORDERED
    return Engagement.ENGAGED if last_order_at >= cutoff else Engagement.LAPSED


def average_order_cents(total_cents: int, order_count: int) -> int | None:
    """Average order total in whole cents, half up; None without orders."""
    if order_count <= 0:
        return None
    return (total_cents * 2 + order_count) // (order_count * 2)


# The same rounding in SQL, so sorting by average agrees with the values shown.
AVERAGE_ORDER_CENTS: ColumnElement[int] = case(
    (
        Customer.order_count > 0,
        (Customer.total_sales_cents * 2 + Customer.order_count) // (Customer.order_count * 2),
    ),
    else_=literal(0),
)


__all__ = [
    "AVERAGE_ORDER_CENTS",
    "ENGAGED_WITHIN_DAYS",
    "average_order_cents",
    "engagement_cutoff",
    "engagement_of",
]
