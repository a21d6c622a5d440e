"""userErrors for payloads, and which GraphQL errors reach clients unmasked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import strawberry
import structlog
from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from db.session import is_statement_timeout
from resolvers.errors import CODE_DESCRIPTIONS, CodedError, UserErrorCode, UserInputError
from schema.enums import graphql_enum

graphql_enum(
    UserErrorCode,
    description="Why a mutation refused its input.",
    value_descriptions=CODE_DESCRIPTIONS,
)


@strawberry.type(description="Why a mutation refused its input. Nothing was written.")
class UserError:
    field: list[str] | None = strawberry.field(
        description="Path from the mutation's arguments to the field at fault, "
        "e.g. ['input', 'email']; null when the input as a whole is at fault."
    )
    message: str = strawberry.field(description="What is wrong, in English, for people.")
    code: UserErrorCode = strawberry.field(description="What is wrong, for programs.")


USER_ERRORS = (
    "Why the input was refused; empty when the mutation succeeded. When not empty, nothing "
    "was written."
)


P = TypeVar("P")
log = structlog.get_logger("rolodex")


async def mutate(payload: Callable[..., P], action: Callable[[], Awaitable[dict[str, Any]]]) -> P:
    """Runs a mutation's action; bad input becomes the payload's userErrors.

    The action does its writes inside `context.transaction()`, so raising
    UserInputError anywhere rolls everything back.
    """
    try:
        values = await action()
    except UserInputError as error:
        return payload(
            user_errors=[
                UserError(field=list(e.field) if e.field else None, message=e.message, code=e.code)
                for e in error.errors
            ]
        )
    return payload(**values, user_errors=[])


class MaskUnexpectedErrors(MaskErrors):
    """Hides unexpected exceptions (no stack traces or internals reach clients), coded."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=should_mask_error, error_message="Unexpected error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        if error.original_error is not None and is_statement_timeout(error.original_error):
            masked.message = "The database took too long to answer; the request was stopped."
            masked.extensions = {"code": "TIMEOUT"}
            return masked
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
        return masked


def log_errors(errors: Sequence[GraphQLError]) -> None:
    """One log record per error: the client's mistakes at `info`, one line with the code;
    anything unexpected at `error`, its traceback inside the structured record."""
    for error in errors:
        path = list(error.path) if error.path is not None else None
        if should_mask_error(error):
            original = error.original_error
            assert original is not None  # masked errors are the unexpected exceptions
            log.error(
                "graphql.internal_error",
                path=path,
                error=repr(original),
                exc_info=(type(original), original, original.__traceback__),
            )
            continue
        code = (error.extensions or {}).get("code") or "BAD_REQUEST"
        log.info("graphql.client_error", code=code, path=path, message=error.message[:300])


def should_mask_error(error: GraphQLError) -> bool:
    """Only unexpected exceptions are masked; coded and validation errors are for clients."""
    original = error.original_error
    if original is None or isinstance(original, CodedError | GraphQLError):
        return False
    # Without a path the error came from parsing or coercing the request: the client's mistake.
    return error.path is not None
