"""Idempotency keys: a retried mutation answers its first success and writes nothing.

`transactionRecord` and `orderCreate` take `idempotencyKey`. Within the mutation's
write transaction, before anything else, `claim` inserts (staff member, key) with an
INSERT ... ON CONFLICT: the unique constraint, not a read before the write, decides.
- No row of that key yet (or only one older than the window): the row is ours; the
  mutation writes and `settle` stores what it wrote. Should the mutation fail, the row
  rolls back with it, and a retry runs afresh.
- A live row: a concurrent first attempt holds its index entry, so PostgreSQL makes
  this INSERT wait until that one commits (SQLite runs one writer at a time anyway);
  then the row is read. Same operation and input (fingerprint): the first result is
  answered again. Anything else: IDEMPOTENCY_KEY_REUSED.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import IdempotencyKey, utcnow
from resolvers.errors import ErrorCollector, UserErrorCode, UserInputError
from resolvers.permissions import Viewer

WINDOW = timedelta(hours=24)
MAX_KEY_LENGTH = 100
FIELD = ("input", "idempotencyKey")


def parse_key(errors: ErrorCollector, value: str | None) -> str | None:
    """The key as given (keys are opaque: not trimmed), or a userError."""
    if value is None:
        return None
    if not value.strip():
        errors.add("idempotencyKey", "An idempotency key can't be blank.", UserErrorCode.INVALID)
    elif len(value) > MAX_KEY_LENGTH:
        errors.add(
            "idempotencyKey",
            f"An idempotency key may be at most {MAX_KEY_LENGTH} characters.",
            UserErrorCode.TOO_LONG,
        )
    elif "\x00" in value:
        errors.add("idempotencyKey", "An idempotency key can't hold NUL.", UserErrorCode.INVALID)
    return value


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def fingerprint(request: Any, leave_out: Sequence[str] = ("idempotency_key", "field")) -> str:
    """SHA-256 of a parsed request (a dataclass), leaving out the key itself and error paths."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in leave_out}
        if isinstance(value, list):
            return [strip(item) for item in value]
        return value

    text = json.dumps(strip(_plain(request)), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class Claim:
    """What `claim` found: `replay_id` is the first success's row; else `key_id` is ours."""

    key_id: int | None = None
    replay_id: int | None = None


NO_KEY = Claim()


async def claim(
    session: AsyncSession, viewer: Viewer, key: str | None, operation: str, request: Any
) -> Claim:
    """Takes `key` for this operation, or finds its first result (see the module)."""
    if key is None:
        return NO_KEY
    digest = fingerprint(request)
    now = utcnow()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    values = {"operation": operation, "fingerprint": digest, "created_at": now}
    statement = (
        dialect.insert(IdempotencyKey)
        .values(company_id=viewer.company_id, staff_id=viewer.staff_id, key=key, **values)
        .on_conflict_do_update(
            index_elements=[IdempotencyKey.staff_id, IdempotencyKey.key],
            # Only a key past its window is taken over; a live one stays as it is.
            set_={**values, "result_id": None},
            where=IdempotencyKey.created_at < now - WINDOW,
        )
        .returning(IdempotencyKey.id)
    )
    taken = (await session.execute(statement)).scalar_one_or_none()
    if taken is not None:
        return Claim(key_id=taken)
    existing = (
        await session.execute(
            select(IdempotencyKey).where(
                IdempotencyKey.staff_id == viewer.staff_id, IdempotencyKey.key == key
            )
        )
    ).scalar_one()
    if (
        existing.operation != operation
        or existing.fingerprint != digest
        or existing.result_id is None
    ):
        raise UserInputError.one(
            FIELD,
            "This idempotency key was already used in the last 24 hours with other input; "
            "send a new key for a new request.",
            UserErrorCode.IDEMPOTENCY_KEY_REUSED,
        )
    return Claim(replay_id=existing.result_id)


async def settle(session: AsyncSession, claimed: Claim, result_id: int) -> None:
    """Remembers what the mutation that owns the key wrote."""
    if claimed.key_id is None:
        return
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == claimed.key_id)
        .values(result_id=result_id)
        .execution_options(synchronize_session=False)
    )
