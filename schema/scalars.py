"""Scalars: money as exact decimal strings, UTC datetimes with offset, JSON."""

from __future__ import annotations

import decimal
from datetime import UTC, datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

__all__ = ["JSON", "SCALAR_MAP"]

TWO_PLACES = decimal.Decimal("0.01")


def serialize_decimal(value: decimal.Decimal | int) -> str:
    return str(decimal.Decimal(value).quantize(TWO_PLACES, rounding=decimal.ROUND_HALF_UP))


def parse_decimal(value: object) -> decimal.Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError('Decimal must be a string such as "12.50".')
    try:
        # Floats go through str() so 0.1 stays 0.1, not its binary approximation.
        parsed = decimal.Decimal(str(value).strip())
    except decimal.InvalidOperation as error:
        raise ValueError(f"Not a decimal number: {value!r}.") from error
    if not parsed.is_finite():
        raise ValueError(f"Not a finite decimal number: {value!r}.")
    return parsed


DecimalScalar = strawberry.scalar(
    name="Decimal",
    description='An exact decimal number, serialized as a string with two decimals ("1234.50").',
    serialize=serialize_decimal,
    parse_value=parse_decimal,
)


def serialize_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("DateTime must be an ISO 8601 string.")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"Not an ISO 8601 date-time: {value!r}.") from error
    if parsed.tzinfo is None:
        raise ValueError(f"DateTime needs a UTC offset: {value!r}.")
    return parsed.astimezone(UTC)


DateTimeScalar = strawberry.scalar(
    name="DateTime",
    description="An ISO 8601 date-time with offset, e.g. 2026-01-31T09:30:00+00:00.",
    serialize=serialize_datetime,
    parse_value=parse_datetime,
)

# Fields annotated decimal.Decimal or datetime use these (StrawberryConfig.scalar_map).
SCALAR_MAP: dict[object, Any] = {decimal.Decimal: DecimalScalar, datetime: DateTimeScalar}
