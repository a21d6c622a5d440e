"""Input checks shared by the domains; each adds a userError instead of raising."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from db.models import Customer
from resolvers.errors import BadUserInput, ErrorCollector, UserErrorCode, UserInputError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

# The longest search any list or `search` takes (docs/errors-and-honesty.md). SQLite
# refuses LIKE patterns over 50,000 bytes; no person types a search this long.
MAX_SEARCH_LENGTH = 500


def search_term(value: str | None, argument: str = "search") -> str | None:
    """`value` as a search, or BAD_USER_INPUT when it is longer than any search can be."""
    if value is not None and len(value) > MAX_SEARCH_LENGTH:
        raise BadUserInput(
            f"`{argument}` may be at most {MAX_SEARCH_LENGTH} characters; got {len(value)}."
        )
    return value


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WEBSITE = re.compile(r"^(https?://)?([a-z0-9-]+\.)+[a-z]{2,}(:\d+)?(/\S*)?$", re.IGNORECASE)
PHONE_CHARS = re.compile(r"^[0-9+()./\s-]*(x\d+)?$", re.IGNORECASE)


def clean_text(
    errors: ErrorCollector,
    field: str | Sequence[str],
    value: str | None,
    *,
    required: bool = False,
    max_length: int = 200,
    label: str | None = None,
) -> str | None:
    """Trimmed text, None for blank; a userError when required and blank, or too long."""
    label = label or (field if isinstance(field, str) else field[-1])
    text = value.strip() if isinstance(value, str) else None
    if not text:
        if required:
            errors.add(field, f"{label.capitalize()} is required.", UserErrorCode.REQUIRED)
        return None
    if len(text) > max_length:
        errors.add(
            field,
            f"{label.capitalize()} may be at most {max_length} characters.",
            UserErrorCode.TOO_LONG,
        )
    return text


def clean_email(errors: ErrorCollector, field: str, value: str | None) -> str | None:
    email = clean_text(errors, field, value, max_length=254)
    if email and not EMAIL.match(email):
        errors.add(field, f"Not a valid email address: {email!r}.", UserErrorCode.INVALID)
    return email.lower() if email else None


def clean_website(errors: ErrorCollector, field: str, value: str | None) -> str | None:
    website = clean_text(errors, field, value, max_length=300)
    if website and not WEBSITE.match(website):
        errors.add(field, f"Not a valid website address: {website!r}.", UserErrorCode.INVALID)
    return website


def clean_phone(errors: ErrorCollector, field: str, value: str | None) -> str | None:
    phone = clean_text(errors, field, value, max_length=40)
    if phone:
        digits = sum(c.isdigit() for c in phone)
        if not PHONE_CHARS.match(phone) or not 5 <= digits <= 20:
            errors.add(
                field,
                f"Not a valid phone number: {phone!r} (5 to 20 digits).",
                UserErrorCode.INVALID,
            )
    return phone


async def check_version(
    session: AsyncSession,
    row: Any,
    expected: int | None,
    field: tuple[str, ...] = ("input",),
    *,
    locked: bool = False,
) -> None:
    """STALE when the client edited an older version than the stored one.

    First (PostgreSQL) the row is locked and read again unless the caller loaded it
    `FOR UPDATE` already (`locked`): concurrent edits of one row then apply one after
    the other, each on the version the previous one wrote. Without the lock both read
    the same version and the second UPDATE's version check matches no row (STALE for a
    client that never sent expectedVersion). SQLite's writers are serialised already.
    """
    if not locked and session.get_bind().dialect.name == "postgresql":
        customer_id = getattr(row, "customer_id", None)
        if customer_id is not None:
            # Customer before its rows, the order invoicing and merges lock in: no deadlock.
            await session.execute(
                select(Customer.id).where(Customer.id == customer_id).with_for_update()
            )
        await session.refresh(row, with_for_update=True)
    if expected is not None and expected != row.version:
        raise UserInputError.one(
            (*field, "expectedVersion"),
            f"This record changed since you loaded it (version {expected}, now {row.version}); "
            "reload and try again.",
            UserErrorCode.STALE,
        )
