"""The interactions report: counts and latest time per staff, customer, kind and period,
one GROUP BY in the database (periods in the company's zone, resolvers/localtime.py)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Date,
    Select,
    and_,
    func,
    literal_column,
    or_,
    select,
    type_coerce,
)

from db.enums import InteractionKind
from db.models import Interaction, Staff, utcnow
from resolvers.errors import BadUserInput
from resolvers.interactions import InteractionFilter
from resolvers.localtime import (
    NO_OFFSET,
    UTC_ZONES,
    Offsets,
    Period,
    company_timezone,
    offsets_between,
    period_start,
    sqlite_period,
)
from resolvers.permissions import Permission

if TYPE_CHECKING:
    from resolvers.context import Context


class ReportGroup(enum.StrEnum):
    STAFF = "STAFF"
    CUSTOMER = "CUSTOMER"
    KIND = "KIND"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


PERIOD_GROUPS = (ReportGroup.DAY, ReportGroup.WEEK, ReportGroup.MONTH)
# A report is read by a person: more rows than this is a filter that needs narrowing.
MAX_REPORT_ROWS = 10_000


@dataclass(frozen=True)
class ReportRow:
    staff_id: int | None
    customer_id: int | None
    kind: InteractionKind | None
    period: date | None
    count: int
    last_interaction_at: datetime | None


async def _sqlite_report_range(
    context: Context, filter: InteractionFilter, timezone: str
) -> tuple[InteractionFilter, Offsets]:
    """The filter with both bounds set, and the zone's offsets between them.

    A bound the filter leaves open is the company's first or last interaction (an
    indexed read each). Rows written after that read outside those bounds are left
    out, as if the report had run first."""
    if timezone in UTC_ZONES:
        return filter, NO_OFFSET
    low, high = filter.from_, filter.to
    if low is None or high is None:
        first = select(func.min(Interaction.created_at)).scalar_subquery()
        last = select(func.max(Interaction.created_at)).scalar_subquery()
        earliest, latest = (await context.session.execute(select(first, last))).one()
        if earliest is None:
            earliest = latest = utcnow()
        # Both are UTCDateTime: aware datetimes.
        low = low or earliest
        # `to` is exclusive: one microsecond past the last interaction.
        high = high or latest + timedelta(microseconds=1)
        filter = replace(filter, from_=low, to=high)
    return filter, offsets_between(timezone, low, high)


AUTHOR_INDEX_GROUPS = frozenset({ReportGroup.STAFF, *PERIOD_GROUPS})


def _covered_by_author_index(filter: InteractionFilter, groups: Sequence[ReportGroup]) -> bool:
    """Whether ix_interactions_company_author_created holds every column the report reads
    (author_id, created_at and the id of each row), chosen staff aside (then it is used anyway)."""
    return (
        AUTHOR_INDEX_GROUPS.issuperset(groups)
        and filter.staff_ids is None
        and filter.customer_ids is None
        and filter.kinds is None
        and not filter.search
    )


GROUP_COLUMNS = {
    ReportGroup.STAFF: ("staff_id", Interaction.author_id),
    ReportGroup.CUSTOMER: ("customer_id", Interaction.customer_id),
    ReportGroup.KIND: ("kind", Interaction.kind),
}


async def _group_columns(
    context: Context, filter: InteractionFilter, groups: Sequence[ReportGroup]
) -> tuple[InteractionFilter, dict[str, Any]]:
    """The labelled expressions to group by (the period's in the company's zone), and the
    filter with both bounds set when SQLite needs them to convert times."""
    # In this fixed order whatever the request's: staff first (silent staff replace it).
    columns: dict[str, Any] = {
        name: expression for g, (name, expression) in GROUP_COLUMNS.items() if g in groups
    }
    periods = [g for g in groups if g in PERIOD_GROUPS]
    if periods:
        period = Period(periods[0].value)
        timezone = company_timezone(context)
        if context.db.sqlite:
            filter, offsets = await _sqlite_report_range(context, filter, timezone)
            columns["period"] = type_coerce(
                sqlite_period(period, Interaction.created_at, offsets), Date()
            )
        else:
            columns["period"] = period_start(period, Interaction.created_at, timezone)
    return filter, columns


def _grouped(
    context: Context,
    filter: InteractionFilter,
    groups: Sequence[ReportGroup],
    columns: dict[str, Any],
    include_silent_staff: bool,
) -> Select[Any]:
    """One GROUP BY over the interactions (or over staff, LEFT JOINed, for silent staff)."""
    labelled = [expression.label(name) for name, expression in columns.items()]
    count = func.count(Interaction.id).label("count")
    latest = func.max(Interaction.created_at).label("last_interaction_at")
    if include_silent_staff and ReportGroup.STAFF in groups:
        labelled[0] = Staff.id.label("staff_id")
        statement = (
            select(*labelled, count, latest)
            .select_from(Staff)
            .outerjoin(Interaction, and_(Interaction.author_id == Staff.id, *filter.conditions()))
            .where(or_(Staff.active.is_(True), Interaction.id.is_not(None)))
        )
        if filter.staff_ids is not None:
            statement = statement.where(Staff.id.in_(filter.staff_ids))
    else:
        statement = select(*labelled, count, latest).where(*filter.conditions())
        if context.db.sqlite and _covered_by_author_index(filter, groups):
            # Always true (author_id is a NOT NULL foreign key to a staff member of the
            # same company), and it lets SQLite read the covering index (company,
            # author, created_at) once per staff member instead of a row per interaction.
            statement = statement.where(Interaction.author_id.in_(select(Staff.id)))
    # Grouping by the labels keeps PostgreSQL from seeing two different period expressions.
    statement = statement.group_by(*(column.name for column in labelled))
    order: list[Any] = []
    if "period" in columns:
        # Silent staff have no period: they come last.
        order.append(literal_column("period").asc().nulls_last())
    order.append(count.desc())
    order += [literal_column(column.name) for column in labelled if column.name != "period"]
    return statement.order_by(*order)


async def interactions_report(
    context: Context,
    filter: InteractionFilter,
    group_by: Sequence[ReportGroup],
    include_silent_staff: bool,
) -> list[ReportRow]:
    """Counts and latest time per group, computed by one GROUP BY in the database.

    With `include_silent_staff` and STAFF among the groups, active staff with no
    interaction matching the filter appear with count 0 (a LEFT JOIN from staff).
    """
    context.viewer.require(Permission.VIEW_REPORTS)
    groups = list(dict.fromkeys(group_by))
    if len([g for g in groups if g in PERIOD_GROUPS]) > 1:
        raise BadUserInput("Group by at most one of DAY, WEEK and MONTH.")
    await context.session.plan_with_values()
    filter, columns = await _group_columns(context, filter, groups)
    statement = _grouped(context, filter, groups, columns, include_silent_staff)
    rows = (await context.session.execute(statement.limit(MAX_REPORT_ROWS + 1))).mappings().all()
    if len(rows) > MAX_REPORT_ROWS:
        raise BadUserInput(
            f"The report has more than {MAX_REPORT_ROWS} rows; "
            "narrow the filter or group by fewer things."
        )
    return [
        ReportRow(
            staff_id=row.get("staff_id"),
            customer_id=row.get("customer_id"),
            kind=row.get("kind"),
            period=row.get("period"),
            count=row["count"],
            last_interaction_at=row["last_interaction_at"],
        )
        for row in rows
    ]
