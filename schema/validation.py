"""Validation that costs what the document costs: limits that visit each fragment once.

Strawberry's QueryDepthLimiter and MaxAliasesLimiter walk a fragment again at every
spread of it: 30 fragments each spreading the next three times (1.5 KB) mean 3^30
walks, a worker pinned for minutes before authentication. Here a fragment's depth and
alias count are computed once and remembered (Ariadne fixed its cost validator the same
way, mirumee/ariadne#1332); graphql-core's own specified rules are linear on such
documents already (tests/test_validation_limits.py times them).

Validation runs here too, cached per document: without a token, errors carry no
"Did you mean" suggestions (they map the schema for a stranger); with one they do.
Every error gets the `extensions.code` API.md names: GRAPHQL_PARSE_FAILED for syntax,
GRAPHQL_VALIDATION_FAILED for validation and the depth, alias and token limits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    specified_rules,
    validate,
)
from graphql.validation import ASTValidationContext
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
# graphql-core's parser stops at `max_tokens` with this message (MaxTokensLimiter).
TOKEN_LIMIT_MESSAGE = re.compile(r"Document contains more than \d+ tokens")
SUGGESTION = re.compile(r" Did you mean [^?]*\?")
VALIDATION_CACHE_SIZE = 256


class FragmentWalk:
    """A fact about selection sets, computed once per fragment of one document."""

    def __init__(self, context: ASTValidationContext) -> None:
        self.context = context
        self.known: dict[str, Any] = {}

    def fragment(self, name: str) -> Any:
        if name not in self.known:
            definition = self.context.get_fragment(name)
            # Unknown fragments and cycles are other rules' errors: count nothing there.
            self.known[name] = None
            self.known[name] = self.selections(definition.selection_set) if definition else None
        return self.known[name]

    def selections(self, selection_set: SelectionSetNode | None) -> Any:
        raise NotImplementedError


class DepthWalk(FragmentWalk):
    """Depth as Strawberry counts it: a field with a selection set is one level below its
    parent; introspection fields (`__schema`, `__type`) are not counted."""

    def selections(self, selection_set: SelectionSetNode | None) -> int:
        depth = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                if selection.selection_set and not selection.name.value.startswith("__"):
                    depth = max(depth, 1 + self.selections(selection.selection_set))
            elif isinstance(selection, InlineFragmentNode):
                depth = max(depth, self.selections(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                depth = max(depth, self.fragment(selection.name.value) or 0)
        return depth


class AliasWalk(FragmentWalk):
    """Aliases as Strawberry counts them: every alias, once per spread of its fragment."""

    def selections(self, selection_set: SelectionSetNode | None) -> int:
        count = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                count += selection.alias is not None
                if selection.selection_set:
                    count += self.selections(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                count += self.selections(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                count += self.fragment(selection.name.value) or 0
        return count


def depth_limit(max_depth: int) -> type[ASTValidationRule]:
    class DepthLimit(ASTValidationRule):
        def enter_document(self, document: DocumentNode, *_args: Any) -> None:
            walk = DepthWalk(self.context)
            for definition in document.definitions:
                if isinstance(definition, OperationDefinitionNode):
                    depth = walk.selections(definition.selection_set)
                    if depth > max_depth:
                        name = definition.name.value if definition.name else "anonymous"
                        self.report_error(
                            GraphQLError(
                                f"'{name}' exceeds maximum operation depth of {max_depth}",
                                definition,
                            )
                        )

    return DepthLimit


def alias_limit(max_aliases: int) -> type[ASTValidationRule]:
    class AliasLimit(ASTValidationRule):
        def enter_document(self, document: DocumentNode, *_args: Any) -> None:
            walk = AliasWalk(self.context)
            for definition in document.definitions:
                if isinstance(definition, OperationDefinitionNode):
                    count = walk.selections(definition.selection_set)
                    if count > max_aliases:
                        self.report_error(
                            GraphQLError(
                                f"{count} aliases found. Allowed: {max_aliases}",
                                definition,
                            )
                        )

    return AliasLimit


def with_code(error: GraphQLError, code: str) -> GraphQLError:
    """The error with `extensions.code`, unless it has one (errors are cached: copy)."""
    if (error.extensions or {}).get("code"):
        return error
    return GraphQLError(
        error.message,
        error.nodes,
        error.source,
        error.positions,
        error.path,
        error.original_error,
        {**(error.extensions or {}), "code": code},
    )


def code_parse_error(error: GraphQLError) -> None:
    """Codes a parse error in place (it is already in the answer): a token-limit refusal
    is a limit (GRAPHQL_VALIDATION_FAILED), anything else GRAPHQL_PARSE_FAILED."""
    if (error.extensions or {}).get("code"):
        return
    code = VALIDATION_FAILED if TOKEN_LIMIT_MESSAGE.search(error.message) else PARSE_FAILED
    error.extensions = {**(error.extensions or {}), "code": code}


def without_suggestions(error: GraphQLError) -> GraphQLError:
    message = SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    return GraphQLError(
        message,
        error.nodes,
        error.source,
        error.positions,
        error.path,
        error.original_error,
        error.extensions,
    )


@lru_cache(maxsize=VALIDATION_CACHE_SIZE)
def cached_validate(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    hide_suggestions: bool,
) -> tuple[GraphQLError, ...]:
    errors = validate(schema, document, rules, hide_suggestions=hide_suggestions)
    return tuple(with_code(error, VALIDATION_FAILED) for error in errors)


def validation_extension(
    max_depth: int, max_aliases: int, extra_rules: tuple[type[ASTValidationRule], ...] = ()
) -> type[SchemaExtension]:
    """The schema's one validation step: specified rules, Strawberry's, the limits.

    The rule classes are made once here, so the cache (keyed on them) hits across requests.
    """
    rules = (
        *specified_rules,
        MaybeNullValidationRule,
        OneOfInputValidationRule,
        depth_limit(max_depth),
        alias_limit(max_aliases),
        *extra_rules,
    )

    class Validation(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            # A document that does not parse reaches here as the exception itself (the
            # parser cache raises it through the hooks) or as the answer's errors.
            try:
                yield
            except GraphQLError as error:
                code_parse_error(error)
                raise
            if self.execution_context.graphql_document is None:
                for parse_error in self.execution_context.pre_execution_errors or ():
                    code_parse_error(parse_error)

        def on_validate(self) -> Iterator[None]:
            execution_context = self.execution_context
            anonymous = not getattr(execution_context.context, "authenticated", False)
            errors = cached_validate(
                execution_context.schema._schema,
                execution_context.graphql_document,
                rules,
                anonymous,
            )
            execution_context.pre_execution_errors = list(errors)
            yield

        def on_execute(self) -> Iterator[None]:
            yield
            # Coercing variables can suggest names too ("Did you mean 'email'?").
            result = self.execution_context.result
            anonymous = not getattr(self.execution_context.context, "authenticated", False)
            if anonymous and result is not None and result.errors:
                result.errors = [without_suggestions(error) for error in result.errors]

    return Validation
