"""Root `search`: one box finding customers, contacts, locations and orders."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from resolvers import search as resolvers
from schema.contacts import Contact
from schema.customers import Customer
from schema.locations import Location
from schema.orders import Order

SearchResult = Annotated[
    Customer | Contact | Location | Order,
    strawberry.union("SearchResult", description="Something `search` found."),
]


@strawberry.type
class Query:
    @strawberry.field(
        description="Customers by name, contacts by name, email or phone, locations by name "
        "or city, orders by number or PO number: any part of them, any case, accents "
        "ignored (three characters or more; shorter queries match the start of customer "
        "names and exact order numbers). Best first: exact, then starting with, then "
        f"containing the query; then by name. `first` at most {resolvers.MAX_RESULTS}."
    )
    async def search(
        self,
        info: Info,
        query: Annotated[str, strawberry.argument(description="Text to look for.")],
        first: Annotated[int, strawberry.argument(description="At most this many results.")] = 10,
    ) -> list[SearchResult]:
        return await resolvers.search(info.context, query, first)
