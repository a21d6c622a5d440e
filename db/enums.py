"""Domain enums. Plain Python: the schema exposes them under the same names."""

import enum


class Role(enum.StrEnum):
    ADMIN = "ADMIN"
    MANAGER = "MANAGER"
    REP = "REP"


class RepVisibility(enum.StrEnum):
    ALL_CUSTOMERS = "ALL_CUSTOMERS"
    ASSIGNED_ONLY = "ASSIGNED_ONLY"


class CustomerKind(enum.StrEnum):
    INDIVIDUAL = "INDIVIDUAL"
    BUSINESS = "BUSINESS"


class CustomerStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    PROSPECT = "PROSPECT"
    ARCHIVED = "ARCHIVED"


class BillingStatus(enum.StrEnum):
    GOOD_STANDING = "GOOD_STANDING"
    PAST_DUE = "PAST_DUE"
    CREDIT_HOLD = "CREDIT_HOLD"
    PREPAY_ONLY = "PREPAY_ONLY"


class BasisDate(enum.StrEnum):
    ORDER_DATE = "ORDER_DATE"
    INVOICE_DATE = "INVOICE_DATE"
    DELIVERY_DATE = "DELIVERY_DATE"


class ShippingMethod(enum.StrEnum):
    PICKUP = "PICKUP"
    LOCAL_DELIVERY = "LOCAL_DELIVERY"
    SHIPPING = "SHIPPING"
    FREIGHT = "FREIGHT"


class ProductDisplay(enum.StrEnum):
    STANDARD_AND_EXCLUSIVE = "STANDARD_AND_EXCLUSIVE"
    EXCLUSIVE_ONLY = "EXCLUSIVE_ONLY"


class Engagement(enum.StrEnum):
    ENGAGED = "ENGAGED"
    LAPSED = "LAPSED"
    NEVER_ORDERED = "NEVER_ORDERED"


class InteractionKind(enum.StrEnum):
    VISIT = "VISIT"
    CALL = "CALL"
    TEXT = "TEXT"
    VOICEMAIL = "VOICEMAIL"
    EMAIL = "EMAIL"
    QUOTE = "QUOTE"
    NOTE = "NOTE"
    OTHER = "OTHER"


class OrderStatus(enum.StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    CONFIRMED = "CONFIRMED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


# Orders in these states are invoiced: they count in sales, stats and balances.
INVOICED_ORDER_STATUSES = (
    OrderStatus.SUBMITTED,
    OrderStatus.CONFIRMED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
)


class TransactionKind(enum.StrEnum):
    PAYMENT = "PAYMENT"
    REFUND = "REFUND"
    CREDIT = "CREDIT"
    ADJUSTMENT = "ADJUSTMENT"


class PaymentMethod(enum.StrEnum):
    CASH = "CASH"
    CHECK = "CHECK"
    CARD = "CARD"
    ACH = "ACH"
    WIRE = "WIRE"
    OTHER = "OTHER"


class ListView(enum.StrEnum):
    CUSTOMERS = "CUSTOMERS"
    LOCATIONS = "LOCATIONS"


class TaskStatus(enum.StrEnum):
    OPEN = "OPEN"
    DONE = "DONE"
    CANCELLED = "CANCELLED"
