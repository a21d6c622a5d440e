"""The customer list as the CSV export reads it: the filtered, sorted customers with the
names their cells show (sales rep, payment terms, primary contact), in one statement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, and_

from db.models import Contact, Customer, PaymentTerms, Staff
from resolvers.customers import filter_statement
from resolvers.pagination import SortKey

if TYPE_CHECKING:
    from resolvers.context import Context


def customer_export_statement(
    context: Context, filter: Any, keys: Sequence[SortKey]
) -> Select[Any]:
    """Rows of (Customer, sales rep name, payment terms name, primary contact name), in the
    order of `keys` with the id last (in the direction of the last key)."""
    descending_id = keys[-1].descending if keys else False
    return (
        filter_statement(context, filter)
        .outerjoin(Staff, Staff.id == Customer.sales_rep_id)
        .outerjoin(PaymentTerms, PaymentTerms.id == Customer.payment_terms_id)
        .outerjoin(Contact, and_(Contact.customer_id == Customer.id, Contact.is_primary))
        .add_columns(Staff.name, PaymentTerms.name, Contact.name)
        .order_by(
            *(k.expression.desc() if k.descending else k.expression.asc() for k in keys),
            Customer.id.desc() if descending_id else Customer.id.asc(),
        )
    )
