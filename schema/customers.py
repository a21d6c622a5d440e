"""Customers: the profile, the list with stats columns, and their mutations."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers import customers as resolvers
from resolvers.loaders import load_payment_terms, load_staff
from resolvers.money import bp_to_percent
from schema.audit import customer_audit_events
from schema.common import Address, PaymentTerms
from schema.enums import (
    BasisDate,
    BillingStatus,
    CustomerKind,
    CustomerStatus,
    ProductDisplay,
    ShippingMethod,
)
from schema.relay import model_type
from schema.staff import Staff


@model_type(models.Customer, description="A customer: a business or an individual.")
class Customer(relay.Node):
    id: relay.NodeID[int]
    kind: CustomerKind
    name: str
    email: str | None
    phone: str | None
    mobile: str | None
    fax: str | None
    website: str | None
    status: CustomerStatus
    billing_status: BillingStatus
    basis_date: BasisDate
    default_shipping_method: ShippingMethod
    product_display: ProductDisplay
    allow_partial_payments: bool | None = strawberry.field(
        description="The customer's own setting; null means the company default applies."
    )
    created_at: datetime
    updated_at: datetime
    version: int

    @strawberry.field(description='Percentage off every new order by default, e.g. "12.50".')
    def discount_percent(self) -> Decimal:
        return bp_to_percent(self.discount_bp)

    @strawberry.field
    async def sales_rep(self, info: Info) -> Staff | None:
        if self.sales_rep_id is None:
            return None
        return await info.context.loaders[load_staff].load(self.sales_rep_id)

    @strawberry.field
    async def payment_terms(self, info: Info) -> PaymentTerms | None:
        if self.payment_terms_id is None:
            return None
        return await info.context.loaders[load_payment_terms].load(self.payment_terms_id)

    @strawberry.field(description="Whether partial payments are allowed, company default applied.")
    async def partial_payments_allowed(self, info: Info) -> bool:
        if self.allow_partial_payments is not None:
            return self.allow_partial_payments
        return await resolvers.company_allows_partial_payments(info.context)

    @strawberry.field
    def billing_address(self) -> Address | None:
        return Address.from_row(self, "billing_")

    @strawberry.field
    def shipping_address(self) -> Address | None:
        return Address.from_row(self, "shipping_")

    # Fields of other domains go below, one section each, so they can grow independently.
    # Each section's resolvers live in that domain's schema module.

    # ------------------------------------------------------------------
    # Customers list (issue 3): stats, locations, contacts, primaryContact
    # ------------------------------------------------------------------

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

    # ------------------------------------------------------------------
    # Orders (issue 5)
    # ------------------------------------------------------------------

    # ------------------------------------------------------------------
    # Transactions and balance (issue 6): balance, transactions
    # ------------------------------------------------------------------

    # ------------------------------------------------------------------
    # Attachments (issue 7)
    # ------------------------------------------------------------------


@strawberry.type
class Query:
    @strawberry.field(description="One customer of your company, or null.")
    async def customer(self, info: Info, id: strawberry.ID) -> Customer | None:
        return await resolvers.customer_by_global_id(info.context, id)
