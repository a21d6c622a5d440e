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
for _domain_enum in (
    Role,
    RepVisibility,
    CustomerKind,
    CustomerStatus,
    BillingStatus,
    BasisDate,
    ShippingMethod,
    ProductDisplay,
    Engagement,
    InteractionKind,
    OrderStatus,
    TransactionKind,
    PaymentMethod,
    ListView,
):
    graphql_enum(_domain_enum)


@strawberry.enum
class SortDirection(enum.Enum):
    ASC = "ASC"
    DESC = "DESC"
