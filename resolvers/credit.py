"""Credit limits: how much a customer may owe before new invoices need a manager.

`Customer.credit_limit_cents` (None: no limit). Invoicing an order (orderCreate as
SUBMITTED, or DRAFT → SUBMITTED) that would take the balance above the limit is
CREDIT_LIMIT_EXCEEDED, unless an ADMIN or MANAGER passes `overrideCreditLimit: true`
(audited). Only they may set limits, too: a rep could otherwise lift the limit and
invoice past it. The check reads the balance under the customer's row lock, so two
concurrent invoices can't both slip under the same limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from strawberry import UNSET

from db.models import Customer
from resolvers.allocation import money_cents
from resolvers.errors import ErrorCollector, UserErrorCode
from resolvers.money import cents_to_decimal
from resolvers.permissions import Permission, Viewer


def available_credit_cents(customer: Customer) -> int | None:
    """creditLimit − currentBalance; None without a limit (negative: over the limit)."""
    if customer.credit_limit_cents is None:
        return None
    return customer.credit_limit_cents - customer.balance_cents


def parse_override(errors: ErrorCollector, viewer: Viewer, override: bool | None) -> bool:
    """`overrideCreditLimit`: only an ADMIN or MANAGER may send it (true)."""
    if not override:
        return False
    if not viewer.can(Permission.OVERRIDE_CREDIT_LIMIT):
        errors.add(
            "overrideCreditLimit",
            f"Your role ({viewer.role.value}) may not override credit limits.",
            UserErrorCode.FORBIDDEN,
        )
        return False
    return True


def credit_limit_values(
    errors: ErrorCollector, viewer: Viewer, input: Any, *, creating: bool
) -> dict[str, Any]:
    """{"credit_limit_cents": …} from a create or update input's `creditLimit` (UNSET:
    unchanged; null: no limit), checked; {} when not given."""
    field = "creditLimit"
    value = getattr(input, "credit_limit", UNSET)
    if value is UNSET or (value is None and creating):
        return {}
    if not viewer.can(Permission.SET_CREDIT_LIMIT):
        errors.add(
            field,
            f"Your role ({viewer.role.value}) may not set credit limits.",
            UserErrorCode.FORBIDDEN,
        )
        return {}
    if value is None:
        return {"credit_limit_cents": None}
    cents = money_cents(errors, (field,), value, "Credit limit", minimum=Decimal(0))
    return {} if cents is None else {"credit_limit_cents": cents}


def credit_limit_audit(changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """An audit diff with the credit limit named and valued as the API spells them."""
    if "credit_limit_cents" in changes:
        changes["creditLimit"] = [
            None if cents is None else str(cents_to_decimal(cents))
            for cents in changes.pop("credit_limit_cents")
        ]
    return changes


def check_credit_limit(
    errors: ErrorCollector,
    customer: Customer,
    invoice_cents: int,
    override: bool,
    field: str | Sequence[str],
) -> bool:
    """Adds CREDIT_LIMIT_EXCEEDED to `errors` if invoicing `invoice_cents` takes the
    customer (read under its lock) over its limit; True when an override let it pass."""
    limit = customer.credit_limit_cents
    if limit is None or customer.balance_cents + invoice_cents <= limit:
        return False
    if override:
        return True
    after = customer.balance_cents + invoice_cents
    errors.add(
        field,
        f"Invoicing {cents_to_decimal(invoice_cents)} would take {customer.name}'s balance to "
        f"{cents_to_decimal(after)}, over its credit limit of {cents_to_decimal(limit)} "
        f"(available: {cents_to_decimal(limit - customer.balance_cents)}). An ADMIN or "
        "MANAGER may pass overrideCreditLimit: true.",
        UserErrorCode.CREDIT_LIMIT_EXCEEDED,
    )
    return False
