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


Role = strawberry.enum(enums.Role)
RepVisibility = strawberry.enum(enums.RepVisibility)
CustomerKind = strawberry.enum(enums.CustomerKind)
CustomerStatus = strawberry.enum(enums.CustomerStatus)
BillingStatus = strawberry.enum(enums.BillingStatus)
BasisDate = strawberry.enum(enums.BasisDate)
ShippingMethod = strawberry.enum(enums.ShippingMethod)
ProductDisplay = strawberry.enum(enums.ProductDisplay)
Engagement = strawberry.enum(enums.Engagement)
InteractionKind = strawberry.enum(enums.InteractionKind)
OrderStatus = strawberry.enum(enums.OrderStatus)
TransactionKind = strawberry.enum(enums.TransactionKind)
PaymentMethod = strawberry.enum(enums.PaymentMethod)
ListView = strawberry.enum(enums.ListView)


@strawberry.enum
class SortDirection(enum.Enum):
    ASC = "ASC"
    DESC = "DESC"
