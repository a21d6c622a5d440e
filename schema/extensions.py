"""Cross-cutting behaviour: sign-in required, and per-request session cleanup."""

from __future__ import annotations

from collections.abc import AsyncIterator

from graphql import ExecutionResult, FieldNode, GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from resolvers.credentials import UNAUTHENTICATED_MESSAGES, unauthenticated_extensions

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


class CloseSessions(SchemaExtension):
    """Returns the request's database session to the pool when the operation ends."""

    async def on_operation(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self.execution_context.context.close()
