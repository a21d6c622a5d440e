"""customersImport: a CSV of customers, checked whole, written whole, undoable.

The upload is spooled to a scratch file (as attachments are), then read twice with
csv.DictReader, BATCH_ROWS rows at a time, so memory stays flat whatever the size
(only the set of externalIds seen, to refuse repeats, grows: tens of bytes a row).
Pass 1 checks every row (the existing customers a batch names are read in one
statement) and collects row errors; with any, or a dry run, nothing is written.
Pass 2 writes each batch with one INSERT (new customers, RETURNING their ids), one
executemany UPDATE (existing ones) and one INSERT of their audit events, all in one
transaction: all or nothing. Audit events carry the bulk operation's id and, for
updates, field -> [before, after] in API terms; bulkOperationRevert (REVERTERS)
deletes the created customers and restores the updated ones from them.
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import (
    AuditEvent,
    BulkOperation,
    Customer,
    Order,
    PaymentTerms,
    Staff,
    Transaction,
    utcnow,
)
from resolvers.attachments import spool_upload
from resolvers.audit import audit_value
from resolvers.bulk import REVERTERS, id_in
from resolvers.errors import ErrorCollector, UserErrorCode, UserInputError
from resolvers.ids import decode_id, encode_id
from resolvers.import_fields import (
    FIELDS_BY_COLUMN,
    KNOWN_HEADERS,
    References,
    row_values,
)
from resolvers.permissions import Permission, Viewer
from resolvers.storage import incoming_dir
from resolvers.text import duplicate_keys, name_key

if TYPE_CHECKING:
    from resolvers.context import Context


def customer_pk(value: str) -> int | None:
    """The pk of a Customer global id, None when it is malformed or of another type."""
    decoded = decode_id(value)
    return decoded[1] if decoded is not None and decoded[0] == "Customer" else None


def _reference_pk(value: dict[str, Any]) -> int:
    decoded = decode_id(value["id"])
    assert decoded is not None
    return decoded[1]


ENTITY_TYPE = "CustomerImport"
BATCH_ROWS = 1000
# Row errors listed in the answer (all are counted).
MAX_LISTED_ERRORS = 1000
# PostgreSQL statistics are refreshed after the first written batch and every so many.
ANALYZE_EVERY = 10
CREATE_ACTION, UPDATE_ACTION = "customer.import_create", "customer.import_update"


@dataclass(frozen=True)
class RowError:
    row: int
    field: str | None
    message: str


@dataclass
class Outcome:
    row_count: int = 0
    created_count: int = 0
    updated_count: int = 0
    error_count: int = 0
    row_errors: list[RowError] = field(default_factory=list)

    def add_error(self, row: int, key: str | None, message: str) -> None:
        self.error_count += 1
        if len(self.row_errors) < MAX_LISTED_ERRORS:
            self.row_errors.append(RowError(row, key, message))


@dataclass
class Checked:
    """One good row: its line, values, and the existing customer it updates (if any)."""

    line: int
    values: dict[str, Any]
    existing: Any = None


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        headers = reader.fieldnames or []
        unknown = [h for h in headers if h not in KNOWN_HEADERS]
        if unknown or "name" not in headers and "id" not in headers and "externalId" not in headers:
            message = (
                f"Unknown columns: {', '.join(unknown)}."
                if unknown
                else "The file needs a name, id or externalId column."
            )
            raise UserInputError.one(
                ("input", "file"),
                f"{message} Columns are the customer export's keys: {', '.join(sorted(KNOWN_HEADERS))}.",
                UserErrorCode.UNKNOWN_COLUMN if unknown else UserErrorCode.INVALID,
            )
        for row in reader:
            yield reader.line_num, row


def _batches(path: Path) -> Iterator[list[tuple[int, dict[str, str]]]]:
    batch: list[tuple[int, dict[str, str]]] = []
    for item in _rows(path):
        batch.append(item)
        if len(batch) == BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


async def references(session: AsyncSession) -> References:
    staff: dict[str, int] = {}
    for pk, name, email in await session.execute(
        select(Staff.id, Staff.name, Staff.email).where(Staff.active)
    ):
        staff[name.casefold()] = pk
        staff[email.casefold()] = pk
    terms = {
        name.casefold(): pk
        for pk, name in await session.execute(select(PaymentTerms.id, PaymentTerms.name))
    }
    return References(staff, terms)


STORED = [
    Customer.id,
    Customer.external_id,
    Customer.version,
    *(getattr(Customer, c) for c in FIELDS_BY_COLUMN),
]


async def _existing(
    session: AsyncSession, batch: list[tuple[int, dict[str, str]]]
) -> tuple[dict, dict]:
    """The batch's existing customers, by pk and by externalId (one statement)."""
    pks = [customer_pk(row["id"].strip()) for _, row in batch if (row.get("id") or "").strip()]
    externals = [
        row["externalId"].strip() for _, row in batch if (row.get("externalId") or "").strip()
    ]
    by_pk: dict[int, Any] = {}
    by_external: dict[str, Any] = {}
    wanted = [pk for pk in pks if pk is not None]
    # Two statements, each an index probe with one bound list; an OR of the two lists
    # lets PostgreSQL fall back to scanning the table per batch.
    rows: list[Any] = []
    if wanted:
        rows += (
            await session.execute(select(*STORED).where(id_in(session, Customer.id, wanted)))
        ).all()
    if externals:
        rows += (
            await session.execute(select(*STORED).where(Customer.external_id.in_(externals)))
        ).all()
    for row in rows:
        by_pk[row.id] = row
        if row.external_id is not None:
            by_external[row.external_id] = row
    return by_pk, by_external


def _check_row(
    line: int,
    row: dict[str, str],
    refs: References,
    found: tuple[dict, dict],
    outcome: Outcome,
    seen: set[str],
) -> Checked | None:
    errors = ErrorCollector()
    values = row_values(errors, row, refs)
    by_pk, by_external = found
    existing = None
    raw_id = (row.get("id") or "").strip()
    external = values.get("external_id")
    if raw_id:
        pk = customer_pk(raw_id)
        existing = by_pk.get(pk) if pk is not None else None
        if existing is None:
            errors.add("id", f"No such customer: {raw_id!r}.", UserErrorCode.NOT_FOUND)
        elif external and external in by_external and by_external[external].id != existing.id:
            errors.add(
                "externalId", f"{external!r} belongs to another customer.", UserErrorCode.TAKEN
            )
    elif external:
        existing = by_external.get(external)
    if external:
        if external in seen:
            errors.add(
                "externalId", f"{external!r} appears twice in the file.", UserErrorCode.TAKEN
            )
        seen.add(external)
    if existing is None and not values.get("name") and not errors:
        errors.add("name", "Name is required for a new customer.", UserErrorCode.REQUIRED)
    for error in errors.errors:
        outcome.add_error(line, error.field[-1] if error.field else None, error.message)
    return None if errors else Checked(line, values, existing)


async def _check(
    session: AsyncSession, path: Path, progress: Callable[[int], None] | None
) -> Outcome:
    outcome, seen = Outcome(), set[str]()
    refs = await references(session)
    for batch in _batches(path):
        found = await _existing(session, batch)
        for line, row in batch:
            checked = _check_row(line, row, refs, found, outcome, seen)
            outcome.row_count += 1
            if checked is not None:
                if checked.existing is None:
                    outcome.created_count += 1
                else:
                    outcome.updated_count += 1
        if progress:
            progress(len(batch))
    return outcome


def _new_row(viewer: Viewer, values: dict[str, Any], now: Any) -> dict[str, Any]:
    row = {
        "company_id": viewer.company_id,
        "version": 1,
        "created_at": now,
        "updated_at": now,
        **values,
    }
    row["name_key"] = name_key(row["name"])
    row.update(duplicate_keys(row["name"], row.get("email"), row.get("phone")))
    return row


def _api_value(column: str, value: Any) -> Any:
    if column == "sales_rep_id" and value is not None:
        return {"id": encode_id("Staff", value)}
    if column == "payment_terms_id" and value is not None:
        return {"id": encode_id("PaymentTerms", value)}
    return audit_value(value)


def _update_row(checked: Checked, now: Any) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    stored = checked.existing._mapping
    changed = {c: v for c, v in checked.values.items() if stored[c] != v}
    changes = {
        FIELDS_BY_COLUMN[c].key: [_api_value(c, stored[c]), _api_value(c, v)]
        for c, v in changed.items()
    }
    row = {"id": stored["id"], "version": stored["version"] + 1, "updated_at": now, **changed}
    if {"name", "email", "phone"} & changed.keys():
        merged = {**dict(stored), **changed}
        row["name_key"] = name_key(merged["name"])
        row.update(duplicate_keys(merged["name"], merged["email"], merged["phone"]))
    return row, changes


def _audit(
    viewer: Viewer, action: str, pk: int, changes: dict, operation_id: int, now: Any
) -> dict:
    return {
        "company_id": viewer.company_id,
        "actor_id": viewer.staff_id,
        "action": action,
        "entity_type": "Customer",
        "entity_id": pk,
        "customer_id": pk,
        "changes": changes,
        "bulk_operation_id": operation_id,
        "created_at": now,
    }


async def _write(
    session: AsyncSession,
    viewer: Viewer,
    path: Path,
    operation_id: int,
    progress: Callable[[int], None] | None,
) -> None:
    refs, seen, scratch = await references(session), set[str](), Outcome()
    now = utcnow()
    for number, batch in enumerate(_batches(path)):
        if number % ANALYZE_EVERY == 1 and session.get_bind().dialect.name == "postgresql":
            # The table grows inside this transaction, unanalysed: without fresh statistics
            # PostgreSQL reads the batch's externalIds by scanning the whole company.
            await session.execute(text("ANALYZE customers"))
        found = await _existing(session, batch)
        checked = [
            c for line, row in batch if (c := _check_row(line, row, refs, found, scratch, seen))
        ]
        new = [c for c in checked if c.existing is None]
        audits = []
        if new:
            ids = (
                (
                    await session.execute(
                        insert(Customer).returning(Customer.id, sort_by_parameter_order=True),
                        [_new_row(viewer, c.values, now) for c in new],
                    )
                )
                .scalars()
                .all()
            )
            audits += [_audit(viewer, CREATE_ACTION, pk, {}, operation_id, now) for pk in ids]
        for c in checked:
            if c.existing is None:
                continue
            row, changes = _update_row(c, now)
            if changes:
                pk = row.pop("id")
                await session.execute(update(Customer).where(Customer.id == pk).values(**row))
                audits.append(_audit(viewer, UPDATE_ACTION, pk, changes, operation_id, now))
        if audits:
            await session.execute(insert(AuditEvent), audits)
        if progress:
            progress(len(batch))


async def import_customers(
    session: AsyncSession,
    viewer: Viewer,
    path: Path,
    *,
    dry_run: bool,
    progress: Callable[[int], None] | None = None,
) -> tuple[Outcome, BulkOperation | None]:
    """Checks then (unless dry run or any row error) writes the file; see the module doc."""
    outcome = await _check(session, path, progress)
    if dry_run or outcome.error_count:
        return outcome, None
    operation = BulkOperation(
        company_id=viewer.company_id,
        actor_id=viewer.staff_id,
        entity_type=ENTITY_TYPE,
        input={"rows": outcome.row_count},
        matched_count=outcome.row_count,
        updated_count=outcome.created_count + outcome.updated_count,
    )
    session.add(operation)
    await session.flush()
    await _write(session, viewer, path, operation.id, progress)
    return outcome, operation


def payload(outcome: Outcome, operation: BulkOperation | None) -> dict[str, Any]:
    return {
        "row_count": outcome.row_count,
        "created_count": outcome.created_count,
        "updated_count": outcome.updated_count,
        "row_errors": outcome.row_errors,
        "error_count": outcome.error_count,
        "bulk_operation": operation,
    }


# What one import runs once its file is on disk: (outcome, bulk operation or None).
Importer = Callable[[AsyncSession, Viewer, Path, bool], Awaitable[tuple[Outcome, Any]]]


async def run_import(context: Context, input: Any, importer: Importer) -> dict[str, Any]:
    """Every import's shell: the right to bulk-update, the upload spooled to disk within
    the import limit, one transaction, the file removed whatever happens."""
    viewer = context.viewer
    viewer.require(Permission.BULK_UPDATE)
    if not callable(getattr(input.file, "read", None)):
        raise UserInputError.one(
            ("input", "file"),
            "Send the file as a part of a multipart request (GraphQL multipart request spec).",
            UserErrorCode.INVALID,
        )
    settings = context.settings
    spooled = await spool_upload(
        input.file, incoming_dir(settings), settings.import_max_bytes, "import.csv"
    )
    try:
        async with context.transaction() as session:
            outcome, operation = await importer(session, viewer, spooled.path, input.dry_run)
    finally:
        await asyncio.to_thread(spooled.path.unlink, missing_ok=True)
    return payload(outcome, operation)


async def customers_import(context: Context, input: Any) -> dict[str, Any]:
    return await run_import(
        context,
        input,
        lambda session, viewer, path, dry_run: import_customers(
            session, viewer, path, dry_run=dry_run
        ),
    )


async def revert_import(
    session: AsyncSession, viewer: Viewer, operation: BulkOperation
) -> dict[str, Any]:
    """Deletes the customers the import created (unless they have orders or transactions
    since: skipped) and gives the updated ones their values before it."""
    created = select(AuditEvent.entity_id).where(
        AuditEvent.bulk_operation_id == operation.id, AuditEvent.action == CREATE_ACTION
    )
    busy = select(Order.customer_id).union(select(Transaction.customer_id))
    skipped = (
        await session.scalars(
            select(Customer.id).where(Customer.id.in_(created), Customer.id.in_(busy))
        )
    ).all()
    removed = await session.scalar(
        select(func.count()).select_from(Customer).where(Customer.id.in_(created))
    )
    await session.execute(
        delete(Customer)
        .where(Customer.id.in_(created), Customer.id.not_in(skipped))
        .execution_options(synchronize_session=False)
    )
    updates = await session.execute(
        select(AuditEvent.entity_id, AuditEvent.changes)
        .where(AuditEvent.bulk_operation_id == operation.id, AuditEvent.action == UPDATE_ACTION)
        .order_by(AuditEvent.id)
    )
    restored = 0
    for pk, changes in updates:
        values = {}
        for key, (before, _after) in changes.items():
            column = next(c for c, f in FIELDS_BY_COLUMN.items() if f.key == key)
            values[column] = _stored(column, before)
        merged = (
            await session.execute(
                select(Customer.name, Customer.email, Customer.phone).where(Customer.id == pk)
            )
        ).first()
        if merged is None:
            continue
        current = {"name": merged.name, "email": merged.email, "phone": merged.phone, **values}
        values.update(duplicate_keys(current["name"], current["email"], current["phone"]))
        values["name_key"] = name_key(current["name"])
        await session.execute(
            update(Customer).where(Customer.id == pk).values(**values, version=Customer.version + 1)
        )
        restored += 1
    return {
        "restored_count": (removed or 0) - len(skipped) + restored,
        "skipped_count": len(skipped),
        "skipped_ids": [encode_id("Customer", pk) for pk in skipped],
    }


def _stored(column: str, value: Any) -> Any:
    if isinstance(value, dict):
        return _reference_pk(value)
    model_column = getattr(Customer, column)
    enum_class = getattr(model_column.type, "enum_class", None)
    if value is not None and enum_class is not None:
        return enum_class(value)
    return value


REVERTERS[ENTITY_TYPE] = revert_import
