"""The relationship with a customer: the sales rep, the interaction log and its report."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    Date,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.elements import ColumnElement
from strawberry import UNSET

from db.enums import InteractionKind
from db.models import Contact, Customer, Interaction, Staff, utcnow
from resolvers.audit import apply_changes, record, snapshot
from resolvers.days import day_bounds, narrowest
from resolvers.errors import BadUserInput, ErrorCollector, UserErrorCode, UserInputError
from resolvers.ids import encode_id, parse_id, parse_ids
from resolvers.loaders import prime_staff
from resolvers.pagination import (
    Page,
    PageArgs,
    SortKey,
    check_page_args,
    encode_cursor,
    paginate_for,
)
from resolvers.permissions import Permission
from resolvers.sales_rollup import customer_rep_changes
from resolvers.timeline import TimelineEventKind, publish_after_commit
from resolvers.validation import check_version, clean_text

if TYPE_CHECKING:
    from resolvers.context import Context


def _parse_into(
    errors: ErrorCollector, value: str, type_name: str, field: tuple[str, ...]
) -> int | None:
    """parse_id, collecting its userError so every bad argument is reported at once."""
    try:
        return parse_id(value, type_name, field)
    except UserInputError as error:
        errors.errors.extend(error.errors)
        return None


# ----------------------------------------------------------------------
# Sales rep
# ----------------------------------------------------------------------


async def customer_set_sales_rep(
    context: Context, customer_id: str, staff_id: str | None
) -> dict[str, Any]:
    """Assigns an active staff member of the company as the customer's rep; None unassigns."""
    viewer = context.viewer
    errors = ErrorCollector(prefix=())
    customer_pk = _parse_into(errors, customer_id, "Customer", ("customerId",))
    staff_pk = (
        _parse_into(errors, staff_id, "Staff", ("staffId",)) if staff_id is not None else None
    )
    errors.raise_if_any()
    async with context.transaction() as session:
        customer = await session.get(Customer, customer_pk)
        if customer is None:
            raise UserInputError.one(("customerId",), "No such customer.", UserErrorCode.NOT_FOUND)
        if staff_pk is not None:
            staff = await session.get(Staff, staff_pk)
            if staff is None:
                raise UserInputError.one(
                    ("staffId",), "No such staff member.", UserErrorCode.NOT_FOUND
                )
            if not staff.active:
                raise UserInputError.one(
                    ("staffId",),
                    f"{staff.name} is no longer active and cannot be assigned as sales rep.",
                    UserErrorCode.INACTIVE_STAFF,
                )
        await customer_rep_changes(session, customer, staff_pk)
        changes = apply_changes(customer, {"sales_rep_id": staff_pk})
        if changes:
            record(
                session,
                viewer,
                "customer.set_sales_rep",
                customer,
                changes,
                customer_id=customer.id,
            )
    return {"customer": customer}


# ----------------------------------------------------------------------
# The interaction log
# ----------------------------------------------------------------------

MAX_BODY_LENGTH = 10_000
# occurredAt may run slightly ahead of our clock: phones and laptops drift.
CLOCK_SKEW = timedelta(minutes=5)
AUDITED_FIELDS = ("customer_id", "author_id", "kind", "body", "created_at", "edited")


def _clean_interaction(
    errors: ErrorCollector, kind: Any, body: Any, occurred_at: Any
) -> dict[str, Any]:
    """Validated column values for the fields given (UNSET ones are left out)."""
    values: dict[str, Any] = {}
    if kind is not UNSET:
        if kind is None:
            errors.add("kind", "Kind is required.", UserErrorCode.REQUIRED)
        else:
            values["kind"] = InteractionKind(kind.value)
    if body is not UNSET:
        values["body"] = clean_text(
            errors, "body", body, required=True, max_length=MAX_BODY_LENGTH, label="body"
        )
    if occurred_at is not UNSET and occurred_at is not None:
        if occurred_at.tzinfo is None:
            occurred_at = occurred_at.replace(tzinfo=UTC)
        if occurred_at > utcnow() + CLOCK_SKEW:
            errors.add(
                "occurredAt",
                "An interaction cannot have happened in the future.",
                UserErrorCode.OUT_OF_RANGE,
            )
        values["created_at"] = occurred_at
    return values


async def _note_interaction_at(session: AsyncSession, customer_id: int, at: datetime) -> None:
    """Moves last_interaction_at forward to `at` if it is later (set-based, no read)."""
    await session.execute(
        update(Customer)
        .where(
            Customer.id == customer_id,
            or_(Customer.last_interaction_at.is_(None), Customer.last_interaction_at < at),
        )
        .values(last_interaction_at=at)
    )


async def _recompute_last_interaction_at(session: AsyncSession, customer_id: int) -> None:
    """After a delete or a moved occurredAt the latest may be gone: one aggregate."""
    # Lock the customer first, so the aggregate's snapshot starts after any concurrent
    # create has committed (READ COMMITTED would otherwise let it miss that entry).
    await session.execute(select(Customer.id).where(Customer.id == customer_id).with_for_update())
    latest = (
        select(func.max(Interaction.created_at))
        .where(Interaction.customer_id == customer_id)
        .scalar_subquery()
    )
    await session.execute(
        update(Customer).where(Customer.id == customer_id).values(last_interaction_at=latest)
    )


async def interaction_create(context: Context, input: Any) -> dict[str, Any]:
    viewer = context.viewer
    errors = ErrorCollector()
    customer_pk = _parse_into(errors, input.customer_id, "Customer", ("input", "customerId"))
    values = _clean_interaction(errors, input.kind, input.body, input.occurred_at)
    errors.raise_if_any()
    now = utcnow()
    async with context.transaction() as session:
        if await session.get(Customer, customer_pk) is None:
            raise UserInputError.one(
                ("input", "customerId"), "No such customer.", UserErrorCode.NOT_FOUND
            )
        values.setdefault("created_at", now)
        interaction = Interaction(
            company_id=viewer.company_id,
            customer_id=customer_pk,
            author_id=viewer.staff_id,
            updated_at=now,
            **values,
        )
        session.add(interaction)
        await session.flush()
        await _note_interaction_at(session, customer_pk, interaction.created_at)
        record(
            session,
            viewer,
            "interaction.create",
            interaction,
            {"kind": [None, interaction.kind.value], "body": [None, interaction.body]},
            customer_id=customer_pk,
        )
        await publish_after_commit(context, session, TimelineEventKind.CREATED, interaction)
    return {"interaction": interaction}


async def _editable_interaction(context: Context, session: AsyncSession, id: str) -> Interaction:
    """The interaction `id` if the viewer may change it: REPs only their own entries."""
    viewer = context.viewer
    pk = parse_id(id, "Interaction", ("id",))
    interaction = await session.get(Interaction, pk)
    if interaction is None:
        raise UserInputError.one(("id",), "No such interaction.", UserErrorCode.NOT_FOUND)
    if interaction.author_id != viewer.staff_id and not viewer.can(Permission.EDIT_ANY_INTERACTION):
        raise UserInputError.one(
            ("id",),
            "Only its author, a manager or an admin may change this interaction.",
            UserErrorCode.FORBIDDEN,
        )
    return interaction


async def interaction_update(context: Context, id: str, input: Any) -> dict[str, Any]:
    viewer = context.viewer
    errors = ErrorCollector()
    values = _clean_interaction(errors, input.kind, input.body, input.occurred_at)
    async with context.transaction() as session:
        interaction = await _editable_interaction(context, session, id)
        check_version(interaction, input.expected_version)
        errors.raise_if_any()
        previous_at = interaction.created_at
        changes = apply_changes(interaction, values)
        if changes:
            changes.update(apply_changes(interaction, {"edited": True}))
            interaction.updated_at = utcnow()
            await session.flush()
            if interaction.created_at != previous_at:
                await _recompute_last_interaction_at(session, interaction.customer_id)
            record(
                session,
                viewer,
                "interaction.update",
                interaction,
                changes,
                customer_id=interaction.customer_id,
            )
            await publish_after_commit(context, session, TimelineEventKind.UPDATED, interaction)
    return {"interaction": interaction}


async def interaction_delete(context: Context, id: str) -> dict[str, Any]:
    viewer = context.viewer
    async with context.transaction() as session:
        interaction = await _editable_interaction(context, session, id)
        # The full entry stays in the audit trail after the row is gone.
        record(
            session,
            viewer,
            "interaction.delete",
            interaction,
            snapshot(interaction, AUDITED_FIELDS),
            customer_id=interaction.customer_id,
        )
        await session.delete(interaction)
        await session.flush()
        await _recompute_last_interaction_at(session, interaction.customer_id)
        await publish_after_commit(context, session, TimelineEventKind.DELETED, interaction)
    return {"deleted_interaction_id": encode_id("Interaction", interaction.id)}


# ----------------------------------------------------------------------
# Lists: a customer's log and the company-wide list
# ----------------------------------------------------------------------

NEWEST_FIRST = [SortKey(Interaction.created_at, descending=True)]


@dataclass(frozen=True)
class InteractionFilter:
    """The parsed filter of root `interactions` and `interactionsReport`."""

    staff_ids: tuple[int, ...] | None = None
    customer_ids: tuple[int, ...] | None = None
    kinds: tuple[InteractionKind, ...] | None = None
    from_: datetime | None = None
    to: datetime | None = None
    search: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.staff_ids is not None:
            conditions.append(Interaction.author_id.in_(self.staff_ids))
        if self.customer_ids is not None:
            conditions.append(Interaction.customer_id.in_(self.customer_ids))
        if self.kinds is not None:
            conditions.append(Interaction.kind.in_(self.kinds))
        if self.from_ is not None:
            conditions.append(Interaction.created_at >= self.from_)
        if self.to is not None:
            conditions.append(Interaction.created_at < self.to)
        if self.search:
            conditions.append(Interaction.body.icontains(self.search, autoescape=True))
        return conditions


def parse_filter(raw: Any, argument: str = "filter", timezone: str = "UTC") -> InteractionFilter:
    """The GraphQL filter input as an InteractionFilter; malformed ids are a request error."""
    if raw is None:
        return InteractionFilter()
    try:
        staff_ids = (
            tuple(parse_ids(raw.staff_ids, "Staff", (argument, "staffIds")))
            if raw.staff_ids is not None
            else None
        )
        customer_ids = (
            tuple(parse_ids(raw.customer_ids, "Customer", (argument, "customerIds")))
            if raw.customer_ids is not None
            else None
        )
    except UserInputError as error:
        # Queries have no userErrors: a bad id in a filter is the client's mistake.
        raise BadUserInput(str(error), code="INVALID_ID") from error
    if raw.from_ is not None and raw.to is not None and raw.from_ >= raw.to:
        raise BadUserInput("`from` must be before `to`.")
    low, high = narrowest(
        *day_bounds(raw.occurred_from, raw.occurred_to, timezone, ("occurredFrom", "occurredTo")),
        raw.from_,
        raw.to,
    )
    search = raw.search.strip() if raw.search else None
    return InteractionFilter(
        staff_ids=staff_ids,
        customer_ids=customer_ids,
        kinds=tuple(InteractionKind(k.value) for k in raw.kinds) if raw.kinds is not None else None,
        from_=low,
        to=high,
        search=search or None,
    )


async def interactions_page(context: Context, filter: InteractionFilter, args: PageArgs) -> Any:
    statement = select(Interaction).where(*filter.conditions())
    return await paginate_for(context, statement, NEWEST_FIRST, Interaction.id, args)


def _kind_tuple(kinds: Iterable[Any] | None) -> tuple[InteractionKind, ...] | None:
    return tuple(sorted({InteractionKind(k.value) for k in kinds})) if kinds is not None else None


@dataclass(frozen=True)
class CustomerLogKey:
    """One customer's first page of interactions, as a loader key."""

    customer_id: int
    first: int
    kinds: tuple[InteractionKind, ...] | None


async def load_customer_logs(
    context: Context, keys: Sequence[CustomerLogKey]
) -> list[tuple[list[Interaction], bool]]:
    """First pages of many customers' logs: one windowed query per distinct (first, kinds).

    A customer list selecting `interactions(first: 3)` thus runs one statement for
    the whole page, not one per customer.
    """
    groups: dict[tuple[int, Any], set[int]] = defaultdict(set)
    for key in keys:
        groups[(key.first, key.kinds)].add(key.customer_id)
    pages: dict[CustomerLogKey, tuple[list[Interaction], bool]] = {}
    for (first, kinds), customer_ids in groups.items():
        rank = (
            func.row_number()
            .over(
                partition_by=Interaction.customer_id,
                order_by=(Interaction.created_at.desc(), Interaction.id.desc()),
            )
            .label("rank")
        )
        ranked = select(Interaction.id, rank).where(Interaction.customer_id.in_(customer_ids))
        if kinds is not None:
            ranked = ranked.where(Interaction.kind.in_(kinds))
        subquery = ranked.subquery()
        # One extra row per customer tells whether there is a next page. The rows are
        # joined to their ranks (cheaper to build than an alias of the ranked rows), and
        # to their authors, so `author` needs no staff statement.
        statement = (
            select(Interaction, Staff)
            .join(subquery, subquery.c.id == Interaction.id)
            .outerjoin(Staff, Staff.id == Interaction.author_id)
            .where(subquery.c.rank <= first + 1)
            .order_by(Interaction.customer_id, subquery.c.rank)
        )
        found: dict[int, list[Interaction]] = defaultdict(list)
        authors = []
        for interaction, author in await context.session.execute(statement):
            found[interaction.customer_id].append(interaction)
            authors.append(author)
        prime_staff(context, authors)
        for customer_id in customer_ids:
            rows = found.get(customer_id, [])
            pages[CustomerLogKey(customer_id, first, kinds)] = (rows[:first], len(rows) > first)
    return [pages[key] for key in keys]


async def load_customer_log_counts(
    context: Context, keys: Sequence[tuple[int, tuple[InteractionKind, ...] | None]]
) -> list[int]:
    """totalCount of many customers' logs: one GROUP BY per distinct kinds filter."""
    groups: dict[Any, set[int]] = defaultdict(set)
    for customer_id, kinds in keys:
        groups[kinds].add(customer_id)
    counts: dict[tuple[int, Any], int] = {}
    for kinds, customer_ids in groups.items():
        statement = (
            select(Interaction.customer_id, func.count())
            .where(Interaction.customer_id.in_(customer_ids))
            .group_by(Interaction.customer_id)
        )
        if kinds is not None:
            statement = statement.where(Interaction.kind.in_(kinds))
        found: dict[int, int] = dict((await context.session.execute(statement)).all())
        for customer_id in customer_ids:
            counts[(customer_id, kinds)] = found.get(customer_id, 0)
    return [counts[key] for key in keys]


async def customer_interactions_page(
    context: Context, customer_id: int, args: PageArgs, kinds: Iterable[Any] | None
) -> Page[Interaction]:
    """Customer.interactions, newest first.

    The first page (only `first`) is batched across the customers of a list; pages
    after a cursor or from the end run one statement for that customer alone.
    """
    kind_tuple = _kind_tuple(kinds)
    if args.after is None and args.before is None and args.last is None:
        size, _ = check_page_args(
            args, context.settings.default_page_size, context.settings.max_page_size
        )
        items, has_more = await context.loaders[load_customer_logs].load(
            CustomerLogKey(customer_id, size, kind_tuple)
        )

        async def count() -> int:
            return await context.loaders[load_customer_log_counts].load((customer_id, kind_tuple))

        return Page(
            items=items,
            cursors=[encode_cursor([row.created_at, row.id]) for row in items],
            has_next_page=has_more,
            has_previous_page=False,
            count=count,
        )
    statement = select(Interaction).where(Interaction.customer_id == customer_id)
    if kind_tuple is not None:
        statement = statement.where(Interaction.kind.in_(kind_tuple))
    return await paginate_for(context, statement, NEWEST_FIRST, Interaction.id, args)


def days_since(moment: datetime | None, timezone: str, today: date | None = None) -> int | None:
    """Whole calendar days between `moment` and today, both in the company's time zone."""
    if moment is None:
        return None
    zone = ZoneInfo(timezone)
    today = today or utcnow().astimezone(zone).date()
    # occurredAt may be a few minutes ahead (clock skew), never a day.
    return max(0, (today - moment.astimezone(zone).date()).days)


# ----------------------------------------------------------------------
# The interactions report
# ----------------------------------------------------------------------


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


def company_timezone(context: Context) -> str:
    """The company's IANA time zone; UTC if the stored name is unknown here."""
    name = context.viewer.company_timezone or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


_DAY = 86_400


@lru_cache(maxsize=256)
def utc_offsets(timezone: str, start: int, end: int) -> tuple[tuple[int, int], ...]:
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
        step = min(cursor + _DAY, end)
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


def sqlite_period(
    group: ReportGroup, moment: Any, offsets: Sequence[tuple[int, int]]
) -> ColumnElement[Any]:
    """SQLite SQL for the local date starting `group`'s period (weeks start on Monday),
    given the zone's UTC offsets over every instant the statement can see (utc_offsets).

    Stored times are naive UTC text ('YYYY-MM-DD HH:MM:SS.ffffff'). At offset 0 the
    local date is a prefix of that text; otherwise SQLite's date() shifts it by the
    offset, a CASE choosing among the offsets in force within the range when the zone
    changes offset there. date() rounds fractions to milliseconds, so 23:59:59.9999
    would become the next day: the fraction is cut first (offsets are whole seconds)."""
    if len(offsets) == 1 and offsets[0][1] == 0:
        if group == ReportGroup.DAY:
            return func.substr(moment, 1, 10)
        if group == ReportGroup.MONTH:
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
    if group == ReportGroup.WEEK:
        # 'weekday 0' moves to the coming Sunday (or stays), six days back is Monday.
        modifiers += ("weekday 0", "-6 days")
    elif group == ReportGroup.MONTH:
        modifiers += ("start of month",)
    return func.date(func.substr(moment, 1, 19), *modifiers)


def period_start(group: ReportGroup, moment: Any, timezone: str) -> Any:
    """PostgreSQL SQL for the local date starting `group`'s period (weeks start on Monday)."""
    local = func.timezone(timezone, moment)
    if group == ReportGroup.DAY:
        return cast(local, Date())
    return cast(func.date_trunc(group.value.lower(), local), Date())


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


async def _sqlite_report_range(
    context: Context, filter: InteractionFilter, timezone: str
) -> tuple[InteractionFilter, tuple[tuple[int, int], ...]]:
    """The filter with both bounds set, and the zone's offsets between them.

    A bound the filter leaves open is the company's first or last interaction (an
    indexed read each). Rows written after that read outside those bounds are left
    out, as if the report had run first."""
    if timezone in UTC_ZONES:
        return filter, ((0, 0),)
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
    # Whole days either side, so that a day's reports share one computation; within the
    # years zoneinfo converts in every zone (the first offset holds before `start`).
    start = max(_epoch(low) // _DAY * _DAY, _FIRST_EPOCH)
    end = min((_epoch(high) // _DAY + 1) * _DAY, _LAST_EPOCH)
    return filter, utc_offsets(timezone, start, end)


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
    periods = [g for g in groups if g in PERIOD_GROUPS]
    if len(periods) > 1:
        raise BadUserInput("Group by at most one of DAY, WEEK and MONTH.")
    await context.session.plan_with_values()

    columns: dict[str, Any] = {}
    if ReportGroup.STAFF in groups:
        columns["staff_id"] = Interaction.author_id
    if ReportGroup.CUSTOMER in groups:
        columns["customer_id"] = Interaction.customer_id
    if ReportGroup.KIND in groups:
        columns["kind"] = Interaction.kind
    if periods:
        timezone = company_timezone(context)
        if context.db.sqlite:
            filter, offsets = await _sqlite_report_range(context, filter, timezone)
            columns["period"] = type_coerce(
                sqlite_period(periods[0], Interaction.created_at, offsets), Date()
            )
        else:
            columns["period"] = period_start(periods[0], Interaction.created_at, timezone)
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
    if periods:
        # Silent staff have no period: they come last.
        order.append(literal_column("period").asc().nulls_last())
    order.append(count.desc())
    order += [literal_column(column.name) for column in labelled if column.name != "period"]
    statement = statement.order_by(*order)

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


# ----------------------------------------------------------------------
# The demo company's story (resolvers/demo.py STORY)
# ----------------------------------------------------------------------

DEMO_BODIES: dict[InteractionKind, tuple[str, ...]] = {
    InteractionKind.VISIT: (
        "Walked the floor with {contact}; shelf space for the spring range agreed.",
        "Dropped off samples of the new {product}; {contact} will try them this week.",
        "Quarterly review with {contact}: happy with delivery times, wants fewer partial cases.",
        "Visited the store: our display needs restocking, {contact} asked for a new planogram.",
    ),
    InteractionKind.CALL: (
        "{contact} called about the last invoice; explained the credit for damaged cases.",
        "Called {contact} to confirm next week's order of {product}.",
        "Call with {contact}: they are comparing our prices on {product} with a competitor.",
        "{contact} asked whether we can deliver before 9 am on Fridays. Checking with dispatch.",
    ),
    InteractionKind.TEXT: (
        "Texted {contact} the delivery window for tomorrow.",
        "{contact} texted a photo of a damaged pallet; asked for a replacement.",
    ),
    InteractionKind.VOICEMAIL: (
        "Left a voicemail for {contact} about the overdue balance.",
        "Voicemail from {contact}: please call back about {product} pricing.",
    ),
    InteractionKind.EMAIL: (
        "Emailed {contact} the updated price list for {product}.",
        "Sent {contact} the statement of account and payment options.",
        "Email from {contact}: moving their weekly order to Tuesdays.",
    ),
    InteractionKind.QUOTE: (
        "Quoted {contact} 40 cases of {product} at the volume price.",
        "Sent a quote for a standing monthly order of {product}.",
    ),
    InteractionKind.NOTE: (
        "Prefers deliveries before 9 am; back door, ring twice.",
        "{contact} is the decision maker; the owner only signs off above $5,000.",
        "Closed the last week of August every year.",
        "Asks for invoices by email only, never paper.",
    ),
    InteractionKind.OTHER: ("Met {contact} at the regional trade show; interested in {product}.",),
}
DEMO_PRODUCTS = ("olive oil", "coffee beans", "paper goods", "cleaning supplies", "sparkling water")
DEMO_KIND_WEIGHTS = {
    InteractionKind.CALL: 30,
    InteractionKind.EMAIL: 22,
    InteractionKind.VISIT: 14,
    InteractionKind.TEXT: 10,
    InteractionKind.VOICEMAIL: 8,
    InteractionKind.NOTE: 8,
    InteractionKind.QUOTE: 6,
    InteractionKind.OTHER: 2,
}


async def seed_demo_story(session: AsyncSession, world: Any) -> None:
    """A year of relationship history: each customer's rep logs most of it, coworkers
    cover now and then; some customers have gone quiet (follow-up lists need them)."""
    rng = world.rng
    now = utcnow()
    zone = ZoneInfo(world.company.timezone or "UTC")
    contacts: dict[int, list[str]] = defaultdict(list)
    rows = await session.execute(
        select(Contact.customer_id, Contact.name).where(Contact.company_id == world.company.id)
    )
    for customer_id, name in rows:
        contacts[customer_id].append(name.split()[0])
    active_staff = [s for s in world.staff if s.active]
    kinds, weights = zip(*DEMO_KIND_WEIGHTS.items(), strict=True)
    interactions: list[Interaction] = []
    for customer in world.customers:
        # A few customers have been left alone for months; the rest hear from us steadily.
        quiet_days = rng.choice([0] * 6 + [45, 120])
        for _ in range(rng.randint(4, 14)):
            kind = rng.choices(kinds, weights)[0]
            rep = next((s for s in active_staff if s.id == customer.sales_rep_id), None)
            # Mostly the rep; a coworker covers a fifth of the time, and always when there is none.
            author = rep if rep is not None and rng.random() < 0.8 else rng.choice(active_staff)
            day = (now - timedelta(days=rng.randint(quiet_days + 1, 364))).astimezone(zone).date()
            # Working hours on a weekday, in the company's time zone.
            if day.weekday() >= 5:
                day -= timedelta(days=rng.randint(day.weekday() - 4, day.weekday()))
            at = datetime.combine(
                day, time(rng.randint(8, 17), rng.randint(0, 59)), tzinfo=zone
            ).astimezone(UTC)
            body = rng.choice(DEMO_BODIES[kind]).format(
                contact=rng.choice(contacts.get(customer.id) or ["the buyer"]),
                product=rng.choice(DEMO_PRODUCTS),
            )
            edited = rng.random() < 0.05
            interactions.append(
                Interaction(
                    company_id=world.company.id,
                    customer_id=customer.id,
                    author_id=author.id,
                    kind=kind,
                    body=body,
                    created_at=at,
                    updated_at=min(now, at + timedelta(hours=2)) if edited else at,
                    edited=edited,
                )
            )
    session.add_all(interactions)
    await session.flush()
    latest = (
        select(func.max(Interaction.created_at))
        .where(Interaction.customer_id == Customer.id)
        .scalar_subquery()
    )
    await session.execute(
        update(Customer)
        .where(Customer.company_id == world.company.id)
        .values(last_interaction_at=latest)
        .execution_options(synchronize_session=False)
    )
    # The story's later steps hold these rows: show them what the database now says.
    latest_by_customer: dict[int, datetime] = {}
    for interaction in interactions:
        previous = latest_by_customer.get(interaction.customer_id)
        if previous is None or interaction.created_at > previous:
            latest_by_customer[interaction.customer_id] = interaction.created_at
    for customer in world.customers:
        set_committed_value(customer, "last_interaction_at", latest_by_customer.get(customer.id))
