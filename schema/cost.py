"""Query cost, Shopify's way: what a document may cost before it runs, what it did cost.

Requested cost, from the document and its variables, before any resolver runs:
- a scalar or enum costs 0, an object 1 plus what is selected in it;
- a connection costs 2 plus its page size (`first`/`last`, else the default page size)
  times what one item costs (`nodes { … }` and `edges { node { … } }`; an edge and
  `pageInfo` are part of the connection's 2); `totalCount` is a scalar;
- a plain list costs one item, times its `first` or the number of its `ids` when it has
  them (report rows, an order's lines, a customer's contacts count once);
- an abstract type (`node`, `search`) costs its most expensive possible type;
- a mutation field costs 10 plus its payload;
- fields are merged as execution merges them, so a field spread through three copies of
  a fragment costs once; each fragment's fields are collected once per type (the 3^30
  fan-out document is a few milliseconds here).
Actual cost, after execution, counts the same way over the answer: a connection counts
the items it returned, so actual cost never exceeds requested cost.

The executor does not matter here: both figures come from the document and the answer.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    get_operation_ast,
    is_abstract_type,
    is_leaf_type,
    value_from_ast_untyped,
)
from graphql.pyutils import Undefined
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

CONNECTION_COST = 2
MUTATION_COST = 10
SIZING_ARGUMENTS = ("first", "last", "ids")
COST_EXCEEDED = "MAX_COST_EXCEEDED"
THROTTLED = "THROTTLED"

# response key -> the field nodes merged under it (an ordered set, by node identity)
Fields = dict[str, dict[int, FieldNode]]


@dataclass(frozen=True)
class CostLimits:
    max_cost: int
    default_page_size: int
    max_page_size: int


@dataclass
class ThrottleStatus:
    """Shopify's `throttleStatus`: the caller's bucket after this request."""

    maximum_available: float
    currently_available: float
    restore_rate: float
    # Seconds until the bucket holds the requested cost; None when admitted.
    retry_after: float | None = None

    def as_json(self) -> dict[str, float]:
        return {
            "maximumAvailable": self.maximum_available,
            # Rounded down: a bucket never shows enough points for a request it refused.
            "currentlyAvailable": math.floor(self.currently_available * 10) / 10,
            "restoreRate": self.restore_rate,
        }


class Throttle(Protocol):
    """The caller's buckets (server/limits): taken before execution, settled after."""

    async def take(self, context: Any, cost: int) -> ThrottleStatus: ...

    async def refund(self, context: Any, points: int) -> ThrottleStatus: ...


def is_connection(type_: GraphQLNamedType) -> bool:
    return (
        isinstance(type_, GraphQLObjectType)
        and type_.name.endswith("Connection")
        and "pageInfo" in type_.fields
    )


def is_free(type_: GraphQLNamedType) -> bool:
    """A connection's edges and page info are part of the connection's own cost."""
    if not isinstance(type_, GraphQLObjectType):
        return False
    fields = type_.fields
    return type_.name == "PageInfo" or ("node" in fields and "cursor" in fields)


def _unwrap(type_: Any) -> Any:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


class CostWalk:
    """Both costs of one operation, each merged selection computed once."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: Mapping[str, Any] | None,
        limits: CostLimits,
    ) -> None:
        self.schema = schema
        self.variables = dict(variables or {})
        self.limits = limits
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self._collected: dict[tuple[int, str], Fields] = {}
        self._requested: dict[tuple[tuple[int, ...], str, int | None], int] = {}
        self._arguments: dict[int, dict[str, Any]] = {}
        self._branches: dict[tuple[tuple[int, ...], str], list[tuple[Any, ...]]] = {}

    # ---------------------------------------------------------------- merging fields

    def _included(self, node: Any) -> bool:
        """False when `@skip(if: true)` or `@include(if: false)` leaves the node out."""
        for directive in node.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            condition = next((a.value for a in directive.arguments if a.name.value == "if"), None)
            value = value_from_ast_untyped(condition, self.variables) if condition else None
            if (name == "skip" and value is True) or (name == "include" and value is False):
                return False
        return True

    def _applies(self, condition: Any, type_: GraphQLObjectType) -> bool:
        if condition is None:
            return True
        conditional = self.schema.get_type(condition.name.value)
        if conditional is type_:
            return True
        return is_abstract_type(conditional) and self.schema.is_sub_type(conditional, type_)

    def collect(self, selection_set: SelectionSetNode, type_: GraphQLObjectType) -> Fields:
        """The fields a selection set yields on `type_`, fragments merged (once each)."""
        key = (id(selection_set), type_.name)
        found = self._collected.get(key)
        if found is not None:
            return found
        fields: Fields = {}
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                name = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(name, {})[id(selection)] = selection
                continue
            if isinstance(selection, InlineFragmentNode):
                inner, condition = selection.selection_set, selection.type_condition
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    continue
                inner, condition = fragment.selection_set, fragment.type_condition
            else:
                continue
            if self._applies(condition, type_):
                for name, nodes in self.collect(inner, type_).items():
                    fields.setdefault(name, {}).update(nodes)
        self._collected[key] = fields
        return fields

    def merged(
        self, selection_sets: Sequence[SelectionSetNode], type_: GraphQLObjectType
    ) -> Fields:
        if len(selection_sets) == 1:
            return self.collect(selection_sets[0], type_)
        fields: Fields = {}
        for selection_set in selection_sets:
            for name, nodes in self.collect(selection_set, type_).items():
                fields.setdefault(name, {}).update(nodes)
        return fields

    def field_definition(self, type_: GraphQLObjectType, name: str) -> GraphQLField | None:
        if type_ is self.schema.query_type and name in ("__schema", "__type"):
            return SchemaMetaFieldDef if name == "__schema" else TypeMetaFieldDef
        return type_.fields.get(name)

    def arguments(self, field: GraphQLField, node: FieldNode) -> dict[str, Any]:
        """The sizing arguments (`first`, `last`, `ids`) as the resolver will get them."""
        known = self._arguments.get(id(node))
        if known is not None:
            return known
        known = {}
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        for name in SIZING_ARGUMENTS:
            value = Undefined
            if name in given:
                value = value_from_ast_untyped(given[name], self.variables)
            if (value is Undefined or value is None) and name in field.args:
                value = field.args[name].default_value
            if value is not Undefined and value is not None:
                known[name] = value
        self._arguments[id(node)] = known
        return known

    def page_size(self, field: GraphQLField, node: FieldNode) -> int:
        arguments = self.arguments(field, node)
        sizes = [arguments.get(name) for name in ("first", "last")]
        requested = max((size for size in sizes if isinstance(size, int)), default=None)
        size = self.limits.default_page_size if requested is None else requested
        return max(0, min(size, self.limits.max_page_size))

    def list_bound(self, field: GraphQLField, node: FieldNode) -> int:
        """How many items a plain list counts: its `first`, its number of `ids`, else one."""
        arguments = self.arguments(field, node)
        if isinstance(arguments.get("ids"), list):
            return len(arguments["ids"])
        if isinstance(arguments.get("first"), int):
            return max(0, min(arguments["first"], self.limits.max_page_size))
        return 1

    # ---------------------------------------------------------------- requested cost

    def use_defaults(self, operation: OperationDefinitionNode) -> None:
        """Variables the request left out take their defaults from the operation."""
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            if name not in self.variables and definition.default_value is not None:
                self.variables[name] = value_from_ast_untyped(definition.default_value)

    def requested(self, operation: OperationDefinitionNode) -> int:
        self.use_defaults(operation)
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return 0
        fields = self.collect(operation.selection_set, root)
        per_field = MUTATION_COST if operation.operation == OperationType.MUTATION else 0
        return sum(
            per_field + self.field_cost(root, nodes)
            for name, nodes in fields.items()
            if not next(iter(nodes.values())).name.value.startswith("__typename")
        )

    def field_cost(
        self, parent: GraphQLObjectType, nodes: dict[int, FieldNode], items: int | None = None
    ) -> int:
        node = next(iter(nodes.values()))
        field = self.field_definition(parent, node.name.value)
        if field is None:
            return 0
        named = get_named_type(field.type)
        if is_leaf_type(named):
            return 0
        selection_sets = tuple(n.selection_set for n in nodes.values() if n.selection_set)
        if is_connection(named):
            size = self.page_size(field, node)
            return CONNECTION_COST + self.selection_cost(selection_sets, named, size)
        one = (0 if is_free(named) else 1) + self.selection_cost(selection_sets, named)
        if isinstance(_unwrap(field.type), GraphQLList):
            return one * (items if items is not None else self.list_bound(field, node))
        return one

    def selection_cost(
        self,
        selection_sets: tuple[SelectionSetNode, ...],
        type_: GraphQLNamedType,
        items: int | None = None,
    ) -> int:
        """What is selected in `type_`; `items` sizes the lists of a connection's page."""
        key = (tuple(id(s) for s in selection_sets), type_.name, items)
        known = self._requested.get(key)
        if known is not None:
            return known
        if is_abstract_type(type_):
            possible = self.schema.get_possible_types(type_)
            cost = max((self.selection_cost(selection_sets, t, items) for t in possible), default=0)
        else:
            object_type = cast(GraphQLObjectType, type_)  # composite and not abstract
            fields = self.merged(selection_sets, object_type)
            cost = 0
            for nodes in fields.values():
                edge_or_item = items if self._is_page_list(object_type, nodes) else None
                cost += self.field_cost(object_type, nodes, edge_or_item)
        self._requested[key] = cost
        return cost

    def _is_page_list(self, type_: GraphQLObjectType, nodes: dict[int, FieldNode]) -> bool:
        """`edges` and `nodes` of a connection: the lists its page size multiplies."""
        if not is_connection(type_):
            return False
        field = type_.fields.get(next(iter(nodes.values())).name.value)
        return field is not None and isinstance(_unwrap(field.type), GraphQLList)

    # ---------------------------------------------------------------- actual cost

    def actual(self, operation: OperationDefinitionNode, data: Mapping[str, Any] | None) -> int:
        root = self.schema.get_root_type(operation.operation)
        if root is None or not data:
            return 0
        fields = self.collect(operation.selection_set, root)
        per_field = MUTATION_COST if operation.operation == OperationType.MUTATION else 0
        total = 0
        for key, nodes in fields.items():
            if key in data and next(iter(nodes.values())).name.value != "__typename":
                total += per_field + self.value_cost(root, nodes, data[key])
        return total

    def value_cost(
        self, parent: GraphQLObjectType, nodes: dict[int, FieldNode], value: Any, page: bool = False
    ) -> int:
        node = next(iter(nodes.values()))
        field = self.field_definition(parent, node.name.value)
        if field is None or value is None:
            return 0
        named = get_named_type(field.type)
        if is_leaf_type(named):
            return 0
        selection_sets = tuple(n.selection_set for n in nodes.values() if n.selection_set)
        if isinstance(value, list):
            # A connection's page counts what it returned; a plain list up to its bound.
            bound = len(value) if page else self.list_bound(field, node)
            return sum(self.object_cost(selection_sets, named, item) for item in value[:bound])
        if is_connection(named):
            return CONNECTION_COST + self.object_cost(selection_sets, named, value, own=0)
        return self.object_cost(selection_sets, named, value)

    def object_cost(
        self,
        selection_sets: tuple[SelectionSetNode, ...],
        type_: GraphQLNamedType,
        value: Any,
        own: int | None = None,
    ) -> int:
        if not isinstance(value, Mapping):
            return 0
        concrete = self._runtime_type(selection_sets, type_, value)
        if concrete is None:
            return 0
        cost = (0 if is_free(concrete) else 1) if own is None else own
        page = is_connection(concrete)
        for key, field, node, named, sets, connection in self.branches(selection_sets, concrete):
            item = value.get(key)
            if item is None:
                continue
            if isinstance(item, list):
                # A connection's page counts what it returned; a plain list up to its bound.
                bound = len(item) if page else self.list_bound(field, node)
                cost += sum(self.object_cost(sets, named, i) for i in item[:bound])
            elif connection:
                cost += CONNECTION_COST + self.object_cost(sets, named, item, own=0)
            else:
                cost += self.object_cost(sets, named, item)
        return cost

    def branches(self, selection_sets: tuple[SelectionSetNode, ...], type_: GraphQLObjectType):
        """The selected fields of `type_` that are not leaves (leaves cost nothing), each
        with what value_cost would look up: a 100-row answer's walk then visits its
        objects, not its 3,000 leaves, and each field's lookups happen once."""
        key = (tuple(id(s) for s in selection_sets), type_.name)
        found = self._branches.get(key)
        if found is None:
            found = []
            for name, nodes in self.merged(selection_sets, type_).items():
                node = next(iter(nodes.values()))
                field = self.field_definition(type_, node.name.value)
                if field is None or is_leaf_type(named := get_named_type(field.type)):
                    continue
                sets = tuple(n.selection_set for n in nodes.values() if n.selection_set)
                found.append((name, field, node, named, sets, is_connection(named)))
            self._branches[key] = found
        return found

    def _runtime_type(
        self,
        selection_sets: tuple[SelectionSetNode, ...],
        type_: GraphQLNamedType,
        value: Mapping[str, Any],
    ) -> GraphQLObjectType | None:
        if isinstance(type_, GraphQLObjectType):
            return type_
        if not is_abstract_type(type_):
            return None
        typename = value.get("__typename")
        possible = self.schema.get_possible_types(type_)
        named = self.schema.get_type(typename) if isinstance(typename, str) else None
        if isinstance(named, GraphQLObjectType):
            return named
        # Without __typename: the possible type whose fields are exactly the answer's keys.
        keys = set(value)
        for candidate in possible:
            if set(self.merged(selection_sets, candidate)) == keys:
                return candidate
        return None


def operation_of(document: DocumentNode | None, name: str | None) -> OperationDefinitionNode | None:
    return get_operation_ast(document, name) if document is not None else None


def cost_error(message: str, code: str, cost: dict[str, Any]) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, "cost": cost})


def cost_extension(limits: CostLimits, throttle: Throttle | None) -> type[SchemaExtension]:
    """Refuses documents over the cost limit, charges the caller's buckets, reports both."""

    class QueryCost(SchemaExtension):
        def __init__(self) -> None:
            super().__init__()
            self.cost: dict[str, Any] | None = None

        async def on_execute(self) -> AsyncIterator[None]:
            execution_context = self.execution_context
            context = execution_context.context
            document = execution_context.graphql_document
            operation = operation_of(document, execution_context.operation_name)
            walk = None
            if operation is not None and document is not None and execution_context.result is None:
                walk = CostWalk(
                    execution_context.schema._schema,
                    document,
                    execution_context.variables,
                    limits,
                )
                await self._admit(walk.requested(operation), context)
            yield
            if (
                walk is not None
                and operation is not None
                and self.cost is not None
                and self.cost["actualQueryCost"] is None
            ):
                result = execution_context.result
                actual = walk.actual(operation, getattr(result, "data", None))
                await self._settle(actual, context)

        async def _admit(self, requested: int, context: Any) -> None:
            self.cost = {"requestedQueryCost": requested, "actualQueryCost": None}
            charged = throttle is not None and context.authenticated
            if requested > limits.max_cost:
                self.cost["actualQueryCost"] = 0
                if charged and throttle is not None:
                    self.cost["throttleStatus"] = (await throttle.refund(context, 0)).as_json()
                self._refuse(
                    f"The query's cost is {requested}, above the limit of {limits.max_cost}. "
                    "Ask for smaller pages (first/last) or fewer nested connections.",
                    COST_EXCEEDED,
                )
                return
            if not charged or throttle is None:
                return
            status = await throttle.take(context, requested)
            self.cost["throttleStatus"] = status.as_json()
            if status.retry_after is not None:
                self.cost["actualQueryCost"] = 0
                retry_after = max(1, math.ceil(status.retry_after))
                self._refuse(
                    f"Throttled: this request costs {requested} points and your bucket holds "
                    f"{int(status.currently_available)}; try again in {retry_after} s.",
                    THROTTLED,
                )
                if context.response is not None:
                    context.response.status_code = 429
                    context.response.headers["Retry-After"] = str(retry_after)

        async def _settle(self, actual: int, context: Any) -> None:
            assert self.cost is not None
            self.cost["actualQueryCost"] = actual
            if throttle is not None and context.authenticated:
                refund = self.cost["requestedQueryCost"] - actual
                self.cost["throttleStatus"] = (await throttle.refund(context, refund)).as_json()

        def _refuse(self, message: str, code: str) -> None:
            assert self.cost is not None
            self.execution_context.result = ExecutionResult(
                data=None, errors=[cost_error(message, code, dict(self.cost))]
            )

        async def get_results(self) -> dict[str, Any]:
            context = self.execution_context.context
            if not getattr(context, "authenticated", False):
                return {}
            if self.cost is None:
                # Refused before execution (parse or validation): it cost nothing.
                self.cost = {"requestedQueryCost": 0, "actualQueryCost": 0}
                if throttle is not None:
                    self.cost["throttleStatus"] = (await throttle.refund(context, 0)).as_json()
            return {"cost": self.cost}

    return QueryCost
