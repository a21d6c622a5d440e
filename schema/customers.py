"""Customers: the profile, the list with stats columns, and their mutations."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from db.enums import ListView
from resolvers import customers as resolvers
from resolvers import recycle_bin
from resolvers.contacts import load_contacts_of_customers, load_primary_contacts
from resolvers.context import loaded, prefetch, then
from resolvers.duplicates import load_possible_duplicates
from resolvers.ledger import load_overdue_cents
from resolvers.loaders import load_customer, load_payment_terms, load_staff
from resolvers.locations import customer_locations_page, load_locations_of_customers
from resolvers.money import bp_to_percent, cents_to_decimal
from resolvers.pagination import PageArgs
from resolvers.tags import load_tags
from schema import interactions as relationship
from schema import tasks as task_fields
from schema import transactions as ledger_fields
from schema.attachments import customer_attachments
from schema.audit import customer_audit_events
from schema.common import Address, AddressInput, PaymentTerms
from schema.contacts import Contact
from schema.enums import (
    BasisDate,
    BillingStatus,
    CustomerKind,
    CustomerStatus,
    Engagement,
    ProductDisplay,
    ShippingMethod,
    SortDirection,
    graphql_enum,
)
from schema.errors import USER_ERRORS, UserError, mutate
from schema.interactions import Interaction
from schema.locations import Location
from schema.lookahead import node_selects, selects
from schema.relay import After, Before, Connection, First, Last, model_type
from schema.saved_views import applied_view
from schema.staff import Staff
from schema.tasks import Task

if TYPE_CHECKING:
    from schema.orders import Order, OrderFilter, OrderSort


@model_type(models.Customer, description="A customer: a business or an individual.")
class Customer(relay.Node):
    id: relay.NodeID[int]
    kind: CustomerKind = strawberry.field(description="A business or a person.")
    name: str = strawberry.field(description="The customer's name.")
    email: str | None = strawberry.field(description="Main e-mail address.")
    phone: str | None = strawberry.field(description="Main phone number.")
    mobile: str | None = strawberry.field(description="Mobile number.")
    fax: str | None = strawberry.field(description="Fax number.")
    website: str | None = strawberry.field(description="Web site address.")
    status: CustomerStatus = strawberry.field(
        description="Where the customer stands in its life cycle."
    )
    billing_status: BillingStatus = strawberry.field(
        description="Whether the customer may order on account."
    )
    basis_date: BasisDate = strawberry.field(
        description="What due dates of its invoices count from."
    )
    default_shipping_method: ShippingMethod = strawberry.field(
        description="How its orders ship unless an order says otherwise."
    )
    product_display: ProductDisplay = strawberry.field(description="Which products it is offered.")
    allow_partial_payments: bool | None = strawberry.field(
        description="The customer's own setting; null means the company default applies."
    )
    created_at: datetime = strawberry.field(description="When the customer was created.")
    updated_at: datetime = strawberry.field(description="When the customer was last changed.")
    version: int = strawberry.field(
        description=(
            "Grows by one with every change; pass it as `expectedVersion` to refuse lost updates."
        )
    )

    @strawberry.field(description='Percentage off every new order by default, e.g. "12.50".')
    def discount_percent(root: strawberry.Parent[models.Customer]) -> Decimal:
        return bp_to_percent(root.discount_bp)

    # Fields read through loaders are sync: they return the value when the page was
    # prefetched (see Query.customers), else an awaitable (resolvers.context.loaded).

    @strawberry.field(
        description="The staff member assigned to the customer; null when unassigned."
    )
    def sales_rep(root: strawberry.Parent[models.Customer], info: Info) -> Staff | None:
        if root.sales_rep_id is None:
            return None
        return loaded(info.context, load_staff, root.sales_rep_id)

    @strawberry.field(description="When its invoices fall due.")
    def payment_terms(root: strawberry.Parent[models.Customer], info: Info) -> PaymentTerms | None:
        if root.payment_terms_id is None:
            return None
        return loaded(info.context, load_payment_terms, root.payment_terms_id)

    @strawberry.field(description="Whether partial payments are allowed, company default applied.")
    async def partial_payments_allowed(
        root: strawberry.Parent[models.Customer], info: Info
    ) -> bool:
        if root.allow_partial_payments is not None:
            return root.allow_partial_payments
        return await resolvers.company_allows_partial_payments(info.context)

    @strawberry.field(description="Where invoices go; null when none is set.")
    def billing_address(root: strawberry.Parent[models.Customer]) -> Address | None:
        return Address.from_row(root, "billing_")

    @strawberry.field(description="Where orders go by default; null when none is set.")
    def shipping_address(root: strawberry.Parent[models.Customer]) -> Address | None:
        return Address.from_row(root, "shipping_")

    # Fields of other domains go below, one section each, so they can grow independently.
    # Each section's resolvers live in that domain's schema module.

    # ------------------------------------------------------------------
    # Customers list (issue 3): stats, locations, contacts, primaryContact
    # ------------------------------------------------------------------

    @strawberry.field(description="Invoiced orders (not DRAFT or CANCELLED).")
    def order_count(root: strawberry.Parent[models.Customer]) -> int:
        return root.order_count

    @strawberry.field(description="Total of the invoiced orders.")
    def total_sales(root: strawberry.Parent[models.Customer]) -> Decimal:
        return cents_to_decimal(root.total_sales_cents)

    @strawberry.field(description="Total sales / order count, to the cent; null without orders.")
    def average_order_total(root: strawberry.Parent[models.Customer]) -> Decimal | None:
        cents = resolvers.average_order_cents(root.total_sales_cents, root.order_count)
        return None if cents is None else cents_to_decimal(cents)

    @strawberry.field(description="When the latest invoiced order was placed.")
    def last_order_at(root: strawberry.Parent[models.Customer]) -> datetime | None:
        return root.last_order_at

    @strawberry.field(description="ENGAGED: an order placed in the last 365 days.")
    def engagement(root: strawberry.Parent[models.Customer], info: Info) -> Engagement:
        cutoff = resolvers.engagement_cutoff(info.context.viewer.company_timezone)
        return resolvers.engagement_of(root.last_order_at, cutoff)

    @strawberry.field(description="This customer's locations, by name.")
    def locations(
        root: strawberry.Parent[models.Customer],
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Location]:
        page = customer_locations_page(info.context, root.id, PageArgs(first, after, last, before))
        return then(page, Connection.from_page)

    @strawberry.field(description="The primary contact first, then oldest first.")
    def contacts(root: strawberry.Parent[models.Customer], info: Info) -> list[Contact]:
        return loaded(info.context, load_contacts_of_customers, root.id)

    @strawberry.field(description="Its primary contact; null when it has no contacts.")
    def primary_contact(root: strawberry.Parent[models.Customer], info: Info) -> Contact | None:
        return loaded(info.context, load_primary_contacts, root.id)

    # ------------------------------------------------------------------
    # Audit trail (issue 3, bulk updates): auditEvents
    # ------------------------------------------------------------------
    audit_events = strawberry.field(
        resolver=customer_audit_events,
        description="Changes to this customer and its locations, newest first.",
    )

    # ------------------------------------------------------------------
    # Interactions (issue 4)
    # ------------------------------------------------------------------
    interactions: Connection[Interaction] = strawberry.field(
        resolver=relationship.customer_interactions, description="Newest first."
    )
    notes: Connection[Interaction] = strawberry.field(
        resolver=relationship.customer_notes, description="The NOTE interactions, newest first."
    )
    last_interaction_at: datetime | None = strawberry.field(
        resolver=relationship.customer_last_interaction_at,
        description="When its latest interaction occurred; null when never contacted.",
    )
    days_since_last_interaction: int | None = strawberry.field(
        resolver=relationship.customer_days_since_last_interaction,
        description="Calendar days in the company's time zone; null if never.",
    )

    # ------------------------------------------------------------------
    # Orders (issue 5)
    # ------------------------------------------------------------------

    @strawberry.field(description="This customer's orders: the root `orders` list within it.")
    async def orders(
        root: strawberry.Parent[models.Customer],
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            Annotated[OrderFilter, strawberry.lazy("schema.orders")] | None,
            strawberry.argument(description="Which orders (the same filter as root `orders`)."),
        ] = None,
        search: Annotated[
            str | None,
            strawberry.argument(description="Matches order number, PO number and line content."),
        ] = None,
        sort: Annotated[
            list[Annotated[OrderSort, strawberry.lazy("schema.orders")]] | None,
            strawberry.argument(
                description="Sort keys, first the most significant (default: newest placedAt first)."
            ),
        ] = None,
    ) -> Connection[Annotated[Order, strawberry.lazy("schema.orders")]]:
        from schema.orders import customer_orders

        return await customer_orders(root, info, first, after, last, before, filter, search, sort)

    # ------------------------------------------------------------------
    # Transactions and balance (issue 6): balance, transactions
    # ------------------------------------------------------------------
    balance = strawberry.field(
        resolver=ledger_fields.customer_balance, description="What the customer owes."
    )
    credit_limit: Decimal | None = strawberry.field(
        resolver=ledger_fields.customer_credit_limit,
        description="How much the customer may owe; null: no limit. Invoicing past it is "
        "CREDIT_LIMIT_EXCEEDED unless an ADMIN or MANAGER overrides.",
    )
    available_credit: Decimal | None = strawberry.field(
        resolver=ledger_fields.customer_available_credit,
        description="The credit limit minus balance.currentBalance (negative: over the limit); null "
        "without a limit.",
    )
    transactions = strawberry.field(
        resolver=ledger_fields.customer_transactions,
        description="The customer's ledger, newest first (occurredAt, then id).",
    )

    # ------------------------------------------------------------------
    # Attachments (issue 7)
    # ------------------------------------------------------------------
    attachments = strawberry.field(resolver=customer_attachments, description="Newest first.")

    # ------------------------------------------------------------------
    # Follow-ups and tags (issue 18)
    # ------------------------------------------------------------------
    tasks: Connection[Task] = strawberry.field(
        resolver=task_fields.customer_tasks,
        description="This customer's follow-ups: OPEN ones by due day (none last), then the "
        "others; ties by id.",
    )
    next_task: Task | None = strawberry.field(
        resolver=task_fields.customer_next_task,
        description="The earliest OPEN follow-up (by due day, none last); null if none.",
    )

    @strawberry.field(description="Tags, alphabetical (case-insensitively).")
    def tags(root: strawberry.Parent[models.Customer], info: Info) -> list[str]:
        return loaded(info.context, load_tags, root.id)

    # Data in, duplicates out, nothing lost (issue 19)
    # ------------------------------------------------------------------
    external_id: str | None = strawberry.field(
        description="The customer's id in the system it was imported from; unique in the "
        "company. Imports update the customer with the same externalId."
    )
    deleted_at: datetime | None = strawberry.field(
        description="When customerDelete put the customer in the recycle bin (null: not "
        "deleted). Only deletedCustomers shows deleted ones."
    )

    @strawberry.field(description="The customer customersMerge merged this one into, if any.")
    def merged_into(root: strawberry.Parent[models.Customer], info: Info) -> Customer | None:
        if root.merged_into_id is None:
            return None
        return loaded(info.context, load_customer, root.merged_into_id)

    @strawberry.field(
        description="Other customers that look like the same one: the same e-mail "
        "(case-insensitive), the same phone digits (the last 10) or the same name once "
        "folded, without punctuation and legal suffixes (Inc, LLC…). Merged ones excluded."
    )
    def possible_duplicates(root: strawberry.Parent[models.Customer], info: Info) -> list[Customer]:
        return loaded(info.context, load_possible_duplicates, root.id)


@strawberry.input(description="Narrows the customer list; archived customers only when asked for.")
class CustomerFilter:
    search: str | None = strawberry.field(
        default=None, description="Part of the name, case- and accent-insensitive."
    )
    statuses: list[CustomerStatus] | None = strawberry.field(
        default=None, description="Without ARCHIVED here, archived customers are left out."
    )
    billing_statuses: list[BillingStatus] | None = strawberry.field(
        default=None, description="Only customers with one of these billing statuses."
    )
    sales_rep_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only customers assigned to one of these staff members."
    )
    engagement: list[Engagement] | None = strawberry.field(
        default=None, description="Only customers with one of these engagements."
    )
    kinds: list[CustomerKind] | None = strawberry.field(
        default=None, description="Only customers of these kinds."
    )
    payment_terms_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only customers with these payment terms."
    )
    has_balance: bool | None = strawberry.field(
        default=None, description="true: customers who owe money; false: those who don't."
    )
    has_sales_rep: bool | None = strawberry.field(
        default=None, description="false: customers nobody is assigned to; true: the others."
    )
    last_interaction_before: date | None = strawberry.field(
        default=None,
        description="Not contacted since this day began (company time zone), or never.",
    )
    not_contacted_for_days: int | None = strawberry.field(
        default=None,
        description="Not contacted in the last this many days (company time zone), or never; "
        "0 to 36500. Unlike lastInteractionBefore it stays relative in a saved view.",
    )
    has_overdue_tasks: bool | None = strawberry.field(
        default=None, description="true: customers with an overdue follow-up; false: without."
    )
    tags: list[str] | None = strawberry.field(
        default=None, description="Customers with any of these tags (case-insensitive)."
    )


CustomerSortField = resolvers.CustomerSortField
graphql_enum(
    CustomerSortField,
    description="What the customers list can be sorted by, over the whole company. CSV "
    "exports and saved views take the same names.",
    value_descriptions={
        CustomerSortField.NAME: "The customer's name.",
        CustomerSortField.CREATED_AT: "When the customer was created.",
        CustomerSortField.TOTAL_SALES: "Total of invoiced orders.",
        CustomerSortField.ORDER_COUNT: "Number of invoiced orders.",
        CustomerSortField.AVERAGE_ORDER_TOTAL: "Average total of invoiced orders.",
        CustomerSortField.LAST_ORDER_AT: (
            "placedAt of the latest invoiced order (none last when descending)."
        ),
        CustomerSortField.BALANCE: "The current balance.",
        CustomerSortField.LAST_INTERACTION_AT: (
            "The latest interaction; never contacted first when ascending."
        ),
    },
)


@strawberry.input(description="One sort key of the customers list; ties are broken by id.")
class CustomerSort:
    field: CustomerSortField = strawberry.field(description="What to sort by.")
    direction: SortDirection = strawberry.field(
        default=SortDirection.ASC, description="Ascending or descending."
    )


TAGS_INPUT = (
    "Tags: trimmed, at most 40 characters each and 20 per customer; case-insensitive "
    "duplicates keep the first spelling."
)
CREDIT_LIMIT_INPUT = (
    "How much the customer may owe (0 or more, at most 2 decimals); null: no limit. ADMIN "
    "or MANAGER only (a REP gets FORBIDDEN)."
)


@strawberry.input(description="The input of `customerCreate`.")
class CustomerCreateInput:
    name: str = strawberry.field(description="The customer's name (required).")
    kind: CustomerKind | None = strawberry.field(
        default=None, description="A business or a person (default BUSINESS)."
    )
    email: str | None = strawberry.field(default=None, description="Main e-mail address.")
    phone: str | None = strawberry.field(default=None, description="Main phone number.")
    mobile: str | None = strawberry.field(default=None, description="Mobile number.")
    fax: str | None = strawberry.field(default=None, description="Fax number.")
    website: str | None = strawberry.field(default=None, description="Web site address.")
    discount_percent: Decimal | None = strawberry.field(
        default=None, description='0 to 100 with at most 2 decimals, e.g. "12.50".'
    )
    status: CustomerStatus | None = strawberry.field(
        default=None, description="Life-cycle status (default ACTIVE)."
    )
    billing_status: BillingStatus | None = strawberry.field(
        default=None, description="Billing status (default GOOD_STANDING)."
    )
    payment_terms_id: strawberry.ID | None = strawberry.field(
        default=None, description="Payment terms (default: the company's first terms)."
    )
    basis_date: BasisDate | None = strawberry.field(
        default=None, description="What due dates count from (default ORDER_DATE)."
    )
    sales_rep_id: strawberry.ID | None = strawberry.field(
        default=None, description="An active staff member."
    )
    default_shipping_method: ShippingMethod | None = strawberry.field(
        default=None, description="Default shipping method."
    )
    product_display: ProductDisplay | None = strawberry.field(
        default=None, description="Which products it is offered."
    )
    allow_partial_payments: bool | None = strawberry.field(
        default=None, description="null: the company default applies."
    )
    billing_address: AddressInput | None = strawberry.field(
        default=None, description="Where invoices go."
    )
    shipping_address: AddressInput | None = strawberry.field(
        default=None, description="Where orders go by default."
    )
    credit_limit: Decimal | None = strawberry.field(default=None, description=CREDIT_LIMIT_INPUT)
    tags: list[str] | None = strawberry.field(default=None, description=TAGS_INPUT)


@strawberry.input(description="Only the fields given change; null clears an optional field.")
class CustomerUpdateInput:
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="The customer's name."
    )
    kind: CustomerKind | None = strawberry.field(
        default=strawberry.UNSET, description="A business or a person."
    )
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="Main e-mail address; null clears it."
    )
    phone: str | None = strawberry.field(
        default=strawberry.UNSET, description="Main phone number; null clears it."
    )
    mobile: str | None = strawberry.field(
        default=strawberry.UNSET, description="Mobile number; null clears it."
    )
    fax: str | None = strawberry.field(
        default=strawberry.UNSET, description="Fax number; null clears it."
    )
    website: str | None = strawberry.field(
        default=strawberry.UNSET, description="Web site address; null clears it."
    )
    discount_percent: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description='Default discount of new orders, e.g. "12.50".'
    )
    status: CustomerStatus | None = strawberry.field(
        default=strawberry.UNSET, description="Life-cycle status."
    )
    billing_status: BillingStatus | None = strawberry.field(
        default=strawberry.UNSET, description="Billing status."
    )
    payment_terms_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Payment terms."
    )
    basis_date: BasisDate | None = strawberry.field(
        default=strawberry.UNSET, description="What due dates count from."
    )
    sales_rep_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="The assigned staff member (active staff only); null unassigns.",
    )
    default_shipping_method: ShippingMethod | None = strawberry.field(
        default=strawberry.UNSET, description="Default shipping method."
    )
    product_display: ProductDisplay | None = strawberry.field(
        default=strawberry.UNSET, description="Which products it is offered."
    )
    allow_partial_payments: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="Whether it may pay orders in part; null: the company default.",
    )
    billing_address: AddressInput | None = strawberry.field(
        default=strawberry.UNSET, description="Where invoices go; null clears it."
    )
    shipping_address: AddressInput | None = strawberry.field(
        default=strawberry.UNSET, description="Where orders go by default; null clears it."
    )
    credit_limit: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description=CREDIT_LIMIT_INPUT
    )
    tags: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description=TAGS_INPUT + " Replaces the tags; [] removes all."
    )
    expected_version: int | None = strawberry.field(
        default=None,
        description=(
            "The version you read; when it is not the current one the change is refused with "
            "STALE and nothing is written."
        ),
    )


@strawberry.type(
    description=(
        "What `customerCreate` answers: the affected object, or userErrors when nothing "
        "was written."
    )
)
class CustomerCreatePayload:
    customer: Customer | None = strawberry.field(
        default=None, description="The customer as it is now; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description=(
        "What `customerUpdate` answers: the affected object, or userErrors when nothing "
        "was written."
    )
)
class CustomerUpdatePayload:
    customer: Customer | None = strawberry.field(
        default=None, description="The customer as it is now; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description=(
        "What `customerArchive` answers: the affected object, or userErrors when nothing "
        "was written."
    )
)
class CustomerArchivePayload:
    customer: Customer | None = strawberry.field(
        default=None, description="The customer as it is now; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description=(
        "What `customerDelete` answers: the deleted object's id, or userErrors when nothing "
        "was deleted."
    )
)
class CustomerDeletePayload:
    deleted_id: strawberry.ID | None = strawberry.field(
        default=None, description="The global id of the deleted customer; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class Query:
    @strawberry.field(description="One customer of your company, or null.")
    async def customer(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(
                description=(
                    "The customer's global id; a malformed id or one of another type is an "
                    "INVALID_ID error."
                )
            ),
        ],
    ) -> Customer | None:
        # The row stands for the type (schema/relay.py model_type).
        return await resolvers.customer_by_global_id(  # type: ignore[return-value]
            info.context, id, with_overdue=selects(info, "balance", "overdueAmount")
        )

    @strawberry.field(
        description="Your company's customers, filtered and sorted over the whole company "
        "(by name unless `sort` says otherwise; ties broken by id)."
    )
    async def customers(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            CustomerFilter | None,
            strawberry.argument(description="Which customers; the conditions combine with AND."),
        ] = None,
        sort: Annotated[
            list[CustomerSort] | None,
            strawberry.argument(
                description="Sort keys, first the most significant (default NAME ASC); ties are "
                "broken by id."
            ),
        ] = None,
        saved_view_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="A CUSTOMERS saved view: its filter and sort apply where `filter` "
                "and `sort` are not given."
            ),
        ] = None,
    ) -> Connection[Customer]:
        filter, sort = await applied_view(info, saved_view_id, ListView.CUSTOMERS, filter, sort)
        page = await resolvers.customers_page(
            info.context, PageArgs(first, after, last, before), filter, sort
        )
        await prefetch_customers(info, page.items)
        return Connection.from_page(page)


async def prefetch_customers(info: Info, customers: list[models.Customer]) -> None:
    """Loads what the selection reads below a page of customers, a statement per kind,
    before GraphQL descends: the rows' fields then resolve without awaiting."""
    context, ids = info.context, [customer.id for customer in customers]
    if node_selects(info, "paymentTerms"):
        await prefetch(context, load_payment_terms, [c.payment_terms_id for c in customers])
    if node_selects(info, "primaryContact"):
        await prefetch(context, load_primary_contacts, ids)
    if node_selects(info, "contacts"):
        await prefetch(context, load_contacts_of_customers, ids)
    if node_selects(info, "balance", "overdueAmount"):
        await prefetch(context, load_overdue_cents, ids)
    if node_selects(info, "locations"):
        # Also primes the staff loader with each location's effective rep (a join).
        await prefetch(context, load_locations_of_customers, ids)
    if node_selects(info, "tags"):
        await prefetch(context, load_tags, ids)
    if node_selects(info, "nextTask"):
        await prefetch(context, task_fields.resolvers.load_next_tasks, ids)
    if node_selects(info, "tasks"):
        await prefetch(context, task_fields.resolvers.load_tasks_of_customers, ids)
    if node_selects(info, "salesRep"):
        # Last: reps already read with the locations need no statement.
        await prefetch(context, load_staff, [customer.sales_rep_id for customer in customers])


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Creates a customer.")
    async def customer_create(
        self,
        info: Info,
        input: Annotated[CustomerCreateInput, strawberry.argument(description="What to write.")],
    ) -> CustomerCreatePayload:
        return await mutate(
            CustomerCreatePayload, lambda: resolvers.customer_create(info.context, input)
        )

    @strawberry.mutation(description="`expectedVersion` guards against lost updates (STALE).")
    async def customer_update(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The global id of the customer to change."),
        ],
        input: Annotated[CustomerUpdateInput, strawberry.argument(description="What to write.")],
    ) -> CustomerUpdatePayload:
        return await mutate(
            CustomerUpdatePayload, lambda: resolvers.customer_update(info.context, id, input)
        )

    @strawberry.mutation(
        description="Sets status ARCHIVED: everything is kept, the customer leaves default lists."
    )
    async def customer_archive(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The global id of the customer to change."),
        ],
    ) -> CustomerArchivePayload:
        return await mutate(
            CustomerArchivePayload, lambda: resolvers.customer_archive(info.context, id)
        )

    @strawberry.mutation(
        description="ADMIN or MANAGER. Moves the customer to the recycle bin with its "
        "contacts, locations, interactions and attachments: hidden everywhere, restorable "
        "with customerRestore for 30 days. Refused (HAS_ORDERS) while orders or "
        "transactions exist."
    )
    async def customer_delete(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The global id of the customer to change."),
        ],
    ) -> CustomerDeletePayload:
        return await mutate(
            CustomerDeletePayload, lambda: recycle_bin.customer_delete(info.context, id)
        )
