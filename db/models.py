"""The whole data model. Every row carries company_id; money is integer cents.

Customer and location statistics (order count, sales, balance, last order) are
denormalised onto their rows and maintained in the same transaction as the
writes that change them, so the customer list can sort the whole company by
any stats column with an index instead of aggregating millions of orders.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from db.enums import (
    BasisDate,
    BillingStatus,
    CustomerKind,
    CustomerStatus,
    InteractionKind,
    ListView,
    OrderStatus,
    PaymentMethod,
    ProductDisplay,
    RepVisibility,
    Role,
    ShippingMethod,
    TaskStatus,
    TransactionKind,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in Python, UTC in the database.

    SQLite compares datetimes as text, so values are stored naive-UTC there;
    PostgreSQL gets timestamptz.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_cls: type[enum.Enum]) -> Enum:
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        datetime: UTCDateTime(),
        date: Date(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


class TenantScoped:
    """Rows of one company. The session's tenant filter applies to every subclass."""

    @declared_attr
    def company_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), nullable=False)


class Versioned:
    """Optimistic concurrency: `version` grows on every update (expectedVersion -> STALE)."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, nullable=False)


ADDRESS_PARTS = ("line1", "line2", "city", "region", "postal_code", "country")


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    allow_partial_payments: Mapped[bool] = mapped_column(Boolean, default=True)
    rep_visibility: Mapped[RepVisibility] = mapped_column(
        enum_column(RepVisibility), default=RepVisibility.ALL_CUSTOMERS
    )
    # Next order number; incremented under the write lock / row lock.
    next_order_number: Mapped[int] = mapped_column(Integer, default=1001)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)


class Staff(TenantScoped, Versioned, Timestamped, Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Unique within the company only: another company's staff are none of its business
    # (sign-in names the company when an e-mail is in several; docs/errors-and-honesty.md).
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        Index("ix_staff_company_name", "company_id", "name"),
        UniqueConstraint("company_id", "email", name="uq_staff_company_id_email"),
    )


class AuthToken(TenantScoped, Base):
    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    # Only the SHA-256 of the token is stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class PaymentTerms(TenantScoped, Base):
    __tablename__ = "payment_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    due_in_days: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("company_id", "name"),)


class Customer(TenantScoped, Versioned, Timestamped, Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CustomerKind] = mapped_column(
        enum_column(CustomerKind), default=CustomerKind.BUSINESS
    )
    name: Mapped[str] = mapped_column(String(200))
    # Lower-cased, accent-folded name: case-insensitive sort and search.
    name_key: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    mobile: Mapped[str | None] = mapped_column(String(40))
    fax: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(300))
    # Hundredths of a percent: 12.5 % is 1250.
    discount_bp: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[CustomerStatus] = mapped_column(
        enum_column(CustomerStatus), default=CustomerStatus.ACTIVE
    )
    billing_status: Mapped[BillingStatus] = mapped_column(
        enum_column(BillingStatus), default=BillingStatus.GOOD_STANDING
    )
    payment_terms_id: Mapped[int | None] = mapped_column(
        ForeignKey("payment_terms.id", ondelete="RESTRICT")
    )
    basis_date: Mapped[BasisDate] = mapped_column(
        enum_column(BasisDate), default=BasisDate.INVOICE_DATE
    )
    sales_rep_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    default_shipping_method: Mapped[ShippingMethod] = mapped_column(
        enum_column(ShippingMethod), default=ShippingMethod.SHIPPING
    )
    product_display: Mapped[ProductDisplay] = mapped_column(
        enum_column(ProductDisplay), default=ProductDisplay.STANDARD_AND_EXCLUSIVE
    )
    # None: the company default applies.
    allow_partial_payments: Mapped[bool | None] = mapped_column(Boolean)

    billing_line1: Mapped[str | None] = mapped_column(String(200))
    billing_line2: Mapped[str | None] = mapped_column(String(200))
    billing_city: Mapped[str | None] = mapped_column(String(100))
    billing_region: Mapped[str | None] = mapped_column(String(100))
    billing_postal_code: Mapped[str | None] = mapped_column(String(20))
    billing_country: Mapped[str | None] = mapped_column(String(2))
    shipping_line1: Mapped[str | None] = mapped_column(String(200))
    shipping_line2: Mapped[str | None] = mapped_column(String(200))
    shipping_city: Mapped[str | None] = mapped_column(String(100))
    shipping_region: Mapped[str | None] = mapped_column(String(100))
    shipping_postal_code: Mapped[str | None] = mapped_column(String(20))
    shipping_country: Mapped[str | None] = mapped_column(String(2))

    # Denormalised stats (see module docstring). Invoiced orders only.
    order_count: Mapped[int] = mapped_column(Integer, default=0)
    total_sales_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    last_order_at: Mapped[datetime | None]
    # Ledger: paid = payments + credits - refunds allocated or not (see resolvers.ledger).
    total_paid_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    balance_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    # Σ Transaction.unallocated_cents of the customer's credits (never negative).
    unapplied_credit_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    # None: no credit limit.
    credit_limit_cents: Mapped[int | None] = mapped_column(BigInteger)
    last_interaction_at: Mapped[datetime | None]
    # The customer's id in the system it was imported from (unique in the company).
    external_id: Mapped[str | None] = mapped_column(String(100))
    # Duplicate keys (resolvers/duplicates.py): folded e-mail, phone digits, name without
    # punctuation or legal suffixes; kept in step by resolvers.text's mapper events.
    email_key: Mapped[str | None] = mapped_column(String(254))
    phone_key: Mapped[str | None] = mapped_column(String(40))
    match_name: Mapped[str | None] = mapped_column(String(200))
    # Set by customersMerge on the merged (archived) customers.
    # No foreign keys on these two: SQLite can add a column but not a named constraint
    # without rebuilding `customers`, which would cascade. A survivor that is purged
    # later leaves a dangling id, which `mergedInto` reads as null; staff are never deleted.
    merged_into_id: Mapped[int | None] = mapped_column(Integer)
    # The recycle bin: a deleted customer is hidden by the session hook (db/visibility.py)
    # and purged for good after 30 days (`rolodex purge`).
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        # An index, not a constraint: SQLite adds it without rebuilding the table.
        Index("uq_customers_company_external_id", "company_id", "external_id", unique=True),
        # The recycle bin's few rows: the hook's NOT IN list and deletedCustomers read these.
        Index(
            "ix_customers_deleted",
            "company_id",
            "deleted_at",
            "id",
            sqlite_where=text("deleted_at IS NOT NULL"),
            postgresql_where=text("deleted_at IS NOT NULL"),
        ),
        Index(
            "ix_customers_email_key",
            "company_id",
            "email_key",
            sqlite_where=text("email_key IS NOT NULL"),
            postgresql_where=text("email_key IS NOT NULL"),
        ),
        Index(
            "ix_customers_phone_key",
            "company_id",
            "phone_key",
            sqlite_where=text("phone_key IS NOT NULL"),
            postgresql_where=text("phone_key IS NOT NULL"),
        ),
        Index(
            "ix_customers_match_name",
            "company_id",
            "match_name",
            sqlite_where=text("match_name IS NOT NULL"),
            postgresql_where=text("match_name IS NOT NULL"),
        ),
        Index("ix_customers_company_name", "company_id", "name_key", "id"),
        Index("ix_customers_company_created", "company_id", "created_at", "id"),
        Index("ix_customers_company_rep", "company_id", "sales_rep_id", "name_key"),
        Index("ix_customers_company_status", "company_id", "status"),
        Index("ix_customers_company_sales", "company_id", "total_sales_cents", "id"),
        Index("ix_customers_company_orders", "company_id", "order_count", "id"),
        Index("ix_customers_company_last_order", "company_id", "last_order_at", "id"),
        Index("ix_customers_company_balance", "company_id", "balance_cents", "id"),
        # "Not contacted since" and its sort (migration 0008_book).
        Index("ix_customers_company_last_interaction", "company_id", "last_interaction_at", "id"),
        # Customers holding credit: the aging report's unappliedCredit column (migration 0007).
        Index(
            "ix_customers_unapplied_credit",
            "company_id",
            "id",
            "unapplied_credit_cents",
            sqlite_where=text("unapplied_credit_cents > 0"),
            postgresql_where=text("unapplied_credit_cents > 0"),
        ),
    )


class Location(TenantScoped, Versioned, Timestamped, Base):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    line1: Mapped[str | None] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    # Folded city for search; kept in step by resolvers.text (null: search falls back to lower()).
    city_key: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2))
    # Override of the customer's rep; None inherits it.
    sales_rep_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    order_count: Mapped[int] = mapped_column(Integer, default=0)
    total_sales_cents: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (
        Index("ix_locations_customer", "customer_id", "name_key", "id"),
        Index("ix_locations_company_rep", "company_id", "sales_rep_id"),
    )


class Contact(TenantScoped, Versioned, Timestamped, Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    # Folded name for search; kept in step by resolvers.text (null: search falls back to lower()).
    name_key: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    mobile: Mapped[str | None] = mapped_column(String(40))
    fax: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_contacts_customer", "customer_id", "id"),
        # Exactly one primary per customer, enforced by the database too.
        Index(
            "uq_contacts_one_primary",
            "customer_id",
            unique=True,
            sqlite_where=text("is_primary"),
            postgresql_where=text("is_primary"),
        ),
    )


class Interaction(TenantScoped, Versioned, Base):
    __tablename__ = "interactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"))
    kind: Mapped[InteractionKind] = mapped_column(enum_column(InteractionKind))
    body: Mapped[str] = mapped_column(Text)
    # When it happened (defaults to when it was written); the log and reports use it.
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who was spoken to, and where (migration 0008_book).
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))

    __table_args__ = (
        Index("ix_interactions_company_created", "company_id", "created_at", "id"),
        # customer_id last: the recycle bin's filter (db/visibility.py) reads it, and the
        # report by staff and period stays an index-only scan (migration 0009_data_in).
        Index(
            "ix_interactions_company_author_created",
            "company_id",
            "author_id",
            "created_at",
            "customer_id",
        ),
        Index("ix_interactions_customer_created", "customer_id", "created_at", "id"),
    )


class Attachment(TenantScoped, Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # Where the bytes are, derived from the content hash, never the file name.
    storage_key: Mapped[str] = mapped_column(String(200))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_attachments_customer", "customer_id", "created_at"),
        Index("ix_attachments_storage_key", "storage_key"),
    )


class Product(TenantScoped, Versioned, Timestamped, Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    price_cents: Mapped[int] = mapped_column(BigInteger)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    exclusive: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        UniqueConstraint("company_id", "sku"),
        Index("ix_products_company_name", "company_id", "name"),
    )


class ProductExclusiveCustomer(TenantScoped, Base):
    __tablename__ = "product_exclusive_customers"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )

    __table_args__ = (Index("ix_product_exclusive_customer", "customer_id"),)


class Order(TenantScoped, Versioned, Timestamped, Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    po_number: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[OrderStatus] = mapped_column(enum_column(OrderStatus))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    subtotal_cents: Mapped[int] = mapped_column(BigInteger)
    discount_bp: Mapped[int] = mapped_column(Integer, default=0)
    discount_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    total_cents: Mapped[int] = mapped_column(BigInteger)
    paid_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    # total - paid while invoiced, else 0; stored so "has balance" is an index scan.
    balance_due_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    requires_prepayment: Mapped[bool] = mapped_column(Boolean, default=False)
    due_date: Mapped[date | None]
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    # Line content (sku, product name, description) for order search.
    search_text: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        UniqueConstraint("company_id", "number"),
        Index("ix_orders_company_placed", "company_id", "placed_at", "id"),
        Index("ix_orders_company_created", "company_id", "created_at", "id"),
        Index("ix_orders_customer_placed", "customer_id", "placed_at", "id"),
        Index("ix_orders_company_status", "company_id", "status", "id"),
        Index("ix_orders_company_due", "company_id", "due_date", "id"),
        Index("ix_orders_company_total", "company_id", "total_cents", "id"),
        Index("ix_orders_company_balance", "company_id", "balance_due_cents"),
        Index("ix_orders_company_po", "company_id", "po_number"),
        Index("ix_orders_location", "location_id"),
        # Open orders only, covering the aging report (migration 0005; queries must
        # say `balance_due_cents > 0` with a literal 0 for the index to apply).
        Index(
            "ix_orders_open",
            "company_id",
            "customer_id",
            "due_date",
            "balance_due_cents",
            "status",
            sqlite_where=text("balance_due_cents > 0"),
            postgresql_where=text("balance_due_cents > 0"),
        ),
    )


class OrderLine(TenantScoped, Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    sku: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_cents: Mapped[int] = mapped_column(BigInteger)
    line_total_cents: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_order_lines_order", "order_id", "position"),
        Index("ix_order_lines_product", "product_id"),
    )


class Transaction(TenantScoped, Base):
    __tablename__ = "transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    kind: Mapped[TransactionKind] = mapped_column(enum_column(TransactionKind))
    # Positive except ADJUSTMENT, which may be negative.
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[PaymentMethod | None] = mapped_column(enum_column(PaymentMethod))
    reference: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What is left of a credit (PAYMENT, CREDIT, negative ADJUSTMENT) after its live
    # allocations and the refunds drawn from it; None for REFUND and positive ADJUSTMENT.
    unallocated_cents: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_transactions_company_occurred", "company_id", "occurred_at", "id"),
        Index("ix_transactions_customer_occurred", "customer_id", "occurred_at", "id"),
        # Charges on account (positive adjustments), aged by the aging report (migration
        # 0007; queries repeat the condition with literals for the index to apply).
        Index(
            "ix_transactions_charges",
            "company_id",
            "customer_id",
            "occurred_at",
            "amount_cents",
            "kind",
            sqlite_where=text("kind = 'ADJUSTMENT' AND amount_cents > 0"),
            postgresql_where=text("kind = 'ADJUSTMENT' AND amount_cents > 0"),
        ),
        # Credits with something left: what refunds draw from, oldest first.
        Index(
            "ix_transactions_open_credits",
            "customer_id",
            "occurred_at",
            "id",
            sqlite_where=text("unallocated_cents > 0"),
            postgresql_where=text("unallocated_cents > 0"),
        ),
    )


class RefundDraw(TenantScoped, Base):
    """The part of a credit that a REFUND paid back (refunds draw oldest credits first)."""

    __tablename__ = "refund_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("transactions.id", ondelete="RESTRICT"))
    credit_id: Mapped[int] = mapped_column(ForeignKey("transactions.id", ondelete="RESTRICT"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_refund_draws_refund", "refund_id"),
        Index("ix_refund_draws_credit", "credit_id"),
    )


class IdempotencyKey(TenantScoped, Base):
    """A mutation's idempotency key: its first success, answered again to a retry.

    The unique constraint (not a read before the write) decides which of two concurrent
    retries writes: the other waits for it and then finds its row (resolvers/idempotency.py).
    """

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    operation: Mapped[str] = mapped_column(String(40))
    # SHA-256 of the operation's parsed input: the same key with other input is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    # The row the first success wrote (a Transaction or an Order, by operation).
    result_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("staff_id", "key"),)


class TransactionAllocation(TenantScoped, Base):
    __tablename__ = "transaction_allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("transactions.id", ondelete="RESTRICT"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the order is cancelled: the money returns to customer credit.
    released_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_allocations_transaction", "transaction_id"),
        Index("ix_allocations_order", "order_id"),
    )


class ViewSetting(TenantScoped, Base):
    __tablename__ = "view_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    view: Mapped[ListView] = mapped_column(enum_column(ListView))
    columns: Mapped[list[Any]] = mapped_column(JSON, default=list)
    sort: Mapped[list[Any]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("staff_id", "view"),)


class BulkOperation(TenantScoped, Base):
    __tablename__ = "bulk_operations"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    entity_type: Mapped[str] = mapped_column(String(40))
    input: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    matched_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reverted_at: Mapped[datetime | None]
    reverted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))


class AuditEvent(TenantScoped, Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    # The customer the event concerns, when any: Customer.auditEvents and visibility.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    # field -> [before, after]
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    bulk_operation_id: Mapped[int | None] = mapped_column(
        ForeignKey("bulk_operations.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_audit_company_created", "company_id", "created_at", "id"),
        Index("ix_audit_entity", "entity_type", "entity_id"),
        Index("ix_audit_customer", "customer_id", "created_at"),
        Index("ix_audit_bulk", "bulk_operation_id"),
    )


# Sales rep key of a DailySales row whose orders have no rep (NULL can't be part of the key).
NO_SALES_REP = 0


class DailySales(TenantScoped, Base):
    """Invoiced orders per calendar day (in the company's time zone) and effective sales rep.

    A rollup of `orders` for the sales report: maintained in the same transaction as
    every write that changes it (resolvers.sales_rollup); its definition is
    `rebuild_sales_rollup`. The effective rep is the order's location's rep if the
    location overrides it, else the customer's, as assigned now; NO_SALES_REP (0)
    stands for none (no foreign key: staff rows are never deleted). Rows whose
    orders were all cancelled stay, with order_count 0.
    """

    __tablename__ = "daily_sales"

    day: Mapped[date] = mapped_column(Date)
    sales_rep_id: Mapped[int] = mapped_column(Integer)
    order_count: Mapped[int] = mapped_column(Integer, default=0)
    total_cents: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (PrimaryKeyConstraint("company_id", "day", "sales_rep_id"),)


class Task(TenantScoped, Versioned, Timestamped, Base):
    """A follow-up: something to do for a customer, by someone, by a day (issue 18)."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A plain foreign key: a customer merge moves tasks with one UPDATE.
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    # The interaction whose follow-up this is, when created with one.
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL")
    )
    assignee_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    # A day in the company's time zone; None: no due day.
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[TaskStatus] = mapped_column(enum_column(TaskStatus), default=TaskStatus.OPEN)
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))

    __table_args__ = (
        # The default list (OPEN by due day), a customer's next task and hasOverdueTasks.
        Index("ix_tasks_company_status_due", "company_id", "status", "due_on", "id"),
        Index("ix_tasks_customer_status_due", "customer_id", "status", "due_on", "id"),
        Index("ix_tasks_company_assignee_status", "company_id", "assignee_id", "status", "due_on"),
    )


class CustomerTag(TenantScoped, Base):
    """One tag on one customer; `tag_key` (folded) makes tags case-insensitively unique."""

    __tablename__ = "customer_tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A plain foreign key: a customer merge moves tags with one UPDATE.
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    tag: Mapped[str] = mapped_column(String(40))
    tag_key: Mapped[str] = mapped_column(String(40))

    __table_args__ = (
        UniqueConstraint("customer_id", "tag_key"),
        Index("ix_customer_tags_company_key", "company_id", "tag_key", "customer_id"),
    )


class SavedView(TenantScoped, Versioned, Timestamped, Base):
    """A named view of a list: filter, columns and sort; private to its owner or shared."""

    __tablename__ = "saved_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    view: Mapped[ListView] = mapped_column(enum_column(ListView))
    # The list's filter input, camelCase keys as in GraphQL.
    filter: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    columns: Mapped[list[Any]] = mapped_column(JSON, default=list)
    sort: Mapped[list[Any]] = mapped_column(JSON, default=list)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        UniqueConstraint("owner_id", "view", "name"),
        Index("ix_saved_views_company_view", "company_id", "view", "shared"),
    )


# Models whose rows hang off one customer: the rep-visibility scope follows customer_id.
CUSTOMER_CHILD_MODELS: tuple[type[Base], ...] = (
    Location,
    Contact,
    Interaction,
    Attachment,
    Order,
    Transaction,
    Task,
    CustomerTag,
)

DEFAULT_PAYMENT_TERMS: tuple[tuple[str, int], ...] = (
    ("Due on receipt", 0),
    ("Net 7", 7),
    ("Net 15", 15),
    ("Net 30", 30),
    ("Net 45", 45),
    ("Net 60", 60),
    ("Net 90", 90),
)
