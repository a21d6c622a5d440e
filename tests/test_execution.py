"""schema.execution: plain leaf fields answer exactly as graphql-core's regular path does."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any

import strawberry

from schema.execution import _PLAIN, PlainFieldsExecutionContext
from schema.scalars import SCALAR_MAP


@strawberry.enum
class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Broken:
    @property
    def label(self) -> str:
        raise ValueError("no label")


@strawberry.type
class Item:
    name: str
    count: int
    price: Decimal
    color: Color
    note: str | None = None
    label: str = strawberry.field(name="label", default="")

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.name.upper() * times


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return [
            Item(name="a", count=1, price=Decimal("1.5"), color=Color.RED),
            Item(name="b", count=2, price=Decimal("2"), color=Color.BLUE, note="n"),
        ]

    @strawberry.field
    def bad(self) -> list[Item]:
        item: Any = Item(name="c", count=3, price=Decimal("3"), color=Color.RED)
        item.count = None  # a null in a non-null plain field
        return [item]

    @strawberry.field
    def broken(self) -> Item:
        return Broken()  # type: ignore[return-value]


def run(query: str, plain: bool) -> Any:
    schema = strawberry.Schema(
        query=Query,
        config=strawberry.schema.config.StrawberryConfig(scalar_map=SCALAR_MAP),
        execution_context_class=PlainFieldsExecutionContext if plain else None,
    )
    result = schema.execute_sync(query)
    errors = [(e.message, e.path) for e in result.errors or []]
    return result.data, errors


def test_same_answers_and_errors_as_the_regular_path():
    queries = [
        "{ items { name count price color note label shout(times: 2) a: name __typename } }",
        "{ bad { name count } }",
        "{ broken { label } }",
    ]
    for query in queries:
        assert run(query, plain=True) == run(query, plain=False), query
    data, _ = run(queries[0], plain=True)
    # The fast path did answer: name, count, price, color, note, label (not shout).
    planned = {
        field_def.extensions["strawberry-definition"].python_name
        for field_def, plan in _PLAIN.values()
        if plan
    }
    assert {"name", "count", "price", "color", "note", "label"} <= planned
    assert data["items"][0] == {
        "name": "a",
        "count": 1,
        "price": "1.50",
        "color": "RED",
        "note": None,
        "label": "",
        "shout": "AA",
        "a": "a",
        "__typename": "Item",
    }
    assert run(queries[1], plain=True) == (
        None,
        [("Cannot return null for non-nullable field Item.count.", ["bad", 0, "count"])],
    )
    assert run(queries[2], plain=True) == (None, [("no label", ["broken", "label"])])
