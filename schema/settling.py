"""Execution that lets no sibling outlive the operation.

When a field raises synchronously (e.g. `orders(first: 300)`), graphql-core answers at
once and leaves the siblings already started (e.g. `contacts`, awaiting the request's
session) to settle in the background. They must not outlive the operation: the request
closes its session and commits or rolls back its transaction after them, so they are
registered with the request's context, which awaits them first (`Context.settle`).
"""

from __future__ import annotations

from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class SettlingExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Keeps hold of the sibling work graphql-core abandons when a field fails."""

    def settle_in_background(self, awaitables: list[Any]) -> None:
        super().settle_in_background(awaitables)
        track = getattr(self.context_value, "track_background", None)
        if track is not None:
            track(self.background_futures)
