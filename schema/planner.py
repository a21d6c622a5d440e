"""Planned execution: a query document seen before runs level by level, leaves written
directly.

graphql-core executes every field the same way (an info object, the resolver chain,
awaitable checks, value completion), depth first. A 100-row customer list has about
3,400 fields: most of the request's CPU. For a query operation this module plans once
(per document and operation, in a bounded LRU cache) which fields each object type
selects, and then runs each level for all its parent rows together:

- leaves are read without a resolver call: a plain attribute, a relay id encoded from
  the row's id, or a method that takes only `self` (the per-field readers are made once,
  at install, and stored on the field definitions: schema/field_plans.py);
- other fields call the same resolver graphql-core would (directly, when a sync
  resolver needs nothing of Strawberry's per-call machinery), each with its own info;
  the awaitables of a whole level are gathered at once, so loaders batch across it.

What the plan covers is an allow-list of what is proved the same as graphql-core
(tests/test_planner_differential.py runs generated documents through both): query
operations of object types only, without directives, introspection (but `__typename`)
or fragment variables; for anything else the regular executor runs. Field errors are
located, nulled and propagated as graphql-core does it; a value graphql-core would
reject in a way the plan does not reproduce (a wrong object type, a list that is not
iterable) makes the planned run give up and the regular executor run the operation
again from the start: resolvers of queries are side-effect free (CONTRIBUTING.md), and
the request's loaders answer the second run from what the first one read.

Refused at install (`UnsafeToPlan`) where reading fields directly would skip something:
exception handlers (Strawberry applies them inside the resolver wrapper), schema
extensions with a per-field `resolve` hook, custom directives (a middleware). Depends on
graphql-core's and Strawberry's internals (`Executor.execute_operation`, resolve infos,
field extensions, relay's id attribute): pyproject.toml pins both, tests/test_planner.py
checks those seams.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

import strawberry
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    is_leaf_type,
)
from graphql.error import located_error
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined, is_iterable
from graphql.pyutils import inspect as inspect_value

from schema.field_plans import PLAN, FieldPlan, install_field_plans, refusal
from schema.settling import SettlingExecutionContext

PLANNER = "rolodex-planner"  # GraphQLSchema.extensions key: the schema's Planner
PLANS_PER_SCHEMA = 256
# Set on `is_type_of` functions that ignore their info (the planned path passes None).
INFO_FREE = "rolodex_info_free"


class UnsafeToPlan(RuntimeError):
    """The schema has a feature the planned path would bypass."""


class _GiveUp(Exception):
    """The planned run stops; the regular executor answers instead."""


# ---------------------------------------------------------------- per document


@dataclass(slots=True)
class Step:
    """One response key of a selection: its field, how to get it, what is below it."""

    key: str
    nodes: list[FieldNode]
    field_def: GraphQLField | None  # None: __typename
    plan: FieldPlan
    child: Selection | None  # for object types (through lists and non-nulls)
    parent: str = ""  # the object type's name
    name: str = ""  # the field's name (`key` may be an alias)


@dataclass(slots=True)
class Selection:
    type: GraphQLObjectType
    steps: list[Step] = field(default_factory=list)


class Planner:
    """Plans of one schema, by operation (its document text and offset): an LRU."""

    def __init__(self, size: int = PLANS_PER_SCHEMA) -> None:
        self.size = size
        self.planned = 0  # operations answered by their plan
        self.fallbacks = 0  # ... that gave up and ran again on the regular executor
        self._plans: OrderedDict[tuple[str, int], Selection | None] = OrderedDict()

    def plan(self, executor: Any) -> Selection | None:
        operation = executor.operation
        if operation.loc is None:
            return None
        key = (operation.loc.source.body, operation.loc.start)
        if key in self._plans:
            self._plans.move_to_end(key)
            return self._plans[key]
        plan = _plan_operation(executor.schema, executor.fragment_definitions, operation)
        self._plans[key] = plan
        if len(self._plans) > self.size:
            self._plans.popitem(last=False)
        return plan


def _plan_operation(schema: GraphQLSchema, fragments: dict, operation: Any) -> Selection | None:
    if operation.operation != OperationType.QUERY or operation.directives:
        return None
    if any(definition.variable_definitions for definition in fragments.values()):
        return None
    try:
        root = schema.query_type
        if root is None:
            return None
        return _Planning(schema, fragments).selection(root, (operation.selection_set,))
    except _GiveUp:
        return None


Fields = dict[str, dict[int, FieldNode]]  # response key -> its field nodes, each once


class _Planning:
    """One document's plan, linear in the document: each fragment's fields are collected
    once per type, each merged selection planned once (a fragment spread three times by
    each of 30 others is 30 fragments, not 3^30 selections)."""

    def __init__(self, schema: GraphQLSchema, fragments: dict) -> None:
        self.schema = schema
        self.fragments = fragments
        self._fragment_fields: dict[tuple[str, str], Fields] = {}
        self._selections: dict[tuple[tuple[int, ...], str], Selection] = {}

    def collect(self, parent: GraphQLObjectType, sets: Iterable[SelectionSetNode]) -> Fields:
        into: Fields = {}
        for selection_set in sets:
            for node in selection_set.selections:
                if node.directives:
                    raise _GiveUp  # @skip/@include (and any other) depend on variables
                if isinstance(node, FieldNode):
                    key = node.alias.value if node.alias else node.name.value
                    into.setdefault(key, {})[id(node)] = node
                    continue
                part = self.fragment(parent, node)
                for key, nodes in part.items():
                    into.setdefault(key, {}).update(nodes)
        return into

    def fragment(self, parent: GraphQLObjectType, node: Any) -> Fields:
        if isinstance(node, FragmentSpreadNode):
            fragment = self.fragments.get(node.name.value)
            if fragment is None:
                raise _GiveUp
            if not self.applies(fragment.type_condition, parent):
                return {}
            memo = (node.name.value, parent.name)
            found = self._fragment_fields.get(memo)
            if found is None:
                found = self.collect(parent, (fragment.selection_set,))
                self._fragment_fields[memo] = found
            return found
        if isinstance(node, InlineFragmentNode):
            if not self.applies(node.type_condition, parent):
                return {}
            return self.collect(parent, (node.selection_set,))
        raise _GiveUp

    def applies(self, condition: Any, parent: GraphQLObjectType) -> bool:
        if condition is None:
            return True
        kind = self.schema.get_type(condition.name.value)
        # Validation allows a condition that never applies to `parent`: it adds nothing.
        if kind is parent:
            return True
        return isinstance(kind, GraphQLInterfaceType | GraphQLUnionType) and (
            self.schema.is_sub_type(kind, parent)
        )

    def selection(self, parent: GraphQLObjectType, sets: tuple[SelectionSetNode, ...]) -> Selection:
        memo = (tuple(id(s) for s in sets), parent.name)
        known = self._selections.get(memo)
        if known is not None:
            return known
        selection = Selection(parent)
        self._selections[memo] = selection
        for key, by_id in self.collect(parent, sets).items():
            selection.steps.append(self.step(parent, key, list(by_id.values())))
        return selection

    def step(self, parent: GraphQLObjectType, key: str, nodes: list[FieldNode]) -> Step:
        name = nodes[0].name.value
        if name == "__typename":
            return Step(key, nodes, None, FieldPlan(), None, parent.name, name)
        field_def = parent.fields.get(name)
        plan = field_def and (field_def.extensions or {}).get(PLAN)
        if plan is None:
            raise _GiveUp  # introspection, or a field the install did not see
        named = field_def.type
        while isinstance(named, GraphQLNonNull | GraphQLList):
            named = named.of_type
        child = None
        if not is_leaf_type(named):
            if not isinstance(named, GraphQLObjectType) or not _known_type_check(named):
                raise _GiveUp  # interfaces and unions: graphql-core resolves their type
            sets = tuple(n.selection_set for n in nodes if n.selection_set)
            child = self.selection(named, sets)
        return Step(key, nodes, field_def, plan, child, parent.name, name)


def _known_type_check(kind: GraphQLObjectType) -> bool:
    """Whether `is_type_of` is one that never reads its info: schema/relay.py's (marked
    INFO_FREE) or the one Strawberry generates for a type with interfaces."""
    check = kind.is_type_of
    return (
        check is None
        or getattr(check, INFO_FREE, False)
        or check.__qualname__.endswith("_get_is_type_of.<locals>.is_type_of")
    )


# ---------------------------------------------------------------- running a plan


# Where a value goes: its container and key, its type there, its path, and the position
# of the object holding it (None: the root), for nulls that propagate past a non-null.
Position = tuple[Any, Any, Any, Path | None, Any]
Item = tuple[Any, dict[str, Any], Path | None, Position | None]  # source, answer, path, place


class _Run:
    """One operation by its plan: fields of a level for all its items, then the levels
    below. Field errors are handled as graphql-core handles them (`handle_field_error`):
    located, the value nulled, through non-nulls up to the nearest nullable position."""

    def __init__(self, executor: Any) -> None:
        self.executor = executor
        self.errors = executor.collected_errors
        self.data_nulled = False

    async def level(self, selection: Selection, items: list[Item]) -> None:
        below: dict[int, tuple[Selection, list[Item]]] = {}
        waiting: list[tuple[Step, Any, Position]] = []
        try:
            for step in selection.steps:
                if step.field_def is None:
                    for _source, out, _path, _place in items:
                        out[step.key] = selection.type.name
                elif step.plan.read is not None and step.child is None:
                    self.leaves(step, items, waiting)
                else:
                    self.resolve(step, items, waiting, below)
        except BaseException:
            for pending in waiting:
                _close(pending[1])
            raise
        if waiting:
            # Every awaitable settles before the next level starts: a level's loads are
            # one batch, and nothing of this run reads on after it ends.
            values = await asyncio.gather(*(w[1] for w in waiting), return_exceptions=True)
            for (step, _, place), value in zip(waiting, values, strict=True):
                place[0][place[1]] = self.complete(step, place, value, below)
        if below:
            outcomes = await asyncio.gather(
                *(self.level(sel, sub) for sel, sub in below.values()), return_exceptions=True
            )
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome

    def leaves(self, step: Step, items: list[Item], waiting: list) -> None:
        read, key, parent = cast(Callable[[Any], Any], step.plan.read), step.key, step.parent
        kind = cast(GraphQLField, step.field_def).type
        leaf = kind.of_type if isinstance(kind, GraphQLNonNull) else kind
        plain = isinstance(leaf, GraphQLScalarType | GraphQLEnumType)  # else a list of leaves
        coerce: Callable[[Any], Any] = getattr(leaf, "coerce_output_value", _unused)
        for source, out, path, place in items:
            value = None
            try:
                value = read(source)
                if plain and value is not None and not isinstance(value, Exception):
                    coerced = coerce(value)
                    if coerced is not None and coerced is not Undefined:
                        out[key] = coerced
                        continue
            except Exception as error:  # noqa: BLE001 - reported as graphql-core would
                # A resolver's awaitable fails coercion first: it is awaited below.
                value = value if inspect.isawaitable(value) else error
            position = (out, key, kind, Path(path, key, parent), place)
            if inspect.isawaitable(value):  # e.g. a count that needs a query
                out[key] = None
                waiting.append((step, value, position))
            else:
                out[key] = self.complete(step, position, value, {})

    def resolve(self, step: Step, items: list[Item], waiting: list, below: dict) -> None:
        field_def, node, executor = cast(GraphQLField, step.field_def), step.nodes[0], self.executor
        parent_type = executor.schema.get_type(step.parent)
        args = (
            get_argument_values(field_def, node, executor.variable_values)
            if field_def.args or node.arguments
            else {}
        )
        read, call = step.plan.read, step.plan.call
        resolve = field_def.resolve or executor.field_resolver
        key, kind = step.key, field_def.type
        for source, out, path, place in items:
            field_path = Path(path, key, step.parent)
            position = (out, key, kind, field_path, place)
            try:
                if read is not None:
                    value = read(source)
                else:
                    info = executor.build_resolve_info(
                        field_def, step.nodes, parent_type, field_path
                    )
                    value = call(source, info, args) if call else resolve(source, info, **args)
            except Exception as error:  # noqa: BLE001 - reported as graphql-core would
                value = error
            if inspect.isawaitable(value):
                out[key] = None  # keeps the key's place in the answer
                waiting.append((step, value, position))
            else:
                out[key] = self.complete(step, position, value, below)

    def complete(self, step: Step, place: Position, value: Any, below: dict) -> Any:
        """The answer for `value` at `place` (graphql-core's complete_value)."""
        kind, path = place[2], place[3]
        if isinstance(value, Exception):
            return self.fail(step, place, value)
        if isinstance(value, BaseException) or inspect.isawaitable(value):
            _close(value)
            raise _GiveUp
        if isinstance(kind, GraphQLNonNull):
            if value is None:
                message = f"Cannot return null for non-nullable field {step.parent}.{step.name}."
                return self.fail(step, place, TypeError(message))
            kind = kind.of_type
        if value is None:
            return None
        if isinstance(kind, GraphQLList):
            if not is_iterable(value) or hasattr(value, "__aiter__"):
                raise _GiveUp
            answers: list[Any] = list(value)
            for index, item in enumerate(answers):
                item_place = (answers, index, kind.of_type, Path(path, index, None), place)
                answers[index] = self.complete(step, item_place, item, below)
            return answers
        if is_leaf_type(kind):
            try:
                coerced = kind.coerce_output_value(value)
            except Exception as error:  # noqa: BLE001 - reported as graphql-core would
                return self.fail(step, place, error)
            if coerced is None or coerced is Undefined:
                message = (
                    f"Expected `{inspect_value(kind)}.coerce_output_value("
                    f"{inspect_value(value)})` to return non-nullable value, returned:"
                    f" {inspect_value(coerced)}"
                )
                return self.fail(step, place, TypeError(message))
            return coerced
        if kind.is_type_of is not None and not kind.is_type_of(value, None):
            raise _GiveUp  # graphql-core's invalid_return_type_error: the regular path
        out: dict[str, Any] = {}
        group = below.setdefault(id(step.child), (step.child, []))
        group[1].append((value, out, path, place))
        return out

    def fail(self, step: Step, place: Position, raw: Exception) -> None:
        """graphql-core's handle_field_error, then the null's propagation."""
        error = located_error(raw, step.nodes, cast(Path, place[3]).as_list())
        while place is not None:
            container, key, kind, path, holder = place
            if not isinstance(kind, GraphQLNonNull):
                container[key] = None
                self.errors.add(error, path)
                return None
            place = holder
        self.data_nulled = True
        self.errors.add(error, None)
        return None


def _unused(value: Any) -> Any:  # `coerce` of a list of leaves: never called
    raise AssertionError(value)


def _close(value: Any) -> None:
    if inspect.iscoroutine(value):
        value.close()


def install(schema: strawberry.Schema) -> int:
    """Plans every field (schema/field_plans.py) and gives the schema its Planner; returns
    how many fields are read without a resolver call. Raises UnsafeToPlan where the
    planned path cannot be safe."""
    reason = refusal(schema)
    if reason is not None:
        raise UnsafeToPlan(reason)
    direct = install_field_plans(schema)
    schema._schema.extensions = {**(schema._schema.extensions or {}), PLANNER: Planner()}
    return direct


class PlannedExecutionContext(SettlingExecutionContext):
    """graphql-core's executor, running a query by its plan when it has one."""

    def execute_operation(self, serially: bool | None = None) -> Any:
        planner = (self.schema.extensions or {}).get(PLANNER)
        middleware = self.middleware_manager and self.middleware_manager.middlewares
        plan = None if planner is None or middleware else planner.plan(self)
        if plan is None or serially:
            return super().execute_operation(serially)
        return self._execute_planned(plan)

    async def _execute_planned(self, plan: Selection) -> Any:
        data: dict[str, Any] = {}
        planner: Planner = self.schema.extensions[PLANNER]
        try:
            run = _Run(self)
            await run.level(plan, [(self.root_value, data, None, None)])
        except _GiveUp:
            planner.fallbacks += 1
            self.collected_errors = type(self.collected_errors)()
            return await _maybe_await(super().execute_operation())
        planner.planned += 1
        return self.build_response(None if run.data_nulled else data)


async def _maybe_await(value: Any) -> Any:
    return (await value) if inspect.isawaitable(value) else value
