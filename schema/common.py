"""Small types several domains share."""

from __future__ import annotations

import strawberry
from strawberry import relay

from db import models
from schema.relay import model_type


@strawberry.type(description="A postal address.")
class Address:
    line1: str | None = strawberry.field(default=None, description="First street line.")
    line2: str | None = strawberry.field(
        default=None, description="Second street line (suite, floor); null when unused."
    )
    city: str | None = strawberry.field(default=None, description="City or town.")
    region: str | None = strawberry.field(default=None, description="State, province or county.")
    postal_code: str | None = strawberry.field(default=None, description="Postal or ZIP code.")
    country: str | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 code.")

    @classmethod
    def from_row(cls, row: object, prefix: str = "") -> Address | None:
        values = {part: getattr(row, prefix + part) for part in models.ADDRESS_PARTS}
        if not any(values.values()):
            return None
        return cls(**values)


@strawberry.input(description="A postal address; omitted parts are cleared.")
class AddressInput:
    line1: str | None = strawberry.field(default=None, description="First street line.")
    line2: str | None = strawberry.field(
        default=None, description="Second street line (suite, floor)."
    )
    city: str | None = strawberry.field(default=None, description="City or town.")
    region: str | None = strawberry.field(default=None, description="State, province or county.")
    postal_code: str | None = strawberry.field(default=None, description="Postal or ZIP code.")
    country: str | None = strawberry.field(
        default=None, description='ISO 3166-1 alpha-2 code, e.g. "US".'
    )


@model_type(models.PaymentTerms, description="When invoices fall due, e.g. Net 30.")
class PaymentTerms(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description='E.g. "Net 30".')
    due_in_days: int = strawberry.field(description="Days from the basis date to the due date.")
