"""The customer's sales rep: who may be assigned, and the rollup and audit that follow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from db.models import Customer, Staff
from resolvers.audit import apply_changes, record
from resolvers.errors import ErrorCollector, UserErrorCode, UserInputError
from resolvers.ids import parse_id
from resolvers.sales_rollup import customer_rep_changes

if TYPE_CHECKING:
    from resolvers.context import Context


async def customer_set_sales_rep(
    context: Context, customer_id: str, staff_id: str | None
) -> dict[str, Any]:
    """Assigns an active staff member of the company as the customer's rep; None unassigns."""
    viewer = context.viewer
    errors = ErrorCollector(prefix=())
    customer_pk = errors.collect(parse_id, customer_id, "Customer", ("customerId",))
    staff_pk = (
        errors.collect(parse_id, staff_id, "Staff", ("staffId",)) if staff_id is not None else None
    )
    errors.raise_if_any()
    async with context.transaction() as session:
        customer = await session.get(Customer, customer_pk)
        if customer is None:
            raise UserInputError.one(("customerId",), "No such customer.", UserErrorCode.NOT_FOUND)
        if staff_pk is not None:
            staff = await session.get(Staff, staff_pk)
            if staff is None:
                raise UserInputError.one(
                    ("staffId",), "No such staff member.", UserErrorCode.NOT_FOUND
                )
            if not staff.active:
                raise UserInputError.one(
                    ("staffId",),
                    f"{staff.name} is no longer active and cannot be assigned as sales rep.",
                    UserErrorCode.INACTIVE_STAFF,
                )
        await customer_rep_changes(session, customer, staff_pk)
        changes = apply_changes(customer, {"sales_rep_id": staff_pk})
        if changes:
            record(
                session,
                viewer,
                "customer.set_sales_rep",
                customer,
                changes,
                customer_id=customer.id,
            )
    return {"customer": customer}
