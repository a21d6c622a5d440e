"""transactionRecord's input, parsed and checked into a plain value before any write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db.enums import PaymentMethod, TransactionKind
from db.models import utcnow
from resolvers.allocation import AllocationRequest, money_cents, over_allocated, parse_allocations
from resolvers.errors import ErrorCollector, UserErrorCode
from resolvers.idempotency import parse_key
from resolvers.ids import parse_id
from resolvers.localtime import CLOCK_SKEW
from resolvers.permissions import Permission, Viewer
from resolvers.validation import clean_text

# Kinds only an ADMIN or MANAGER may record: they hand money or debt back and forth.
RESTRICTED_KINDS = frozenset({TransactionKind.REFUND, TransactionKind.ADJUSTMENT})


def is_credit(kind: TransactionKind, amount_cents: int) -> bool:
    """Credits lower what the customer owes and can pay orders: PAYMENT, CREDIT and a
    negative ADJUSTMENT (a write-off)."""
    if kind in (TransactionKind.PAYMENT, TransactionKind.CREDIT):
        return True
    return kind == TransactionKind.ADJUSTMENT and amount_cents < 0


@dataclass(frozen=True)
class TransactionRequest:
    """A checked transactionRecord input, before the database checks."""

    customer_id: int
    kind: TransactionKind
    amount_cents: int
    method: PaymentMethod | None
    reference: str | None
    note: str | None
    # As given (None: now, when written), so a retry's fingerprint equals the first's.
    occurred_at: datetime | None
    allocations: tuple[AllocationRequest, ...]
    idempotency_key: str | None

    @property
    def credit_cents(self) -> int:
        """What this transaction adds to credit on account: |amount| of a credit, else 0."""
        return abs(self.amount_cents) if is_credit(self.kind, self.amount_cents) else 0


def _amount(errors: ErrorCollector, kind: TransactionKind, value: Any) -> int | None:
    amount = money_cents(errors, ("amount",), value, "Amount")
    if amount == 0:
        errors.add("amount", "Amount must not be zero.", UserErrorCode.OUT_OF_RANGE)
    elif amount is not None and amount < 0 and kind != TransactionKind.ADJUSTMENT:
        errors.add(
            "amount",
            f"A {kind.value} amount must be positive; only an ADJUSTMENT may be negative.",
            UserErrorCode.OUT_OF_RANGE,
        )
    return amount


def parse_transaction_input(viewer: Viewer, input: Any) -> TransactionRequest:
    """Checks everything that needs no database; all problems at once."""
    errors = ErrorCollector()
    customer_id = errors.collect(parse_id, input.customer_id, "Customer", ("input", "customerId"))
    kind = TransactionKind(input.kind.value)
    if kind in RESTRICTED_KINDS and not viewer.can(Permission.RECORD_REFUNDS_AND_ADJUSTMENTS):
        errors.add(
            "kind",
            f"Your role ({viewer.role.value}) may not record a {kind.value}: "
            "ask an ADMIN or a MANAGER.",
            UserErrorCode.FORBIDDEN,
        )
    amount = _amount(errors, kind, input.amount)
    if input.occurred_at is not None and input.occurred_at > utcnow() + CLOCK_SKEW:
        errors.add(
            "occurredAt",
            "A transaction can't have happened in the future.",
            UserErrorCode.OUT_OF_RANGE,
        )
    reference = clean_text(errors, "reference", input.reference, max_length=100)
    note = clean_text(errors, "note", input.note, max_length=2000)
    key = parse_key(errors, getattr(input, "idempotency_key", None))
    allocations: tuple[AllocationRequest, ...] = ()
    if input.allocations:
        if amount is not None and not is_credit(kind, amount):
            errors.add(
                "allocations",
                "Only a PAYMENT, a CREDIT or a negative ADJUSTMENT can pay orders.",
                UserErrorCode.INVALID,
            )
        else:
            allocations = parse_allocations(errors, input.allocations)
    if amount is not None and allocations:
        allocated = sum(a.amount_cents for a in allocations)
        if allocated > abs(amount):
            errors.add(
                "allocations",
                over_allocated(allocated, abs(amount), "of this transaction"),
                UserErrorCode.OVER_ALLOCATED,
            )
    errors.raise_if_any()
    assert customer_id is not None and amount is not None
    return TransactionRequest(
        customer_id=customer_id,
        kind=kind,
        amount_cents=amount,
        method=PaymentMethod(input.method.value) if input.method else None,
        reference=reference,
        note=note,
        occurred_at=input.occurred_at,
        allocations=allocations,
        idempotency_key=key,
    )
