"""A rep's book: the customers a REP may see when the company limits reps to them.

Applied by the same session hook as the company filter (db/session.py), so every
list, node lookup, report and export respects it without resolver code. Built
from Core tables on purpose: criteria on ORM entities inside criteria would be
filtered again, recursively.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import with_loader_criteria

from db.models import (
    CUSTOMER_CHILD_MODELS,
    AuditEvent,
    Base,
    Customer,
    Location,
    Order,
    OrderLine,
    ProductExclusiveCustomer,
    SavedView,
    Transaction,
    TransactionAllocation,
)

customers = Customer.__table__
locations = Location.__table__
orders = Order.__table__
transactions = Transaction.__table__


def _overridden(company_id: int, staff_id: int) -> Any:
    return select(locations.c.customer_id).where(
        locations.c.company_id == company_id, locations.c.sales_rep_id == staff_id
    )


def in_own_book(company_id: int, staff_id: int, rep: Any, id_: Any) -> ColumnElement[bool]:
    """A customer row is in the book: its rep is `staff_id`, or a location it overrides."""
    return or_(rep == staff_id, id_.in_(_overridden(company_id, staff_id)))


def book_customer_ids(company_id: int, staff_id: int) -> Any:
    """Ids of the customers in the book of `staff_id`."""
    return select(customers.c.id).where(
        customers.c.company_id == company_id,
        in_own_book(company_id, staff_id, customers.c.sales_rep_id, customers.c.id),
    )


def in_book(company_id: int, staff_id: int, column: ColumnElement[Any]) -> ColumnElement[bool]:
    return column.in_(book_customer_ids(company_id, staff_id))


def book_criteria(company_id: int, staff_id: int) -> list[Any]:
    """Loader criteria limiting every customer-owned model to the rep's book."""
    options = [
        with_loader_criteria(
            Customer,
            lambda cls: in_own_book(company_id, staff_id, cls.sales_rep_id, cls.id),
            include_aliases=True,
        )
    ]
    scoped: tuple[type[Base], ...] = (*CUSTOMER_CHILD_MODELS, AuditEvent, ProductExclusiveCustomer)
    for model in scoped:
        options.append(
            with_loader_criteria(
                model,
                lambda cls: in_book(company_id, staff_id, cls.customer_id),
                include_aliases=True,
            )
        )
    options.append(
        with_loader_criteria(
            OrderLine,
            lambda cls: cls.order_id.in_(
                select(orders.c.id).where(in_book(company_id, staff_id, orders.c.customer_id))
            ),
            include_aliases=True,
        )
    )
    options.append(
        with_loader_criteria(
            TransactionAllocation,
            lambda cls: cls.transaction_id.in_(
                select(transactions.c.id).where(
                    in_book(company_id, staff_id, transactions.c.customer_id)
                )
            ),
            include_aliases=True,
        )
    )
    return options


def deleted_customer_ids(company_id: int) -> Any:
    """Ids of the company's customers in the recycle bin (a partial index holds just them)."""
    return select(customers.c.id).where(
        customers.c.company_id == company_id, customers.c.deleted_at.is_not(None)
    )


def recycle_bin_criteria(company_id: int, *, selecting: bool) -> list[Any]:
    """Loader criteria hiding deleted customers and every row hanging off them.

    The rows under a customer are hidden from SELECTs: UPDATEs and DELETEs reach them by
    ids read first (and the ORM can't evaluate a subquery against the rows it holds).

    Orders and transactions (and so their lines and allocations) never belong to a
    deleted customer: customerDelete refuses customers with any (HAS_ORDERS). Audit
    events stay visible: the log is history, and shows the deletion itself.
    """
    options = [
        with_loader_criteria(Customer, lambda cls: cls.deleted_at.is_(None), include_aliases=True)
    ]
    if not selecting:
        return options
    hidden: tuple[type[Base], ...] = (*CUSTOMER_CHILD_MODELS, ProductExclusiveCustomer)
    for model in hidden:
        options.append(
            with_loader_criteria(
                model,
                lambda cls: cls.customer_id.not_in(deleted_customer_ids(company_id)),
                include_aliases=True,
            )
        )
    return options


def saved_view_criteria(staff_id: int) -> Any:
    """Saved views a staff member may see: the shared ones and their own."""
    return with_loader_criteria(
        SavedView,
        lambda cls: or_(cls.shared.is_(True), cls.owner_id == staff_id),
        include_aliases=True,
    )
