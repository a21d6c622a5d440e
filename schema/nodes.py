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


async def _resolve(info: Info, ids: list[str]) -> list[Any]:
    decoded: list[tuple[str, int]] = []
    for raw in ids:
        value = decode_id(raw)
        if value is None:
            raise BadUserInput(f"Malformed id: {raw!r}.", code="INVALID_ID")
        decoded.append(value)
    by_model: dict[type[Base], list[int]] = {}
    for type_name, pk in decoded:
        model = NODE_MODELS.get(type_name)
        if model is not None:
            by_model.setdefault(model, []).append(pk)
    found: dict[tuple[type[Base] | None, int], Any] = {}
    for model, pks in by_model.items():
        for row in await rows_by_id(info.context, model, pks):
            if row is not None:
                found[(model, row.id)] = row  # type: ignore[attr-defined]  # node models have ids
    return [found.get((NODE_MODELS.get(t), pk)) for t, pk in decoded]


@strawberry.type
class Query:
    @strawberry.field(description="Any object by its global id; null if not found in your company.")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        return (await _resolve(info, [id]))[0]

    @strawberry.field(description="Objects by global id, in order; null where not found.")
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
        if len(ids) > MAX_NODES:
            raise BadUserInput(f"At most {MAX_NODES} ids at once.")
        return await _resolve(info, [str(i) for i in ids])

    @strawberry.field(description="Your company's payment terms, shortest first.")
    async def payment_terms(self, info: Info) -> list[PaymentTerms]:
        # Rows stand for their types (schema/relay.py model_type).
        return cast(list[PaymentTerms], await company.payment_terms(info.context))
