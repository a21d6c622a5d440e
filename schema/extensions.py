"""Cross-cutting behaviour: sign-in required, and per-request session cleanup."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import structlog
from graphql import ExecutionResult, FieldNode, GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from resolvers.credentials import UNAUTHENTICATED_MESSAGES, unauthenticated_extensions

log = structlog.get_logger("rolodex")

# Root fields that answer without a viewer. Not introspection: the schema is for
# signed-in callers (GraphiQL signs in first), as are "Did you mean" suggestions.
PUBLIC_ROOT_FIELDS = frozenset({"login", "__typename"})


class RequireAuthentication(SchemaExtension):
    """Without a valid token, any operation touching more than `login` is refused."""

    def on_execute(self):
        context = self.execution_context.context
        if not context.authenticated and not self._public_only():
            self.execution_context.result = ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        UNAUTHENTICATED_MESSAGES[context.auth_problem],
                        extensions=unauthenticated_extensions(context.auth_problem),
                    )
                ],
            )
        yield

    def _public_only(self) -> bool:
        document = self.execution_context.graphql_document
        if document is None:
            return False
        name = self.execution_context.operation_name
        for definition in document.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            if name and (definition.name is None or definition.name.value != name):
                continue
            for selection in definition.selection_set.selections:
                if not isinstance(selection, FieldNode):
                    return False
                if selection.name.value not in PUBLIC_ROOT_FIELDS:
                    return False
        return True


class RefuseNulCharacters(SchemaExtension):
    """No text anywhere in a request may hold U+0000 (PostgreSQL stores no NUL in text;
    SQLite would keep it, and search would differ by database). Refused before anything
    runs, with `BAD_USER_INPUT`, whichever field the text was meant for."""

    def on_execute(self):
        execution = self.execution_context
        where = _nul_in(execution.variables, "$") or _nul_in_document(execution.query)
        if where is not None and execution.result is None:
            execution.result = ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        f"Text may not contain NUL (U+0000) characters ({where}).",
                        extensions={"code": "BAD_USER_INPUT"},
                    )
                ],
            )
        yield


def _nul_in(value: Any, path: str) -> str | None:
    """The path of the first string holding NUL in variables (keys too), else None."""
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return where
        elif isinstance(item, dict):
            for key, inner in item.items():
                if isinstance(key, str) and "\x00" in key:
                    return where
                stack.append((inner, f"{where}.{key}" if where != "$" else f"${key}"))
        elif isinstance(item, list):
            stack.extend((inner, f"{where}[{i}]") for i, inner in enumerate(item))
    return None


def _nul_in_document(query: str | None) -> str | None:
    # A literal can only hold NUL through an escape (a raw NUL does not parse).
    if query and ("\\u0000" in query or "\\u{0}" in query or "\x00" in query):
        return "a string in the document"
    return None


class CloseSessions(SchemaExtension):
    """One transaction per mutation operation, and the session returned when it ends.

    A mutation's writes commit only after its whole answer resolved (payloads are read
    inside the transaction); if any error is in the answer, everything is rolled back and
    the answer says so: no response reports an error while writes stay behind it. Every
    resolver, including siblings abandoned after a failure, ends before either.
    """

    async def on_operation(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self.execution_context.context.close()

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        mutation = _is_mutation(execution)
        if mutation:
            context.defer_commits()
        yield
        await context.settle()
        if not mutation:
            return
        result = execution.result
        if result is None or not context.wrote:
            await context.finish(commit=False)
            return
        if not result.errors:
            try:
                await context.finish(commit=True)
            except Exception as error:  # noqa: BLE001 - reported, coded, below
                log.error("mutation.commit_failed", exc_info=error)
                _rolled_back(result, "The changes could not be saved.")
            return
        await context.finish(commit=False)
        _rolled_back(result, "An error occurred while answering this mutation.")


def _is_mutation(execution: Any) -> bool:
    try:
        return execution.operation_type == OperationType.MUTATION
    except RuntimeError:  # no operation chosen: nothing will run
        return False


def _rolled_back(result: Any, why: str) -> None:
    """The answer of a mutation whose writes were rolled back: no data, and why."""
    result.data = None
    errors = list(result.errors or ())
    errors.append(
        GraphQLError(
            f"{why} Nothing was written: retrying is safe.",
            extensions={"code": "ROLLED_BACK"},
        )
    )
    result.errors = errors
