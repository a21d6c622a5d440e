"""Customer tags: how many customers carry each tag."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers import tags as resolvers


@strawberry.type(description="A tag and how many customers carry it.")
class TagCount:
    tag: str = strawberry.field(description="The tag, as first spelt.")
    count: int = strawberry.field(description="Customers carrying it.")


@strawberry.type
class Query:
    @strawberry.field(
        description="Every tag on your company's customers with its count, most used first."
    )
    async def customer_tags(self, info: Info) -> list[TagCount]:
        rows = await resolvers.customer_tags(info.context)
        return [TagCount(tag=row.tag, count=row.count) for row in rows]
