"""What a merge changes, in API terms: camelCase fields, global ids with labels, decimals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from db.models import Customer
from resolvers.audit import audit_value
from resolvers.ids import encode_id
from resolvers.money import cents_to_decimal

# Stats columns as the API names them, and how their values read there.
STAT_FIELDS: dict[str, tuple[str, Any]] = {
    "order_count": ("orderCount", lambda v: v),
    "total_sales_cents": ("totalSales", lambda v: str(cents_to_decimal(v))),
    "last_order_at": ("lastOrderAt", audit_value),
    "total_paid_cents": ("balance.totalPaid", lambda v: str(cents_to_decimal(v))),
    "balance_cents": ("balance.currentBalance", lambda v: str(cents_to_decimal(v))),
    "unapplied_credit_cents": ("balance.unappliedCredit", lambda v: str(cents_to_decimal(v))),
    "last_interaction_at": ("lastInteractionAt", audit_value),
}


@dataclass
class Change:
    """One row's change: entity type and pk, a label people recognise, field -> [before, after]."""

    entity_type: str
    pk: int
    label: str
    changes: dict[str, list[Any]]

    @property
    def entity_id(self) -> str:
        return encode_id(self.entity_type, self.pk)


def reference(type_name: str, pk: int | None, label: str | None) -> dict[str, Any] | None:
    return None if pk is None else {"id": encode_id(type_name, pk), "label": label}


def moved_change(
    move: Any, row: Any, labels: dict[int, str], survivor: Customer, demoted: bool
) -> Change:
    changes: dict[str, list[Any]] = {
        "customer": [
            reference("Customer", row.customer_id, labels[row.customer_id]),
            reference("Customer", survivor.id, survivor.name),
        ]
    }
    if demoted:
        changes["isPrimary"] = [True, False]
    return Change(move.model.__name__, row.id, move.label(row), changes)


def customer_changes(
    customer: Customer,
    before: dict[str, Any],
    statuses: dict[str, str],
    labels: dict[int, str],
) -> Change:
    changes: dict[str, list[Any]] = {}
    if str(customer.id) in statuses:
        changes["status"] = [statuses[str(customer.id)], customer.status.value]
        survivor = customer.merged_into_id
        label = labels.get(survivor) if survivor is not None else None
        changes["mergedInto"] = [None, reference("Customer", survivor, label)]
    for column, (field, shown) in STAT_FIELDS.items():
        old, new = before[column], getattr(customer, column)
        if old != new:
            changes[field] = [
                None if old is None else shown(old),
                None if new is None else shown(new),
            ]
    return Change("Customer", customer.id, customer.name, changes)
