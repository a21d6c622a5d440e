"""The domain enums as GraphQL enums, under the names API.md gives them."""

import enum
from collections.abc import Mapping
from typing import Any, TypeVar

import strawberry

from db import enums

E = TypeVar("E")


def describe_values(graphql_enum: E, descriptions: Mapping[Any, str]) -> E:
    """Gives values of a strawberry enum over a plain Python enum their descriptions
    (`descriptions`: member or value -> text)."""
    by_value = {getattr(key, "value", key): text for key, text in descriptions.items()}
    for value in graphql_enum.__strawberry_definition__.values:  # type: ignore[attr-defined]
        if value.value in by_value:
            value.description = by_value[value.value]
    return graphql_enum


Role = describe_values(
    strawberry.enum(enums.Role, description="What a staff member may do."),
    {
        enums.Role.ADMIN: "Everything, including staff and company settings.",
        enums.Role.MANAGER: "Everything about customers and money; not staff or company settings.",
        enums.Role.REP: (
            "A sales rep: their customers, interactions and orders; no refunds or adjustments."
        ),
    },
)
RepVisibility = describe_values(
    strawberry.enum(enums.RepVisibility, description="Which customers a REP sees in the company."),
    {
        enums.RepVisibility.ALL_CUSTOMERS: "Every customer of the company.",
        enums.RepVisibility.ASSIGNED_ONLY: "Only the customers (and locations) assigned to them.",
    },
)
CustomerKind = describe_values(
    strawberry.enum(enums.CustomerKind, description="A business or a person."),
    {
        enums.CustomerKind.INDIVIDUAL: "A person.",
        enums.CustomerKind.BUSINESS: "A company or organisation.",
    },
)
CustomerStatus = describe_values(
    strawberry.enum(
        enums.CustomerStatus, description="Where the customer stands in its life cycle."
    ),
    {
        enums.CustomerStatus.ACTIVE: "A current customer.",
        enums.CustomerStatus.INACTIVE: "No longer buying, kept for history.",
        enums.CustomerStatus.PROSPECT: "Not a customer yet.",
        enums.CustomerStatus.ARCHIVED: "Retired: no new orders (e.g. merged into another customer).",
    },
)
BillingStatus = describe_values(
    strawberry.enum(enums.BillingStatus, description="Whether the customer may order on account."),
    {
        enums.BillingStatus.GOOD_STANDING: "Orders as usual.",
        enums.BillingStatus.PAST_DUE: "Has overdue invoices; may still order.",
        enums.BillingStatus.CREDIT_HOLD: "No new orders until the hold is lifted.",
        enums.BillingStatus.PREPAY_ONLY: "Orders are confirmed only once fully paid.",
    },
)
BasisDate = describe_values(
    strawberry.enum(enums.BasisDate, description="The date an invoice's due date counts from."),
    {
        enums.BasisDate.ORDER_DATE: "From the day the order was placed (`placedAt`).",
        enums.BasisDate.INVOICE_DATE: "From the day the order was invoiced (moved to SUBMITTED).",
        enums.BasisDate.DELIVERY_DATE: "From the day the order was delivered.",
    },
)
ShippingMethod = describe_values(
    strawberry.enum(enums.ShippingMethod, description="How orders reach the customer by default."),
    {
        enums.ShippingMethod.PICKUP: "The customer collects.",
        enums.ShippingMethod.LOCAL_DELIVERY: "Delivered by the seller.",
        enums.ShippingMethod.SHIPPING: "Sent by parcel carrier.",
        enums.ShippingMethod.FREIGHT: "Sent by freight carrier.",
    },
)
ProductDisplay = describe_values(
    strawberry.enum(
        enums.ProductDisplay, description="Which products the customer is offered when ordering."
    ),
    {
        enums.ProductDisplay.STANDARD_AND_EXCLUSIVE: "The catalogue plus products exclusive to this customer.",
        enums.ProductDisplay.EXCLUSIVE_ONLY: "Only products exclusive to this customer.",
    },
)
Engagement = describe_values(
    strawberry.enum(
        enums.Engagement,
        description="Whether the customer has ordered recently (placedAt of its invoiced orders).",
    ),
    {
        enums.Engagement.ENGAGED: "An order in the last 365 days.",
        enums.Engagement.LAPSED: "Orders, but none in the last 365 days.",
        enums.Engagement.NEVER_ORDERED: "No invoiced order ever.",
    },
)
InteractionKind = describe_values(
    strawberry.enum(
        enums.InteractionKind, description="How the contact with the customer happened."
    ),
    {
        enums.InteractionKind.VISIT: "An in-person visit.",
        enums.InteractionKind.CALL: "A phone call.",
        enums.InteractionKind.TEXT: "A text message.",
        enums.InteractionKind.VOICEMAIL: "A voicemail left or received.",
        enums.InteractionKind.EMAIL: "An e-mail.",
        enums.InteractionKind.QUOTE: "A quote sent.",
        enums.InteractionKind.NOTE: "An internal note (listed again under `Customer.notes`).",
        enums.InteractionKind.OTHER: "Anything else.",
    },
)
OrderStatus = describe_values(
    strawberry.enum(
        enums.OrderStatus,
        description=(
            "Where the order is in its life cycle. SUBMITTED, CONFIRMED, SHIPPED and "
            "DELIVERED orders are invoiced: they count in sales, stats and balances."
        ),
    ),
    {
        enums.OrderStatus.DRAFT: "Being written; not invoiced.",
        enums.OrderStatus.SUBMITTED: "Invoiced: the customer owes it.",
        enums.OrderStatus.CONFIRMED: "Accepted by the seller (prepay customers: once fully paid).",
        enums.OrderStatus.SHIPPED: "On its way.",
        enums.OrderStatus.DELIVERED: "Delivered.",
        enums.OrderStatus.CANCELLED: "Cancelled: no longer owed.",
    },
)
TransactionKind = describe_values(
    strawberry.enum(
        enums.TransactionKind,
        description="What a ledger transaction does to the customer's balance.",
    ),
    {
        enums.TransactionKind.PAYMENT: "Money received: lowers the balance; may pay orders.",
        enums.TransactionKind.REFUND: "Money paid back: draws on unapplied credit.",
        enums.TransactionKind.CREDIT: "A credit note: lowers the balance; may pay orders.",
        enums.TransactionKind.ADJUSTMENT: (
            "A correction: positive raises the balance, negative lowers it (and may write off "
            "part of orders)."
        ),
    },
)
PaymentMethod = describe_values(
    strawberry.enum(enums.PaymentMethod, description="How money was paid or refunded."),
    {
        enums.PaymentMethod.CASH: "Cash.",
        enums.PaymentMethod.CHECK: "A cheque.",
        enums.PaymentMethod.CARD: "A payment card.",
        enums.PaymentMethod.ACH: "An ACH bank transfer.",
        enums.PaymentMethod.WIRE: "A wire transfer.",
        enums.PaymentMethod.OTHER: "Anything else.",
    },
)
ListView = describe_values(
    strawberry.enum(
        enums.ListView, description="A list whose columns and sort staff can choose and save."
    ),
    {
        enums.ListView.CUSTOMERS: "The customers list (`customers`, /export/customers.csv).",
        enums.ListView.LOCATIONS: "The locations list (`locations`).",
    },
)


@strawberry.enum(description="Ascending or descending.")
class SortDirection(enum.Enum):
    ASC = strawberry.enum_value("ASC", description="Smallest, earliest or A first.")
    DESC = strawberry.enum_value("DESC", description="Largest, latest or Z first.")
