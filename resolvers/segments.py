"""The customer list's segments (issue 18): unassigned customers, those not contacted
since a day, those with overdue follow-ups, those with any of some tags.

`filter_statement` (resolvers/customers.py) applies these after its own conditions; the
saved views, the bulk update's filter and the CSV export share it, so they all mean the
same rows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_, select
from strawberry import UNSET

from db.enums import TaskStatus
from db.models import Customer, CustomerTag, Task
from resolvers.errors import UserErrorCode, UserInputError

# notContactedForDays: at most a century back.
MAX_DAYS = 36_500


def _value(filter: Any, name: str) -> Any:
    value = getattr(filter, name, None) if filter is not None else None
    return None if value is UNSET else value


def start_of_day(day: date, timezone: str) -> datetime:
    """The instant a day begins in the company's time zone, in UTC."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def not_contacted_since(filter: Any, timezone: str, field: tuple[str, ...]) -> date | None:
    """The day of `lastInteractionBefore`, or today minus `notContactedForDays` (the later
    of the two when both are given)."""
    days = _value(filter, "not_contacted_for_days")
    before = _value(filter, "last_interaction_before")
    if days is None:
        return before
    if not 0 <= days <= MAX_DAYS:
        raise UserInputError.one(
            (*field, "notContactedForDays"),
            f"notContactedForDays must be 0 to {MAX_DAYS}.",
            UserErrorCode.OUT_OF_RANGE,
        )
    since = datetime.now(ZoneInfo(timezone)).date() - timedelta(days=days)
    return since if before is None else max(since, before)


def segment_conditions(
    statement: Select[Any], filter: Any, timezone: str, field: tuple[str, ...] = ("filter",)
) -> Select[Any]:
    has_rep = _value(filter, "has_sales_rep")
    if has_rep is not None:
        rep = Customer.sales_rep_id
        statement = statement.where(rep.is_not(None) if has_rep else rep.is_(None))
    before = not_contacted_since(filter, timezone, field)
    if before is not None:
        statement = statement.where(
            or_(
                Customer.last_interaction_at.is_(None),
                Customer.last_interaction_at < start_of_day(before, timezone),
            )
        )
    has_overdue = _value(filter, "has_overdue_tasks")
    if has_overdue is not None:
        today = datetime.now(ZoneInfo(timezone)).date()
        overdue = (
            select(Task.id)
            .where(
                Task.customer_id == Customer.id,
                Task.status == TaskStatus.OPEN,
                Task.due_on < today,
            )
            .exists()
        )
        statement = statement.where(overdue if has_overdue else ~overdue)
    tags = _value(filter, "tags")
    if tags is not None:
        keys = list({tag.strip().lower() for tag in tags if isinstance(tag, str)})
        statement = statement.where(
            Customer.id.in_(select(CustomerTag.customer_id).where(CustomerTag.tag_key.in_(keys)))
        )
    return statement
