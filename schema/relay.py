"""Relay conventions shared by every domain: Node types, global ids, connections."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import strawberry
from strawberry import relay

from db.models import Base
from resolvers.pagination import Page
from schema.planner import INFO_FREE

NodeType = TypeVar("NodeType")

# GraphQL type name -> model, for node(id:) and nodes(ids:).
NODE_MODELS: dict[str, type[Base]] = {}


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


@strawberry.type
class Edge(Generic[NodeType]):
    cursor: str
    node: NodeType


@strawberry.type(description="A page of a list: Relay cursor connection with a total count.")
class Connection(Generic[NodeType]):
    edges: list[Edge[NodeType]]
    nodes: list[NodeType]
    page_info: relay.PageInfo
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
