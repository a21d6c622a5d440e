"""The domain enums as GraphQL enums, under the names API.md gives them."""

import enum
from collections.abc import Mapping
from typing import Any

import strawberry

from db import enums


def graphql_enum(
    python_enum: type[enum.Enum],
    *,
    name: str | None = None,
    description: str | None = None,
    value_descriptions: Mapping[Any, str] | None = None,
) -> None:
    """Makes a domain enum a GraphQL enum (strawberry marks the class itself), with
    descriptions for its values (`value_descriptions`: member or value -> text).

    Schema modules then name the domain class (`Role = enums.Role`): an alias of a class
    is a type to a checker, the result of a call is not."""
    strawberry.enum(python_enum, name=name, description=description)
    by_value = {
        getattr(key, "value", key): text for key, text in (value_descriptions or {}).items()
    }
    for value in python_enum.__strawberry_definition__.values:  # type: ignore[attr-defined]
        if value.value in by_value:
            value.description = by_value[value.value]


Role = enums.Role
RepVisibility = enums.RepVisibility
CustomerKind = enums.CustomerKind
CustomerStatus = enums.CustomerStatus
BillingStatus = enums.BillingStatus
BasisDate = enums.BasisDate
ShippingMethod = enums.ShippingMethod
ProductDisplay = enums.ProductDisplay
Engagement = enums.Engagement
InteractionKind = enums.InteractionKind
OrderStatus = enums.OrderStatus
TransactionKind = enums.TransactionKind
PaymentMethod = enums.PaymentMethod
ListView = enums.ListView
graphql_enum(
    Role,
    description="What a staff member may do.",
    value_descriptions={
        Role.ADMIN: "Everything, including staff and company settings.",
        Role.MANAGER: "Everything about customers and money; not staff or company settings.",
        Role.REP: (
            "A sales rep: their customers, interactions and orders; no refunds or adjustments."
        ),
    },
)
graphql_enum(
    RepVisibility,
    description="Which customers a REP sees in the company.",
    value_descriptions={
        RepVisibility.ALL_CUSTOMERS: "Every customer of the company.",
        RepVisibility.ASSIGNED_ONLY: "Only the customers (and locations) assigned to them.",
    },
)
graphql_enum(
    CustomerKind,
    description="A business or a person.",
    value_descriptions={
        CustomerKind.INDIVIDUAL: "A person.",
        CustomerKind.BUSINESS: "A company or organisation.",
    },
)
graphql_enum(
    CustomerStatus,
    description="Where the customer stands in its life cycle.",
    value_descriptions={
        CustomerStatus.ACTIVE: "A current customer.",
        CustomerStatus.INACTIVE: "No longer buying, kept for history.",
        CustomerStatus.PROSPECT: "Not a customer yet.",
        CustomerStatus.ARCHIVED: "Retired: no new orders (e.g. merged into another customer).",
    },
)
graphql_enum(
    BillingStatus,
    description="Whether the customer may order on account.",
    value_descriptions={
        BillingStatus.GOOD_STANDING: "Orders as usual.",
        BillingStatus.PAST_DUE: "Has overdue invoices; may still order.",
        BillingStatus.CREDIT_HOLD: "No new orders until the hold is lifted.",
        BillingStatus.PREPAY_ONLY: "Orders are confirmed only once fully paid.",
    },
)
graphql_enum(
    BasisDate,
    description="The date an invoice's due date counts from.",
    value_descriptions={
        BasisDate.ORDER_DATE: "From the day the order was placed (`placedAt`).",
        BasisDate.INVOICE_DATE: "From the day the order was invoiced (moved to SUBMITTED).",
        BasisDate.DELIVERY_DATE: "From the day the order was delivered.",
    },
)
graphql_enum(
    ShippingMethod,
    description="How orders reach the customer by default.",
    value_descriptions={
        ShippingMethod.PICKUP: "The customer collects.",
        ShippingMethod.LOCAL_DELIVERY: "Delivered by the seller.",
        ShippingMethod.SHIPPING: "Sent by parcel carrier.",
        ShippingMethod.FREIGHT: "Sent by freight carrier.",
    },
)
graphql_enum(
    ProductDisplay,
    description="Which products the customer is offered when ordering.",
    value_descriptions={
        ProductDisplay.STANDARD_AND_EXCLUSIVE: "The catalogue plus products exclusive to this customer.",
        ProductDisplay.EXCLUSIVE_ONLY: "Only products exclusive to this customer.",
    },
)
graphql_enum(
    Engagement,
    description="Whether the customer has ordered recently (placedAt of its invoiced orders).",
    value_descriptions={
        Engagement.ENGAGED: "An order in the last 365 days.",
        Engagement.LAPSED: "Orders, but none in the last 365 days.",
        Engagement.NEVER_ORDERED: "No invoiced order ever.",
    },
)
graphql_enum(
    InteractionKind,
    description="How the contact with the customer happened.",
    value_descriptions={
        InteractionKind.VISIT: "An in-person visit.",
        InteractionKind.CALL: "A phone call.",
        InteractionKind.TEXT: "A text message.",
        InteractionKind.VOICEMAIL: "A voicemail left or received.",
        InteractionKind.EMAIL: "An e-mail.",
        InteractionKind.QUOTE: "A quote sent.",
        InteractionKind.NOTE: "An internal note (listed again under `Customer.notes`).",
        InteractionKind.OTHER: "Anything else.",
    },
)
graphql_enum(
    OrderStatus,
    description="Where the order is in its life cycle. SUBMITTED, CONFIRMED, SHIPPED and "
    "DELIVERED orders are invoiced: they count in sales, stats and balances.",
    value_descriptions={
        OrderStatus.DRAFT: "Being written; not invoiced.",
        OrderStatus.SUBMITTED: "Invoiced: the customer owes it.",
        OrderStatus.CONFIRMED: "Accepted by the seller (prepay customers: once fully paid).",
        OrderStatus.SHIPPED: "On its way.",
        OrderStatus.DELIVERED: "Delivered.",
        OrderStatus.CANCELLED: "Cancelled: no longer owed.",
    },
)
graphql_enum(
    TransactionKind,
    description="What a ledger transaction does to the customer's balance.",
    value_descriptions={
        TransactionKind.PAYMENT: "Money received: lowers the balance; may pay orders.",
        TransactionKind.REFUND: "Money paid back: draws on unapplied credit.",
        TransactionKind.CREDIT: "A credit note: lowers the balance; may pay orders.",
        TransactionKind.ADJUSTMENT: (
            "A correction: positive raises the balance, negative lowers it (and may write off "
            "part of orders)."
        ),
    },
)
graphql_enum(
    PaymentMethod,
    description="How money was paid or refunded.",
    value_descriptions={
        PaymentMethod.CASH: "Cash.",
        PaymentMethod.CHECK: "A cheque.",
        PaymentMethod.CARD: "A payment card.",
        PaymentMethod.ACH: "An ACH bank transfer.",
        PaymentMethod.WIRE: "A wire transfer.",
        PaymentMethod.OTHER: "Anything else.",
    },
)
graphql_enum(
    ListView,
    description="A list whose columns and sort staff can choose and save.",
    value_descriptions={
        ListView.CUSTOMERS: "The customers list (`customers`, /export/customers.csv).",
        ListView.LOCATIONS: "The locations list (`locations`).",
    },
)


@strawberry.enum(description="Ascending or descending.")
class SortDirection(enum.Enum):
    ASC = strawberry.enum_value("ASC", description="Smallest, earliest or A first.")
    DESC = strawberry.enum_value("DESC", description="Largest, latest or Z first.")
