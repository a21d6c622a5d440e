"""node(id:) and nodes(ids:): any object by global id, within your company only."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from resolvers import company
from resolvers.errors import BadUserInput
from resolvers.ids import decode_id
from resolvers.loaders import rows_by_id
from schema.common import PaymentTerms
from schema.relay import NODE_MODELS

MAX_NODES = 250


async def _resolve(info: Info, ids: list[str]) -> list[Any]:
    decoded = [decode_id(i) for i in ids]
    for raw, value in zip(ids, decoded, strict=True):
        if value is None:
            raise BadUserInput(f"Malformed id: {raw!r}.", code="INVALID_ID")
    by_model: dict[type, list[int]] = {}
    for type_name, pk in decoded:
        model = NODE_MODELS.get(type_name)
        if model is not None:
            by_model.setdefault(model, []).append(pk)
    found: dict[tuple[type, int], Any] = {}
    for model, pks in by_model.items():
        for row in await rows_by_id(info.context, model, pks):
            if row is not None:
                found[(model, row.id)] = row
    return [found.get((NODE_MODELS.get(t), pk)) for t, pk in decoded]


@strawberry.type
class Query:
    @strawberry.field(description="Any object by its global id; null if not found in your company.")
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global id of any type.")],
    ) -> relay.Node | None:
        return (await _resolve(info, [id]))[0]

    @strawberry.field(description="Objects by global id, in order; null where not found.")
    async def nodes(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(
                description=(
                    "Global ids of any types; a malformed one is null at its place with an INVALID_ID "
                    "error."
                )
            ),
        ],
    ) -> list[relay.Node | None]:
        if len(ids) > MAX_NODES:
            raise BadUserInput(f"At most {MAX_NODES} ids at once.")
        return await _resolve(info, ids)

    @strawberry.field(description="Your company's payment terms, shortest first.")
    async def payment_terms(self, info: Info) -> list[PaymentTerms]:
        return await company.payment_terms(info.context)
