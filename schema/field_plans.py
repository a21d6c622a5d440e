"""Per field, at install: how the planned path (schema/planner.py) gets each value.

Made once per schema and stored on the field definitions (`field.extensions[PLAN]`):
a leaf or plain reference is read without a resolver call (an attribute, a relay id
encoded from the row's id, a method that takes only `self`); a sync resolver needing
nothing of Strawberry's per-call machinery (no field extensions, permissions included;
arguments graphql-core has already coerced) is called directly; anything else through
its regular resolver. What cannot be made safe is refused (`refusal`).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry import relay
from strawberry.extensions import SchemaExtension
from strawberry.types.base import StrawberryOptional
from strawberry.types.field import StrawberryField
from strawberry.utils.str_converters import to_camel_case

PLAN = "rolodex-plan"  # GraphQLField.extensions key: the field's FieldPlan
DEFINITION = "strawberry-definition"
SIMPLE_ARGUMENT_TYPES = (int, str, bool, float)


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """How the planned path gets one field's value.

    `read(source)`: the value without a resolver call or an info (leaves and plain
    references). `call(source, info, args)`: the resolver function itself, for sync
    resolvers without field extensions or arguments needing conversion. Neither: the
    field's resolver as graphql-core calls it.
    """

    read: Callable[[Any], Any] | None = None
    call: Callable[[Any, GraphQLResolveInfo, dict[str, Any]], Any] | None = None


def _attribute(name: str) -> Callable[[Any], Any]:
    def read(source: Any) -> Any:  # Strawberry's basic field: config.default_resolver
        return getattr(source, name)

    return read


def _global_id(type_name: str, attribute: str) -> Callable[[Any], str]:
    prefix = f"{type_name}:"  # exactly str(relay.GlobalID(type_name, str(id)))

    def read(source: Any) -> str:
        return base64.b64encode(f"{prefix}{getattr(source, attribute)}".encode()).decode()

    return read


def _simple_arguments(field: StrawberryField) -> dict[str, str] | None:
    """GraphQL name -> Python name when every argument is a plain scalar (graphql-core has
    coerced it already, Strawberry converts nothing), else None."""
    names: dict[str, str] = {}
    for argument in field.arguments:
        kind = argument.type
        if isinstance(kind, StrawberryOptional):
            kind = kind.of_type
        if kind not in SIMPLE_ARGUMENT_TYPES:
            return None
        names[argument.graphql_name or to_camel_case(argument.python_name)] = argument.python_name
    return names


def _direct(field: StrawberryField, info_class: type) -> FieldPlan | None:
    """The resolver function called as Strawberry's wrapper would call it, minus the
    wrapper: only for sync methods without field extensions (permissions included)."""
    resolver = field.base_resolver
    if resolver is None or field.extensions or field.is_subscription or resolver.is_async:
        return None
    function = resolver.wrapped_func
    if not callable(function) or isinstance(function, classmethod | staticmethod):
        return None
    arguments = _simple_arguments(field)
    if arguments is None:
        return None
    source_name = next(
        (p.name for p in (resolver.root_parameter, resolver.parent_parameter) if p is not None),
        None,
    )
    takes_self = resolver.self_parameter is not None
    info_name = resolver.info_parameter.name if resolver.info_parameter else None
    if not arguments and info_name is None:
        if takes_self and source_name is None:
            return FieldPlan(read=function)
        if not takes_self and source_name is not None:
            return FieldPlan(read=lambda source: function(**{source_name: source}))

    def call(source: Any, info: GraphQLResolveInfo, given: dict[str, Any]) -> Any:
        kwargs = {arguments[name]: value for name, value in given.items()}
        if source_name is not None:
            kwargs[source_name] = source
        if info_name is not None:
            kwargs[info_name] = info_class(_raw_info=info, _field=field)
        return function(source, **kwargs) if takes_self else function(**kwargs)

    return FieldPlan(call=call)


def field_plan(
    schema: strawberry.Schema, graphql_type: GraphQLObjectType, name: str, field: Any
) -> FieldPlan:
    origin = getattr(graphql_type.extensions.get(DEFINITION), "origin", None)
    if not isinstance(field, StrawberryField):
        return FieldPlan()
    if name == "id" and isinstance(origin, type) and issubclass(origin, relay.Node):
        return FieldPlan(read=_global_id(graphql_type.name, origin.resolve_id_attr()))
    if field.is_basic_field:
        if schema.config.default_resolver is getattr:
            return FieldPlan(read=_attribute(field.python_name))
        return FieldPlan()
    return _direct(field, schema.config.info_class) or FieldPlan()


def refusal(schema: strawberry.Schema) -> str | None:
    if schema.exception_handlers:
        return "exception handlers are applied inside the resolver wrapper"
    if schema.directives:
        return "custom directives run as a per-field middleware"
    for extension in schema.extensions:
        kind: type = extension if isinstance(extension, type) else type(extension())
        if getattr(kind, "resolve", None) is not SchemaExtension.resolve:
            return f"{kind.__name__} resolves every field (a middleware)"
    return None


def install_field_plans(schema: strawberry.Schema) -> int:
    """Stores a FieldPlan on every field of every object type; returns how many fields
    are read without a resolver call."""
    direct = 0
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for name, graphql_field in graphql_type.fields.items():
            plan = field_plan(schema, graphql_type, name, graphql_field.extensions.get(DEFINITION))
            graphql_field.extensions = {**(graphql_field.extensions or {}), PLAN: plan}
            direct += plan.read is not None
    return direct
