"""Changes in the API's own terms: what audit events and dry runs show clients.

The audit trail stores column -> [before, after] with stored values (bulk reverts
read them back). Clients get the same diff in the API's words (docs/api.md,
"Changes"):

- keys are the API's field names: `payment_terms_id` -> `paymentTerms`,
  `discount_bp` -> `discountPercent`, `billing_city` -> `billingAddress.city`;
- values are what the API serialises: money and percentages as decimal strings,
  enums by name, instants as ISO 8601;
- a reference is `{"id": <global id>, "label": <its name>}` (label null when the
  object is gone), so a UI can show "Net 30 -> Net 60" without another query.

Labels come from one statement per referenced type for a whole page of changes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from db import models
from db.models import ADDRESS_PARTS
from resolvers.ids import encode_id
from resolvers.money import cents_to_decimal

if TYPE_CHECKING:
    from resolvers.context import Context

Diff = dict[str, list[Any]]

# Reference columns: API field name, GraphQL type.
REFERENCES: dict[str, tuple[str, str]] = {
    "sales_rep_id": ("salesRep", "Staff"),
    "payment_terms_id": ("paymentTerms", "PaymentTerms"),
    "customer_id": ("customer", "Customer"),
    "location_id": ("location", "Location"),
    "contact_id": ("contact", "Contact"),
    "product_id": ("product", "Product"),
    "order_id": ("order", "Order"),
    "author_id": ("author", "Staff"),
    "assignee_id": ("assignee", "Staff"),
    "created_by_id": ("createdBy", "Staff"),
    "recorded_by_id": ("recordedBy", "Staff"),
    "uploaded_by_id": ("uploadedBy", "Staff"),
    "completed_by_id": ("completedBy", "Staff"),
    "merged_into_id": ("mergedInto", "Customer"),
}

# Columns whose API field is not simply the camelCase of the column (money, renames).
RENAMED = {
    "discount_bp": "discountPercent",
    "discount_cents": "discountAmount",
    "paid_cents": "amountPaid",
    "balance_due_cents": "balanceDue",
    "balance_cents": "currentBalance",
}

# The model and the column a reference's label is read from.
LABELS: dict[str, tuple[type[models.Base], str]] = {
    "Staff": (models.Staff, "name"),
    "PaymentTerms": (models.PaymentTerms, "name"),
    "Customer": (models.Customer, "name"),
    "Location": (models.Location, "name"),
    "Contact": (models.Contact, "name"),
    "Product": (models.Product, "name"),
    "Order": (models.Order, "number"),
}

_ADDRESS = re.compile(rf"^(billing_|shipping_)?({'|'.join(ADDRESS_PARTS)})$")


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def api_field(column: str, entity_type: str) -> str:
    """The API's name for a stored column of `entity_type`."""
    if column in REFERENCES:
        return REFERENCES[column][0]
    if column in RENAMED:
        return RENAMED[column]
    address = _ADDRESS.match(column)
    if address and (address.group(1) or entity_type == "Location"):
        owner = f"{address.group(1)[:-1]}Address" if address.group(1) else "address"
        return f"{owner}.{camel(address.group(2))}"
    if column.endswith("_cents"):
        return camel(column[: -len("_cents")])
    return camel(column)


def _plain(column: str, value: Any) -> Any:
    if value is None:
        return None
    if column.endswith("_cents") or column.endswith("_bp"):
        return str(cents_to_decimal(int(value)))
    return value


async def _labels(
    context: Context, wanted: Mapping[str, set[int]]
) -> dict[tuple[str, int], str | None]:
    found: dict[tuple[str, int], str | None] = {}
    for type_name, pks in wanted.items():
        if not pks or type_name not in LABELS:
            continue
        model, column = LABELS[type_name]
        # The tenant filter (db/session.py) keeps another company's names out.
        key = model.id  # type: ignore[attr-defined]  # every labelled model has one
        rows = await context.session.execute(
            select(key, getattr(model, column)).where(key.in_(sorted(pks)))
        )
        found.update({(type_name, pk): str(label) for pk, label in rows.all()})
    return found


async def api_diffs(
    context: Context, diffs: Iterable[tuple[str, Mapping[str, list[Any]]]]
) -> list[Diff]:
    """[(entity_type, stored diff)] -> the same diffs in API terms, in order."""
    listed = list(diffs)
    wanted: dict[str, set[int]] = {}
    for _, diff in listed:
        for column, values in diff.items():
            if column in REFERENCES:
                type_name = REFERENCES[column][1]
                wanted.setdefault(type_name, set()).update(
                    int(v) for v in values if isinstance(v, int)
                )
    labels = await _labels(context, wanted)

    def reference(type_name: str, value: Any) -> Any:
        if not isinstance(value, int):
            return value
        return {"id": encode_id(type_name, value), "label": labels.get((type_name, value))}

    translated: list[Diff] = []
    for entity_type, diff in listed:
        out: Diff = {}
        for column, values in diff.items():
            if column in REFERENCES:
                type_name = REFERENCES[column][1]
                out[api_field(column, entity_type)] = [reference(type_name, v) for v in values]
            else:
                out[api_field(column, entity_type)] = [_plain(column, v) for v in values]
        translated.append(out)
    return translated


async def load_api_changes(context: Context, keys: list[tuple[str, str]]) -> list[Diff]:
    """Dataloader: (entity type, stored diff as sorted JSON) -> the diff in API terms.

    A page of audit events (or a dry run's preview) translates in one batch: one label
    statement per referenced type, whatever the page size.
    """
    return await api_diffs(context, [(entity_type, json.loads(diff)) for entity_type, diff in keys])


def diff_key(entity_type: str, diff: Mapping[str, list[Any]]) -> tuple[str, str]:
    return entity_type, json.dumps(diff, sort_keys=True)
