"""node(id:) and nodes(ids:): any object by global id, within your company only."""

from __future__ import annotations

from typing import Any, cast

import strawberry
from strawberry import relay
from strawberry.types import Info

from db.models import Base
from resolvers import company
from resolvers.errors import BadUserInput
from resolvers.ids import decode_id
from resolvers.loaders import rows_by_id
from schema.common import PaymentTerms
from schema.relay import NODE_MODELS

MAX_NODES = 250


def _malformed(raw: str) -> BadUserInput:
    return BadUserInput(f"Malformed id: {raw[:100]!r}.", code="INVALID_ID")


async def _resolve(info: Info, ids: list[str]) -> list[Any]:
    """The rows of `ids` in order: None where not found; an error where malformed, which
    graphql-core reports at that index alone (`["nodes", i]`), nulling only its place."""
    decoded = [decode_id(i) for i in ids]
    by_model: dict[type[Base], list[int]] = {}
    for value in decoded:
        model = NODE_MODELS.get(value[0]) if value is not None else None
        if model is not None and value is not None:
            by_model.setdefault(model, []).append(value[1])
    found: dict[tuple[type[Base] | None, int], Any] = {}
    for model, pks in by_model.items():
        for row in await rows_by_id(info.context, model, pks):
            if row is not None:
                found[(model, row.id)] = row  # type: ignore[attr-defined]  # node models have ids
    return [
        _malformed(raw) if value is None else found.get((NODE_MODELS.get(value[0]), value[1]))
        for raw, value in zip(ids, decoded, strict=True)
    ]


@strawberry.type
class Query:
    @strawberry.field(description="Any object by its global id; null if not found in your company.")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        (found,) = await _resolve(info, [id])
        if isinstance(found, BadUserInput):
            raise found
        return found

    @strawberry.field(
        description="Objects by global id, in order; null where not found, and null "
        'with an INVALID_ID error at path ["nodes", i] where the id is malformed.'
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
        if len(ids) > MAX_NODES:
            raise BadUserInput(f"At most {MAX_NODES} ids at once.")
        return await _resolve(info, [str(i) for i in ids])

    @strawberry.field(description="Your company's payment terms, shortest first.")
    async def payment_terms(self, info: Info) -> list[PaymentTerms]:
        # Rows stand for their types (schema/relay.py model_type).
        return cast(list[PaymentTerms], await company.payment_terms(info.context))
