"""customersMerge: one customer survives, the others' history moves to it; exactly undoable.

What moves is the table MOVES: each entry is a model whose rows hang off a customer
by `customer_id` (adding tasks is one line). Exclusive products are a link table and
move by their own two statements; contacts keep one primary per customer (the
survivor's own); tags are a union (resolvers.merge_tags). The merged customers end
ARCHIVED with `merged_into_id`.

Money and stats (CONTRIBUTING.md): orders and transactions move together with their
allocations and refund draws (those refer to the moved rows, not the customer), so
every order's balance and every credit's unallocated rest stay as they are; the
customers' denormalised stats are then recomputed from their rows
(resolvers.stats_recompute), which keeps the balance identity by definition. The sales
rollup moves the orders' contributions to the survivor's rep first (`move_customers`).

One BulkOperation (entity type CustomerMerge) records every moved row's id by table
and what was demoted or archived; bulkOperationRevert (REVERTERS in resolvers.bulk)
moves exactly those rows back and recomputes again. A dry run performs the merge in
the transaction, reads the result and rolls it all back: it shows what would happen
because it is what happens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import CustomerStatus
from db.models import (
    Attachment,
    BulkOperation,
    Contact,
    Customer,
    Interaction,
    Location,
    Order,
    Product,
    ProductExclusiveCustomer,
    Task,
    Transaction,
)
from resolvers.audit import record
from resolvers.bulk import REVERTERS, id_in
from resolvers.errors import ErrorCollector, UserErrorCode
from resolvers.ids import encode_id, parse_id, parse_ids
from resolvers.merge_changes import Change, customer_changes, moved_change
from resolvers.merge_tags import merge_tags, revert_tags
from resolvers.permissions import Permission, Viewer
from resolvers.sales_rollup import lock_customers, move_customers
from resolvers.stats_recompute import STAT_COLUMNS, recompute_stats
from resolvers.tags import tags_by_customer

if TYPE_CHECKING:
    from resolvers.context import Context

ENTITY_TYPE = "CustomerMerge"
# At most this many customers merge into one at once (Salesforce: 3).
MAX_MERGED = 10
# A merge lists this many changed rows (the counts cover all of them).
PREVIEW_ROWS = 200


@dataclass(frozen=True)
class Move:
    """Rows of `model` belonging to a customer by `customer_id`, labelled for the diff."""

    key: str
    model: Any
    label: Callable[[Any], str]
    label_columns: tuple[str, ...]


MOVES: tuple[Move, ...] = (
    Move("orders", Order, lambda r: f"Order #{r.number}", ("number",)),
    Move(
        "transactions",
        Transaction,
        lambda r: f"{r.kind.value} {r.amount_cents / 100:.2f} on {r.occurred_at.date()}",
        ("kind", "amount_cents", "occurred_at"),
    ),
    Move(
        "interactions",
        Interaction,
        lambda r: f"{r.kind.value} on {r.created_at.date()}",
        ("kind", "created_at"),
    ),
    Move("contacts", Contact, lambda r: r.name, ("name",)),
    Move("locations", Location, lambda r: r.name, ("name",)),
    Move("attachments", Attachment, lambda r: r.filename, ("filename",)),
    Move("tasks", Task, lambda r: r.title, ("title",)),
)
MOVES_BY_KEY = {move.key: move for move in MOVES}


@dataclass
class Plan:
    survivor: Customer
    merged: list[Customer]


async def _plan(session: AsyncSession, input: Any) -> Plan:
    errors = ErrorCollector(("input",))
    survivor_pk = parse_id(input.survivor_id, "Customer", ("input", "survivorId"))
    if not input.merged_ids:
        errors.add("mergedIds", "Give at least one customer to merge.", UserErrorCode.REQUIRED)
    elif len(input.merged_ids) > MAX_MERGED:
        errors.add(
            "mergedIds",
            f"At most {MAX_MERGED} customers merge at once ({len(input.merged_ids)} given).",
            UserErrorCode.OUT_OF_RANGE,
        )
    errors.raise_if_any()
    merged_pks = parse_ids(input.merged_ids, "Customer", ("input", "mergedIds"))
    if survivor_pk in merged_pks:
        errors.add("mergedIds", "The survivor cannot merge into itself.", UserErrorCode.INVALID)
    errors.raise_if_any()
    everyone = [survivor_pk, *merged_pks]
    await lock_customers(session, Customer.id.in_(everyone))
    rows = {
        c.id: c for c in (await session.scalars(select(Customer).where(Customer.id.in_(everyone))))
    }
    for index, pk in enumerate(everyone):
        field = ("survivorId",) if index == 0 else ("mergedIds", str(index - 1))
        row = rows.get(pk)
        if row is None:
            errors.add(field, "No such customer.", UserErrorCode.NOT_FOUND)
        elif row.merged_into_id is not None:
            errors.add(field, f"{row.name} was already merged.", UserErrorCode.INVALID)
    errors.raise_if_any()
    return Plan(rows[survivor_pk], [rows[pk] for pk in merged_pks])


async def _moved_rows(session: AsyncSession, move: Move, merged: list[int]) -> list[Any]:
    model = move.model
    columns = [getattr(model, name) for name in move.label_columns]
    statement = (
        select(model.id, model.customer_id, *columns)
        .where(model.customer_id.in_(merged))
        .order_by(model.customer_id, model.id)
    )
    return list((await session.execute(statement)).all())


async def _set_customer(
    session: AsyncSession, model: Any, ids: Sequence[int], customer_id: int
) -> None:
    values: dict[str, Any] = {"customer_id": customer_id}
    if hasattr(model, "version"):
        values["version"] = model.version + 1
    await session.execute(
        update(model)
        .where(id_in(session, model.id, ids))
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def _primary_contacts(session: AsyncSession, plan: Plan) -> list[int]:
    """Primaries of merged customers that stop being primary: all, unless the survivor has
    none, in which case the first merged customer's primary becomes the survivor's."""
    rows = (
        await session.execute(
            select(Contact.customer_id, Contact.id).where(
                Contact.customer_id.in_([plan.survivor.id, *(m.id for m in plan.merged)]),
                Contact.is_primary,
            )
        )
    ).all()
    primary = {customer: contact for customer, contact in rows}
    keeps = plan.survivor.id in primary
    demoted = []
    for customer in plan.merged:
        contact = primary.get(customer.id)
        if contact is None:
            continue
        if keeps:
            demoted.append(contact)
        keeps = True
    return demoted


async def _move_exclusive(
    session: AsyncSession, company_id: int, survivor: int, merged: list[int]
) -> dict[str, Any]:
    """The survivor gets every exclusive product of the merged customers."""
    links = (
        await session.execute(
            select(ProductExclusiveCustomer.product_id, ProductExclusiveCustomer.customer_id)
            .where(ProductExclusiveCustomer.customer_id.in_([survivor, *merged]))
            .order_by(ProductExclusiveCustomer.product_id)
        )
    ).all()
    had = {product for product, customer in links if customer == survivor}
    removed = [[product, customer] for product, customer in links if customer != survivor]
    added = sorted({product for product, _ in removed} - had)
    if removed:
        await session.execute(
            delete(ProductExclusiveCustomer).where(ProductExclusiveCustomer.customer_id.in_(merged))
        )
    if added:
        await session.execute(
            insert(ProductExclusiveCustomer),
            [{"company_id": company_id, "product_id": p, "customer_id": survivor} for p in added],
        )
    return {"added": added, "removed": removed}


async def _perform(session: AsyncSession, viewer: Viewer, plan: Plan) -> tuple[dict, list[Change]]:
    survivor, merged_ids = plan.survivor, [m.id for m in plan.merged]
    labels = {c.id: c.name for c in [survivor, *plan.merged]}
    changes: list[Change] = []
    # Table -> moved row id -> the customer it came from.
    moved: dict[str, dict[str, int]] = {}
    # The rollup first: it reads the reps and customers still in place.
    await move_customers(
        session, viewer.company_id, Order.customer_id.in_(merged_ids), survivor.sales_rep_id
    )
    demoted = await _primary_contacts(session, plan)
    if demoted:
        await session.execute(
            update(Contact)
            .where(Contact.id.in_(demoted))
            .values(is_primary=False, version=Contact.version + 1)
            .execution_options(synchronize_session=False)
        )
    for move in MOVES:
        rows = await _moved_rows(session, move, merged_ids)
        moved[move.key] = {str(row.id): row.customer_id for row in rows}
        changes += [moved_change(move, row, labels, survivor, row.id in demoted) for row in rows]
        if rows:
            await _set_customer(session, move.model, [row.id for row in rows], survivor.id)
    exclusive = await _move_exclusive(session, viewer.company_id, survivor.id, merged_ids)
    everyone = [survivor.id, *merged_ids]
    tags_before = await tags_by_customer(session, everyone)
    tags = await merge_tags(session, survivor.id, merged_ids)
    tags_after = await tags_by_customer(session, everyone)
    before = {
        c.id: {name: getattr(c, name) for name in STAT_COLUMNS} for c in [survivor, *plan.merged]
    }
    statuses = {str(m.id): m.status.value for m in plan.merged}
    for customer in plan.merged:
        customer.status = CustomerStatus.ARCHIVED
        customer.merged_into_id = survivor.id
    await recompute_stats(session, [survivor.id, *merged_ids])
    for customer in [survivor, *plan.merged]:
        await session.refresh(customer)
        change = customer_changes(customer, before[customer.id], statuses, labels)
        if tags_before[customer.id] != tags_after[customer.id]:
            change.changes["tags"] = [tags_before[customer.id], tags_after[customer.id]]
        changes.append(change)
    recorded = {
        "survivor": survivor.id,
        "merged": merged_ids,
        "statuses": statuses,
        "moved": moved,
        "demoted_contacts": demoted,
        "exclusive": exclusive,
        "tags": tags,
    }
    return recorded, changes


class _DryRun(Exception):
    def __init__(self, result: dict[str, Any]) -> None:
        self.result = result


async def customers_merge(context: Context, input: Any) -> dict[str, Any]:
    viewer = context.viewer
    viewer.require(Permission.BULK_UPDATE)
    try:
        async with context.transaction() as session:
            plan = await _plan(session, input)
            recorded, changes = await _perform(session, viewer, plan)
            result = {"customer": plan.survivor, "changes": changes[:PREVIEW_ROWS]}
            if input.dry_run:
                # Everything above rolls back: the preview is the merge itself. The
                # survivor leaves the session first, so it keeps its merged values.
                session.expunge(plan.survivor)
                raise _DryRun({**result, "bulk_operation": None})
            operation = BulkOperation(
                company_id=viewer.company_id,
                actor_id=viewer.staff_id,
                entity_type=ENTITY_TYPE,
                input=recorded,
                matched_count=1 + len(plan.merged),
                updated_count=sum(len(rows) for rows in recorded["moved"].values()),
            )
            session.add(operation)
            await session.flush()
            for change in changes:
                if change.entity_type == "Customer":
                    record(
                        session,
                        viewer,
                        "customer.merge",
                        plan.survivor if change.pk == plan.survivor.id else _row(plan, change.pk),
                        change.changes,
                        customer_id=change.pk,
                        bulk_operation_id=operation.id,
                    )
    except _DryRun as dry:
        return dry.result
    return {**result, "bulk_operation": operation}


def _row(plan: Plan, pk: int) -> Customer:
    return next(c for c in plan.merged if c.id == pk)


async def revert_merge(
    session: AsyncSession, viewer: Viewer, operation: BulkOperation
) -> dict[str, Any]:
    """Moves every recorded row back to its customer, restores what was demoted and
    archived, and recomputes the stats. Rows gone since (deleted) are skipped."""
    recorded = operation.input
    survivor, merged = recorded["survivor"], recorded["merged"]
    await lock_customers(session, Customer.id.in_([survivor, *merged]))
    customers = {
        c.id: c
        for c in await session.scalars(select(Customer).where(Customer.id.in_([survivor, *merged])))
    }
    restored, skipped = 0, []
    for key, origin in recorded["moved"].items():
        move = MOVES_BY_KEY[key]
        ids = [int(i) for i in origin]
        back = await _owners(session, move, origin, survivor)
        if key == "orders":
            for customer_id, order_ids in back.items():
                rep = customers[customer_id].sales_rep_id if customer_id in customers else None
                await move_customers(
                    session, viewer.company_id, id_in(session, Order.id, order_ids), rep
                )
        for customer_id, row_ids in back.items():
            await _set_customer(session, move.model, row_ids, customer_id)
            restored += len(row_ids)
        found = {i for row_ids in back.values() for i in row_ids}
        skipped += [encode_id(move.model.__name__, i) for i in ids if i not in found]
    if recorded["demoted_contacts"]:
        await session.execute(
            update(Contact)
            .where(Contact.id.in_(recorded["demoted_contacts"]))
            .values(is_primary=True, version=Contact.version + 1)
            .execution_options(synchronize_session=False)
        )
    await _revert_exclusive(session, viewer, survivor, recorded["exclusive"])
    # Merges recorded before tags moved have no "tags": their tags never left.
    await revert_tags(session, viewer.company_id, survivor, recorded.get("tags"))
    for pk in merged:
        customer = customers.get(pk)
        if customer is None:
            continue
        customer.status = CustomerStatus(recorded["statuses"][str(pk)])
        customer.merged_into_id = None
        record(
            session,
            viewer,
            "customer.merge_revert",
            customer,
            {"mergedInto": [{"id": encode_id("Customer", survivor)}, None]},
            customer_id=pk,
            bulk_operation_id=operation.id,
        )
    await recompute_stats(session, [survivor, *merged])
    return {"restored_count": restored, "skipped_count": len(skipped), "skipped_ids": skipped}


async def _owners(
    session: AsyncSession, move: Move, origin: dict[str, int], survivor: int
) -> dict[int, list[int]]:
    """The moved rows still at the survivor, by the merged customer they came from."""
    ids = [int(i) for i in origin]
    rows = (
        await session.execute(
            select(move.model.id).where(
                id_in(session, move.model.id, ids), move.model.customer_id == survivor
            )
        )
    ).scalars()
    back: dict[int, list[int]] = {}
    for pk in rows:
        back.setdefault(origin[str(pk)], []).append(pk)
    return back


async def _revert_exclusive(
    session: AsyncSession, viewer: Viewer, survivor: int, exclusive: dict
) -> None:
    if exclusive["added"]:
        await session.execute(
            delete(ProductExclusiveCustomer).where(
                ProductExclusiveCustomer.customer_id == survivor,
                ProductExclusiveCustomer.product_id.in_(exclusive["added"]),
            )
        )
    live = set(
        (
            await session.scalars(
                select(Product.id).where(Product.id.in_([p for p, _ in exclusive["removed"]]))
            )
        ).all()
    )
    rows = [
        {"company_id": viewer.company_id, "product_id": p, "customer_id": c}
        for p, c in exclusive["removed"]
        if p in live
    ]
    if rows:
        await session.execute(insert(ProductExclusiveCustomer), rows)


REVERTERS[ENTITY_TYPE] = revert_merge
