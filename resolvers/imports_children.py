"""locationsImport and contactsImport: rows under customers from a CSV, like customersImport.

The machinery is the customer import's (resolvers.imports): the upload is spooled, read
twice BATCH_ROWS rows at a time, every row checked first (row errors with line, field,
reason), nothing written with any error or on a dry run, else one transaction and one
bulk operation whose audit events let bulkOperationRevert undo it. The table
(resolvers.import_child_fields) says which model and columns.

A row names its customer by `customerId` (global id) or `customerExternalId`; the
customers a batch names are read in one statement, through the tenant filter, so
another company's customer is "no such customer". A row with `id` (a global id of
that kind) updates the row; it stays with its customer (customersMerge moves rows).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEvent, BulkOperation, Contact, Customer, utcnow
from resolvers.audit import audit_value
from resolvers.bulk import id_in
from resolvers.errors import ErrorCollector, UserErrorCode, UserInputError
from resolvers.ids import decode_id, encode_id
from resolvers.import_child_fields import CONTACTS, LOCATIONS, ChildTable
from resolvers.import_fields import References, unquote
from resolvers.imports import BATCH_ROWS, Outcome, customer_pk, references, run_import
from resolvers.permissions import Viewer

if TYPE_CHECKING:
    from resolvers.context import Context

Row = tuple[int, dict[str, str]]
Progress = Callable[[int], None] | None


@dataclass
class Checked:
    """One good row: its line, values, customer, and the stored row it updates (if any)."""

    line: int
    values: dict[str, Any]
    customer_id: int
    existing: Any = None


@dataclass
class Found:
    """What a batch refers to, read in one statement each."""

    existing: dict[int, Any]
    customers: set[int]
    by_external: dict[str, int]


def _pk(value: str, type_name: str) -> int | None:
    decoded = decode_id(value)
    return decoded[1] if decoded is not None and decoded[0] == type_name else None


def _cell(row: dict[str, str], key: str) -> str:
    return unquote(row.get(key) or "").strip()


def _rows(table: ChildTable, path: Path) -> Iterator[Row]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        headers = reader.fieldnames or []
        known = table.known_headers
        unknown = [h for h in headers if h not in known]
        if unknown or "name" not in headers and "id" not in headers:
            message = (
                f"Unknown columns: {', '.join(unknown)}."
                if unknown
                else "The file needs a name or id column."
            )
            raise UserInputError.one(
                ("input", "file"),
                f"{message} Columns are {table.export_path}'s keys: {', '.join(sorted(known))}.",
                UserErrorCode.UNKNOWN_COLUMN if unknown else UserErrorCode.INVALID,
            )
        for row in reader:
            yield reader.line_num, row


def _batches(table: ChildTable, path: Path) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for item in _rows(table, path):
        batch.append(item)
        if len(batch) == BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def stored_columns(table: ChildTable) -> list[Any]:
    model = table.model
    return [
        model.id,
        model.customer_id,
        model.version,
        *(getattr(model, c) for c in table.by_column),
    ]


async def _found(session: AsyncSession, table: ChildTable, batch: list[Row]) -> Found:
    model = table.model
    pks = [pk for _, row in batch if (pk := _pk(_cell(row, "id"), table.type_name)) is not None]
    existing: dict[int, Any] = {}
    if pks:
        statement = select(*stored_columns(table)).where(id_in(session, model.id, pks))
        existing = {row.id: row for row in await session.execute(statement)}
    customer_pks = [
        pk for _, row in batch if (pk := customer_pk(_cell(row, "customerId"))) is not None
    ]
    externals = [value for _, row in batch if (value := _cell(row, "customerExternalId"))]
    customers: set[int] = set()
    by_external: dict[str, int] = {}
    if customer_pks:
        customers |= set(
            (
                await session.scalars(
                    select(Customer.id).where(id_in(session, Customer.id, customer_pks))
                )
            ).all()
        )
    if externals:
        for pk, external in await session.execute(
            select(Customer.id, Customer.external_id).where(Customer.external_id.in_(externals))
        ):
            if external is not None:
                by_external[external] = pk
                customers.add(pk)
    return Found(existing, customers, by_external)


def _values(
    table: ChildTable, errors: ErrorCollector, row: dict[str, str], refs: References
) -> dict[str, Any]:
    """Column -> value of the non-empty writable cells (an empty cell keeps what is stored)."""
    values: dict[str, Any] = {}
    fields = table.by_key
    for key, raw in row.items():
        field = fields.get(key) if key is not None else None
        if field is None or raw is None:
            continue
        cell = unquote(raw)
        if cell.strip():
            values[field.column] = field.parse(errors, key, cell, refs)
    return values


def _customer(errors: ErrorCollector, row: dict[str, str], found: Found) -> int | None:
    raw_id, external = _cell(row, "customerId"), _cell(row, "customerExternalId")
    by_id = by_external = None
    if raw_id:
        by_id = customer_pk(raw_id)
        if by_id not in found.customers:
            errors.add("customerId", f"No such customer: {raw_id!r}.", UserErrorCode.NOT_FOUND)
            return None
    if external:
        by_external = found.by_external.get(external)
        if by_external is None:
            errors.add(
                "customerExternalId",
                f"No customer has externalId {external!r}.",
                UserErrorCode.NOT_FOUND,
            )
            return None
    if by_id is not None and by_external is not None and by_id != by_external:
        errors.add(
            "customerExternalId",
            f"{external!r} is another customer than {raw_id!r}.",
            UserErrorCode.INVALID,
        )
        return None
    return by_id if by_id is not None else by_external


def _check_row(
    table: ChildTable,
    item: Row,
    refs: References,
    found: Found,
    outcome: Outcome,
    seen: set[int],
) -> Checked | None:
    line, row = item
    errors = ErrorCollector()
    values = _values(table, errors, row, refs)
    customer = _customer(errors, row, found)
    existing = None
    raw_id = _cell(row, "id")
    what = table.type_name.lower()
    if raw_id:
        pk = _pk(raw_id, table.type_name)
        existing = found.existing.get(pk) if pk is not None else None
        if existing is None:
            errors.add("id", f"No such {what}: {raw_id!r}.", UserErrorCode.NOT_FOUND)
        elif existing.id in seen:
            errors.add("id", f"{raw_id!r} appears twice in the file.", UserErrorCode.TAKEN)
        else:
            seen.add(existing.id)
            if customer is not None and customer != existing.customer_id:
                errors.add(
                    "customerId",
                    f"An import does not move a {what} to another customer (customersMerge does).",
                    UserErrorCode.INVALID,
                )
            customer = existing.customer_id
    elif not errors:
        if customer is None:
            errors.add(
                "customerId",
                f"A new {what} needs its customer: customerId or customerExternalId.",
                UserErrorCode.REQUIRED,
            )
        elif not values.get("name"):
            errors.add("name", f"Name is required for a new {what}.", UserErrorCode.REQUIRED)
    for error in errors.errors:
        outcome.add_error(line, error.field[-1] if error.field else None, error.message)
    if errors or customer is None:
        return None
    return Checked(line, values, customer, existing)


async def _check(
    session: AsyncSession, table: ChildTable, path: Path, progress: Progress
) -> Outcome:
    outcome, seen = Outcome(), set[int]()
    refs = await references(session)
    for batch in _batches(table, path):
        found = await _found(session, table, batch)
        for item in batch:
            checked = _check_row(table, item, refs, found, outcome, seen)
            outcome.row_count += 1
            if checked is not None:
                if checked.existing is None:
                    outcome.created_count += 1
                else:
                    outcome.updated_count += 1
        if progress:
            progress(len(batch))
    return outcome


def _api_value(column: str, value: Any) -> Any:
    if column == "sales_rep_id" and value is not None:
        return {"id": encode_id("Staff", value)}
    return audit_value(value)


def _audit(
    viewer: Viewer, action: str, table: ChildTable, pk: int, customer: int, changes: dict
) -> dict[str, Any]:
    return {
        "company_id": viewer.company_id,
        "actor_id": viewer.staff_id,
        "action": action,
        "entity_type": table.type_name,
        "entity_id": pk,
        "customer_id": customer,
        "changes": changes,
    }


async def without_primary(session: AsyncSession, customers: set[int]) -> set[int]:
    """Of these customers, those with no primary contact (the first new one becomes it)."""
    having = set(
        (
            await session.scalars(
                select(Contact.customer_id).where(
                    Contact.customer_id.in_(customers), Contact.is_primary
                )
            )
        ).all()
    )
    return customers - having


async def _insert(
    session: AsyncSession, viewer: Viewer, table: ChildTable, new: list[Checked], now: Any
) -> list[int]:
    rows = []
    orphans = (
        await without_primary(session, {c.customer_id for c in new}) if table is CONTACTS else set()
    )
    for checked in new:
        row = {
            "company_id": viewer.company_id,
            "customer_id": checked.customer_id,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            **checked.values,
        }
        row.update(table.keys(row))
        if table is CONTACTS:
            row["is_primary"] = checked.customer_id in orphans
            orphans.discard(checked.customer_id)
        rows.append(row)
    model = table.model
    result = await session.execute(
        insert(model).returning(model.id, sort_by_parameter_order=True), rows
    )
    return list(result.scalars().all())


async def _update(
    session: AsyncSession, table: ChildTable, checked: Checked, now: Any
) -> dict[str, list[Any]]:
    stored = checked.existing._mapping
    changed = {c: v for c, v in checked.values.items() if stored[c] != v}
    if not changed:
        return {}
    keys = table.keys({**dict(stored), **changed})
    await session.execute(
        update(table.model)
        .where(table.model.id == stored["id"])
        .values(**changed, **keys, version=stored["version"] + 1, updated_at=now)
    )
    fields = table.by_column
    return {fields[c].key: [_api_value(c, stored[c]), _api_value(c, v)] for c, v in changed.items()}


async def _write(
    session: AsyncSession,
    viewer: Viewer,
    table: ChildTable,
    path: Path,
    operation_id: int,
    progress: Progress,
) -> None:
    refs, seen, scratch, now = await references(session), set[int](), Outcome(), utcnow()
    for batch in _batches(table, path):
        found = await _found(session, table, batch)
        checked = [
            c for item in batch if (c := _check_row(table, item, refs, found, scratch, seen))
        ]
        new = [c for c in checked if c.existing is None]
        audits = []
        if new:
            ids = await _insert(session, viewer, table, new, now)
            audits += [
                _audit(viewer, table.create_action, table, pk, c.customer_id, {})
                for pk, c in zip(ids, new, strict=True)
            ]
        for c in checked:
            if c.existing is not None and (changes := await _update(session, table, c, now)):
                audits.append(
                    _audit(
                        viewer, table.update_action, table, c.existing.id, c.customer_id, changes
                    )
                )
        if audits:
            await session.execute(
                insert(AuditEvent),
                [{**a, "bulk_operation_id": operation_id, "created_at": now} for a in audits],
            )
        if progress:
            progress(len(batch))


async def import_rows(
    session: AsyncSession,
    viewer: Viewer,
    table: ChildTable,
    path: Path,
    *,
    dry_run: bool,
    progress: Progress = None,
) -> tuple[Outcome, BulkOperation | None]:
    """Checks then (unless dry run or any row error) writes the file; see the module doc."""
    outcome = await _check(session, table, path, progress)
    if dry_run or outcome.error_count:
        return outcome, None
    operation = BulkOperation(
        company_id=viewer.company_id,
        actor_id=viewer.staff_id,
        entity_type=table.entity_type,
        input={"rows": outcome.row_count},
        matched_count=outcome.row_count,
        updated_count=outcome.created_count + outcome.updated_count,
    )
    session.add(operation)
    await session.flush()
    await _write(session, viewer, table, path, operation.id, progress)
    return outcome, operation


async def _import(context: Context, input: Any, table: ChildTable) -> dict[str, Any]:
    return await run_import(
        context,
        input,
        lambda session, viewer, path, dry_run: import_rows(
            session, viewer, table, path, dry_run=dry_run
        ),
    )


async def locations_import(context: Context, input: Any) -> dict[str, Any]:
    return await _import(context, input, LOCATIONS)


async def contacts_import(context: Context, input: Any) -> dict[str, Any]:
    return await _import(context, input, CONTACTS)
