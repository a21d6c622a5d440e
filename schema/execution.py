"""Execution: plain leaf fields read straight from their object.

graphql-core resolves every field the same way: an info object, the resolver chain,
awaitable checks, then value completion (non-null, leaf serialisation). For a plain
field (no resolver, no arguments, no field extension, a scalar or enum value) that
machinery costs several times the attribute read itself, and a large answer has tens
of thousands of them (the aging report at N = 100,000: 2,853 rows of 7 amounts).

`PlainFieldsExecutionContext` reads such a field by Strawberry's own default resolver
(or by a direct call that needs no info: schema/fast_resolvers.py, e.g. a relay id or a
money amount) and serialises it as graphql-core would. Anything else, and any null or error (so
errors and non-null violations are reported exactly as before, with their path),
takes graphql-core's regular path. Never used while a schema extension resolves
fields (middleware).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)
from graphql.execution.executor import to_nodes
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from schema.fast_resolvers import INFO_FREE

# id(GraphQLField) -> (the field, kept alive so the id stays its own; the Strawberry field
# and leaf type when plain, else None). GraphQLField compares by value: not hashable.
_PLAIN: dict[int, tuple[GraphQLField, tuple[Callable[[Any], Any], Any] | None]] = {}


def _plain(field_def: GraphQLField) -> tuple[Callable[[Any], Any], Any] | None:
    known = _PLAIN.get(id(field_def))
    if known is not None:
        return known[1]
    plan = None
    field = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    leaf = field_def.type.of_type if isinstance(field_def.type, GraphQLNonNull) else field_def.type
    # A basic field's value is its default resolver's, whichever function graphql-core
    # holds for it (Strawberry's, or a faster equivalent); exception handlers, the one
    # Strawberry feature that wraps it, never apply to a scalar or enum field.
    if not field_def.args and isinstance(leaf, GraphQLScalarType | GraphQLEnumType):
        resolve = field_def.resolve
        if getattr(resolve, INFO_FREE, False):
            # A direct call (schema/fast_resolvers.py) that never reads its info.
            plan = (lambda source: resolve(source, None), leaf)
        elif isinstance(field, StrawberryField) and field.is_basic_field:
            plan = (partial(field.get_result, info=None, args=[], kwargs={}), leaf)
    _PLAIN[id(field_def)] = (field_def, plan)
    return plan


class SettlingExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Keeps hold of the sibling work graphql-core abandons when a field fails.

    When a field raises synchronously (e.g. `orders(first: 300)`), graphql-core answers at
    once and leaves the siblings already started (e.g. `contacts`, awaiting the request's
    session) to settle in the background. They must not outlive the operation: the request
    closes its session and commits or rolls back its transaction after them, so they are
    registered with the request's context, which awaits them first (`Context.settle`).
    """

    def settle_in_background(self, awaitables: list[Any]) -> None:
        super().settle_in_background(awaitables)
        track = getattr(self.context_value, "track_background", None)
        if track is not None:
            track(self.background_futures)


class PlainFieldsExecutionContext(SettlingExecutionContext):
    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        node = field_details_list[0].node
        field_def = parent_type.fields.get(node.name.value)
        if (
            field_def is not None
            and not node.arguments
            and not (self.middleware_manager and self.middleware_manager.middlewares)
        ):
            plan = _plain(field_def)
            if plan is not None:
                read, leaf = plan
                try:
                    value = read(source)
                except Exception:  # noqa: BLE001 - the regular path reports it
                    value = None
                if self.is_awaitable(value):  # e.g. a count that needs a query
                    info = self.build_resolve_info(
                        field_def, to_nodes(field_details_list), parent_type, path
                    )
                    return self.complete_awaitable_value(
                        field_def.type, field_details_list, info, path, value, position_context
                    )
                if value is not None and not isinstance(value, Exception):
                    try:
                        return self.complete_leaf_value(leaf, value)
                    except Exception:  # noqa: BLE001, S110 - the regular path reports it
                        pass
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
