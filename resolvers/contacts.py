"""Contacts: the people at a customer; exactly one of them is primary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import UNSET

from db.models import Contact, Customer
from resolvers.audit import apply_changes, creation_changes, record, snapshot
from resolvers.errors import ErrorCollector, UserErrorCode, UserInputError
from resolvers.ids import parse_id
from resolvers.validation import check_version, clean_email, clean_phone, clean_text

if TYPE_CHECKING:
    from resolvers.context import Context

NOTES_MAX_LENGTH = 5000


async def load_contacts_of_customers(
    context: Context, customer_ids: Sequence[int]
) -> list[list[Contact]]:
    """Each customer's contacts, the primary first, then oldest first: one statement."""
    by_customer: dict[int, list[Contact]] = {pk: [] for pk in customer_ids}
    result = await context.session.execute(
        select(Contact)
        .where(Contact.customer_id.in_(set(customer_ids)))
        .order_by(Contact.is_primary.desc(), Contact.created_at, Contact.id)
    )
    for contact in result.scalars():
        by_customer[contact.customer_id].append(contact)
    return [by_customer[pk] for pk in customer_ids]


async def load_primary_contacts(
    context: Context, customer_ids: Sequence[int]
) -> list[Contact | None]:
    """Each customer's primary contact (or None): one statement for a whole page."""
    result = await context.session.execute(
        select(Contact).where(Contact.customer_id.in_(set(customer_ids)), Contact.is_primary)
    )
    primaries = {contact.customer_id: contact for contact in result.scalars()}
    return [primaries.get(pk) for pk in customer_ids]


def _contact_values(errors: ErrorCollector, input: Any, *, creating: bool) -> dict[str, Any]:
    def given(name: str) -> bool:
        return getattr(input, name, UNSET) is not UNSET

    values: dict[str, Any] = {}
    if creating or given("name"):
        name = clean_text(errors, "name", input.name, required=True)
        if name:
            values["name"] = name
    if given("title"):
        values["title"] = clean_text(errors, "title", input.title)
    if given("email"):
        values["email"] = clean_email(errors, "email", input.email)
    for phone_field in ("phone", "mobile", "fax"):
        if given(phone_field):
            values[phone_field] = clean_phone(errors, phone_field, getattr(input, phone_field))
    if given("notes"):
        values["notes"] = clean_text(errors, "notes", input.notes, max_length=NOTES_MAX_LENGTH)
    return values


async def _lock_customer(session: AsyncSession, customer_id: int, field: Sequence[str]) -> Customer:
    """The customer, row-locked on PostgreSQL so concurrent primary flips queue up
    (SQLite already has one writer at a time)."""
    customer = (
        await session.execute(select(Customer).where(Customer.id == customer_id).with_for_update())
    ).scalar_one_or_none()
    if customer is None:
        raise UserInputError.one(field, "No such customer.", UserErrorCode.NOT_FOUND)
    return customer


async def _current_primary(session: AsyncSession, customer_id: int) -> Contact | None:
    return (
        await session.execute(
            select(Contact).where(Contact.customer_id == customer_id, Contact.is_primary)
        )
    ).scalar_one_or_none()


async def get_contact(session: AsyncSession, id: str) -> Contact:
    contact = await session.get(Contact, parse_id(id, "Contact", "id"))
    if contact is None:
        raise UserInputError.one("id", "No such contact.", UserErrorCode.NOT_FOUND)
    await _lock_customer(session, contact.customer_id, ("id",))
    return contact


async def contact_create(context: Context, input: Any) -> dict[str, Any]:
    viewer = context.viewer
    errors = ErrorCollector()
    values = _contact_values(errors, input, creating=True)
    customer_pk = parse_id(input.customer_id, "Customer", ("input", "customerId"))
    async with context.transaction() as session:
        customer = await _lock_customer(session, customer_pk, ("input", "customerId"))
        errors.raise_if_any()
        # The first contact of a customer becomes its primary.
        is_primary = await _current_primary(session, customer.id) is None
        contact = Contact(
            company_id=viewer.company_id, customer_id=customer.id, is_primary=is_primary, **values
        )
        session.add(contact)
        await session.flush()
        changes = creation_changes(values)
        if is_primary:
            changes["is_primary"] = [None, True]
        record(session, viewer, "contact.create", contact, changes, customer_id=customer.id)
    return {"contact": contact}


async def contact_update(context: Context, id: str, input: Any) -> dict[str, Any]:
    viewer = context.viewer
    errors = ErrorCollector()
    values = _contact_values(errors, input, creating=False)
    async with context.transaction() as session:
        contact = await get_contact(session, id)
        await check_version(session, contact, input.expected_version)
        errors.raise_if_any()
        changes = apply_changes(contact, values)
        if changes:
            record(
                session, viewer, "contact.update", contact, changes, customer_id=contact.customer_id
            )
    return {"contact": contact}


async def contact_set_primary(context: Context, id: str) -> dict[str, Any]:
    viewer = context.viewer
    async with context.transaction() as session:
        contact = await get_contact(session, id)
        previous = await _current_primary(session, contact.customer_id)
        if previous is not None and previous.id != contact.id:
            # Unset the old primary first: the partial unique index allows one at a time.
            previous.is_primary = False
            await session.flush()
            record(
                session,
                viewer,
                "contact.update",
                previous,
                {"is_primary": [True, False]},
                customer_id=contact.customer_id,
            )
        if not contact.is_primary:
            contact.is_primary = True
            record(
                session,
                viewer,
                "contact.setPrimary",
                contact,
                {"is_primary": [False, True]},
                customer_id=contact.customer_id,
            )
    return {"contact": contact}


async def contact_delete(context: Context, id: str) -> dict[str, Any]:
    viewer = context.viewer
    async with context.transaction() as session:
        contact = await get_contact(session, id)
        record(
            session,
            viewer,
            "contact.delete",
            contact,
            snapshot(contact, ("name", "email", "is_primary")),
            customer_id=contact.customer_id,
        )
        await session.delete(contact)
        await session.flush()
        if contact.is_primary:
            # The oldest remaining contact takes over as primary.
            successor = (
                await session.execute(
                    select(Contact)
                    .where(Contact.customer_id == contact.customer_id)
                    .order_by(Contact.created_at, Contact.id)
                    .limit(1)
                )
            ).scalar_one_or_none()
            if successor is not None:
                successor.is_primary = True
                record(
                    session,
                    viewer,
                    "contact.update",
                    successor,
                    {"is_primary": [False, True]},
                    customer_id=contact.customer_id,
                )
    return {"deleted_id": id}
