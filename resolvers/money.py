"""Money is integer cents in the database and Decimal at the edges; never float."""

from __future__ import annotations

import decimal
from collections.abc import Sequence

from resolvers.errors import UserErrorCode, UserInputError

CENT = decimal.Decimal("0.01")
# The largest amount any money field takes: under a trillion, so sums of many stay far
# inside 64-bit cents, and far below where Decimal's 28 digits run out (1e28 raised
# InvalidOperation from quantize: an internal error instead of a userError).
MAX_AMOUNT = decimal.Decimal("999999999999.99")


def cents_to_decimal(cents: int) -> decimal.Decimal:
    return decimal.Decimal(cents).scaleb(-2).quantize(CENT)


def decimal_to_cents(
    value: decimal.Decimal,
    field: str | Sequence[str],
    *,
    minimum: decimal.Decimal | None = None,
    maximum: decimal.Decimal | None = None,
    label: str = "Amount",
) -> int:
    """Exact cents of `value`, or a userError if it has more than 2 decimals or is out of range."""
    if minimum is not None and value < minimum:
        raise UserInputError.one(
            field, f"{label} must be at least {minimum}.", UserErrorCode.OUT_OF_RANGE
        )
    if maximum is not None and value > maximum:
        raise UserInputError.one(
            field, f"{label} must be at most {maximum}.", UserErrorCode.OUT_OF_RANGE
        )
    if not value.is_finite() or abs(value) > MAX_AMOUNT:
        raise UserInputError.one(
            field,
            f"{label} must be between -{MAX_AMOUNT} and {MAX_AMOUNT}.",
            UserErrorCode.OUT_OF_RANGE,
        )
    if value != value.quantize(CENT):
        raise UserInputError.one(
            field, f"{label} may have at most 2 decimals.", UserErrorCode.INVALID
        )
    return int(value * 100)


def percent_to_bp(value: decimal.Decimal, field: str | Sequence[str]) -> int:
    """A percentage 0-100 with at most 2 decimals, as hundredths of a percent."""
    return decimal_to_cents(
        value,
        field,
        minimum=decimal.Decimal(0),
        maximum=decimal.Decimal(100),
        label="Percentage",
    )


def bp_to_percent(bp: int) -> decimal.Decimal:
    return cents_to_decimal(bp)
