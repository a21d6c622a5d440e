"""The domain enums as GraphQL enums, under the names API.md gives them."""

import enum

import strawberry

from db import enums

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
