"""Relay conventions shared by every domain: Node types, global ids, connections."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from strawberry import relay

from db.models import Base
from resolvers.pagination import Page
from schema.planner import INFO_FREE

NodeType = TypeVar("NodeType")

# The pagination arguments of every connection, described once.
First = Annotated[
    int | None,
    strawberry.argument(
        description="Page forward: at most this many items after `after` (default 50, at most 250)."
    ),
]
After = Annotated[
    str | None,
    strawberry.argument(description="Start after this cursor (from `edges.cursor` or `pageInfo`)."),
]
Last = Annotated[
    int | None,
    strawberry.argument(description="Page backward: at most this many items before `before`."),
]
Before = Annotated[
    str | None,
    strawberry.argument(description="End before this cursor (from `edges.cursor` or `pageInfo`)."),
]

# GraphQL type name -> model, for node(id:) and nodes(ids:).
NODE_MODELS: dict[str, type[Base]] = {}
# Node types that are not the row itself (CustomerBalance of a Customer): row -> object.
NODE_BUILDERS: dict[str, Callable[[Any], Any]] = {}


def model_type(model: type[Base], *, name: str | None = None, description: str | None = None):
    """A Strawberry object type whose values are rows of `model`.

    Resolvers return ORM rows directly (no copying into dataclasses); `is_type_of`
    lets interfaces and unions tell which type a row is.
    """

    def is_type_of(_cls: type, obj: Any, _info: Any) -> bool:
        return isinstance(obj, model)

    setattr(is_type_of, INFO_FREE, True)  # schema/planner.py may pass no info

    def wrap(cls: type) -> type:
        # Strawberry reads is_type_of off the class.
        cls.is_type_of = classmethod(is_type_of)  # type: ignore[attr-defined]
        wrapped = strawberry.type(cls, name=name, description=description)
        if issubclass(cls, relay.Node):
            NODE_MODELS[name or cls.__name__] = model
        return wrapped

    return wrap


@strawberry.type(description="One item of a page, with the cursor that points at it.")
class Edge(Generic[NodeType]):
    cursor: str = strawberry.field(
        description="Opaque; pass it as `after` or `before` to page from this item. Valid only "
        "for the list and sort it came from."
    )
    node: NodeType = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list: Relay cursor connection with a total count.")
class Connection(Generic[NodeType]):
    edges: list[Edge[NodeType]] = strawberry.field(
        description="The page's items with their cursors, in the list's order."
    )
    nodes: list[NodeType] = strawberry.field(
        description="The page's items without cursors (the same as `edges { node }`)."
    )
    page_info: relay.PageInfo = strawberry.field(
        description="Whether there are pages before or after this one, and where they start."
    )
    _count: strawberry.Private[Callable[[], Awaitable[int] | int]]

    @strawberry.field(description="How many items the whole list holds (all pages).")
    def total_count(self) -> int:
        # Sync so a count known without a query (a list loaded whole) costs no coroutine.
        return self._count()  # type: ignore[return-value]

    @classmethod
    def from_page(cls, page: Page[Any]) -> Connection[Any]:
        return cls(
            edges=[
                Edge(cursor=cursor, node=item)
                for cursor, item in zip(page.cursors, page.items, strict=True)
            ],
            nodes=page.items,
            page_info=relay.PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=page.start_cursor,
                end_cursor=page.end_cursor,
            ),
            _count=page.count,
        )
