"""node(id:) and nodes(ids:): any object by global id, within your company only."""

from __future__ import annotations

from typing import Annotated, Any, cast

import strawberry
from strawberry import relay
from strawberry.types import Info

from db.models import Base, Company
from resolvers import company
from resolvers.errors import BadUserInput
from resolvers.ids import decode_id
from resolvers.loaders import rows_by_id
from schema.common import PaymentTerms
from schema.relay import NODE_BUILDERS, NODE_MODELS

MAX_NODES = 250


def _malformed(raw: str) -> BadUserInput:
    return BadUserInput(f"Malformed id: {raw[:100]!r}.", code="INVALID_ID")


async def _resolve(info: Info, ids: list[str]) -> list[Any]:
    """The objects, in order; a malformed id's place holds its INVALID_ID error, which
    graphql-core reports at that index (path ["nodes", i]) with null there."""
    decoded = [decode_id(i) for i in ids]
    by_model: dict[type[Base], list[int]] = {}
    for value in decoded:
        if value is None:
            continue
        type_name, pk = value
        model = NODE_MODELS.get(type_name)
        if model is not None:
            by_model.setdefault(model, []).append(pk)
    found: dict[tuple[type[Base] | None, int], Any] = {}
    if Company in by_model:
        # Companies are not tenant-scoped rows: only your own is a node you can read.
        by_model[Company] = [pk for pk in by_model[Company] if pk == info.context.viewer.company_id]
    for model, pks in by_model.items():
        for row in await rows_by_id(info.context, model, pks):
            if row is not None:
                found[(model, row.id)] = row  # type: ignore[attr-defined]  # node models have ids
    return [
        _malformed(raw)
        if value is None
        else _built(value[0], found.get((NODE_MODELS.get(value[0]), value[1])))
        for raw, value in zip(ids, decoded, strict=True)
    ]


def _built(type_name: str, row: Any) -> Any:
    build = NODE_BUILDERS.get(type_name)
    return build(row) if build is not None and row is not None else row


@strawberry.type
class Query:
    @strawberry.field(description="Any object by its global id; null if not found in your company.")
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global id of any type.")],
    ) -> relay.Node | None:
        (found,) = await _resolve(info, [id])
        if isinstance(found, BadUserInput):
            raise found
        return found

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
        return await _resolve(info, [str(i) for i in ids])

    @strawberry.field(description="Your company's payment terms, shortest first.")
    async def payment_terms(self, info: Info) -> list[PaymentTerms]:
        # Rows stand for their types (schema/relay.py model_type).
        return cast(list[PaymentTerms], await company.payment_terms(info.context))
