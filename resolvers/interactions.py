"""The interaction log: entries written, edited and deleted, and the lists that read them.

The sales rep is resolvers/sales_rep.py, the report resolvers/interactions_report.py."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from strawberry import UNSET

from db.enums import InteractionKind
from db.models import Customer, Interaction, Staff, utcnow
from resolvers.audit import apply_changes, record, snapshot
from resolvers.days import day_bounds, narrowest
from resolvers.errors import BadUserInput, ErrorCollector, UserErrorCode, UserInputError
from resolvers.ids import encode_id, parse_id, parse_ids
from resolvers.loaders import prime_staff
from resolvers.localtime import (
    CLOCK_SKEW,
)
from resolvers.pagination import (
    Page,
    PageArgs,
    SortKey,
    check_page_args,
    encode_cursor,
    list_id,
    paginate_for,
)
from resolvers.permissions import Permission
from resolvers.tasks import create_follow_up, spoken_to_values
from resolvers.timeline import TimelineEventKind, publish_after_commit
from resolvers.validation import check_version, clean_text, search_term

if TYPE_CHECKING:
    from resolvers.context import Context


# ----------------------------------------------------------------------
# The interaction log
# ----------------------------------------------------------------------

MAX_BODY_LENGTH = 10_000
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
    customer_pk = errors.collect(parse_id, input.customer_id, "Customer", ("input", "customerId"))
    values = _clean_interaction(errors, input.kind, input.body, input.occurred_at)
    errors.raise_if_any()
    now = utcnow()
    async with context.transaction() as session:
        if await session.get(Customer, customer_pk) is None:
            raise UserInputError.one(
                ("input", "customerId"), "No such customer.", UserErrorCode.NOT_FOUND
            )
        assert customer_pk is not None  # errors.raise_if_any() above
        values.update(await spoken_to_values(session, customer_pk, input))
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
        await _note_interaction_at(session, interaction.customer_id, interaction.created_at)
        record(
            session,
            viewer,
            "interaction.create",
            interaction,
            {"kind": [None, interaction.kind.value], "body": [None, interaction.body]},
            customer_id=customer_pk,
        )
        task = await create_follow_up(session, context, interaction, input.follow_up)
        await publish_after_commit(context, session, TimelineEventKind.CREATED, interaction)
    return {"interaction": interaction, "task": task}


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
        await check_version(session, interaction, input.expected_version)
        errors.raise_if_any()
        values.update(await spoken_to_values(session, interaction.customer_id, input, interaction))
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
    search = (search_term(raw.search) or "").strip() or None
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
            cursors=[
                encode_cursor([row.created_at, row.id], list_id(NEWEST_FIRST, Interaction.id))
                for row in items
            ],
            has_next_page=has_more,
            has_previous_page=False,
            count=count,
        )
    statement = select(Interaction).where(Interaction.customer_id == customer_id)
    if kind_tuple is not None:
        statement = statement.where(Interaction.kind.in_(kind_tuple))
    return await paginate_for(context, statement, NEWEST_FIRST, Interaction.id, args)
