"""GetOperation as the GraphQL spec words it: a document of several operations needs
`operationName`. Strawberry would run the first one instead, silently."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

SEVERAL_OPERATIONS = "Must provide operation name if query contains multiple operations."


class OperationNameRequired(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        # Strawberry fills `operation_name` in from the first operation; what the client
        # sent is kept apart.
        if document is not None and context._provided_operation_name is None:
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if len(operations) > 1:
                # Set before validation runs, these errors stand in for its result.
                context.pre_execution_errors = [GraphQLError(SEVERAL_OPERATIONS, operations[1])]
        yield
