"""The one Strawberry schema: every domain's queries and mutations, with limits."""

from __future__ import annotations

import importlib
import os
from typing import Any

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaxTokensLimiter, ParserCache
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from schema.cost import CostLimits, Throttle, cost_extension
from schema.errors import MaskUnexpectedErrors, log_errors
from schema.extensions import CloseSessions, RefuseNulCharacters, RequireAuthentication
from schema.operation_selection import OperationNameRequired
from schema.planner import PlannedExecutionContext
from schema.planner import install as install_planner
from schema.scalars import SCALAR_MAP
from schema.settling import SettlingExecutionContext
from schema.validation import validation_extension

# Each domain module may define Query, Mutation and Subscription classes; they are merged here.
DOMAINS = (
    "staff",
    "nodes",
    "company",
    "customers",
    "locations",
    "contacts",
    "views",
    "bulk",
    "audit",
    "search",
    "interactions",
    "products",
    "orders",
    "transactions",
    "reports",
    "statements",
    "attachments",
    "tasks",
    "tags",
    "saved_views",
    "recycle_bin",
    "merge",
    "imports",
)


def _collect(kind: str) -> tuple[type, ...]:
    modules = [importlib.import_module(f"schema.{name}") for name in DOMAINS]
    return tuple(getattr(m, kind) for m in modules if hasattr(m, kind))


def _merge(name: str, types: tuple[type, ...], description: str) -> type:
    merged = merge_types(name, types)
    # merge_types takes no description; the root types need one like every other type.
    merged.__strawberry_definition__.description = description  # type: ignore[attr-defined]
    return merged


Query = _merge(
    "Query", _collect("Query"), "Everything a signed-in staff member can read in their company."
)
Mutation = _merge(
    "Mutation",
    _collect("Mutation"),
    "Every change, named noun-first (`customerUpdate`): one `input` argument (plus `id` to "
    "edit one object), answering a `<Name>Payload` with `userErrors`. All or nothing.",
)
_subscriptions = _collect("Subscription")
Subscription = (
    _merge(
        "Subscription",
        _subscriptions,
        "Live events over WebSocket `/graphql` (graphql-transport-ws; the bearer token in "
        "`connection_init`).",
    )
    if _subscriptions
    else None
)


def planned_by_default() -> bool:
    """ROLODEX_PLANNED_EXECUTION (as server/settings.py reads it): 0 turns the planned path
    off, e.g. to run the whole suite on the regular executor."""
    value = os.environ.get("ROLODEX_PLANNED_EXECUTION", "1").strip().lower()
    return value not in ("0", "false", "no", "off")


class Schema(strawberry.Schema):
    """Strawberry's schema, logging errors as structured records (schema/errors.py) instead
    of Strawberry's tracebacks as text for every error, expected or not."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        log_errors(errors)


def build_schema(
    *,
    max_depth: int = 12,
    max_aliases: int = 30,
    max_tokens: int = 5000,
    introspection: bool = True,
    planned: bool | None = None,
    cost: CostLimits | None = None,
    throttle: Throttle | None = None,
) -> strawberry.Schema:
    extensions: list = [
        RequireAuthentication,
        RefuseNulCharacters,
        CloseSessions,
        # Instances with the same maxsize share one LRU cache across requests.
        lambda: ParserCache(maxsize=256),
        # Validation (cached per document) with depth and alias limits linear in the
        # document, and the coded errors API.md names: schema/validation.py.
        validation_extension(
            max_depth,
            max_aliases,
            () if introspection else (NoSchemaIntrospectionCustomRule,),
        ),
        # After validation: a document of several operations needs operationName.
        OperationNameRequired,
        # After RequireAuthentication: an anonymous request is refused, not charged.
        cost_extension(cost or CostLimits(50_000, 50, 250), throttle),
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        MaskUnexpectedErrors,
    ]
    if planned is None:
        planned = planned_by_default()
    built = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP),
        # Queries seen before run by their plan (schema/planner.py), the rest as usual;
        # either way abandoned siblings settle before the session closes.
        execution_context_class=(PlannedExecutionContext if planned else SettlingExecutionContext),
    )
    if planned:
        install_planner(built)
    return built


# The default schema, as exported to schema.graphql.
schema = build_schema()
