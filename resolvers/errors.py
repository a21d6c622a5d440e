"""Errors resolvers raise. The schema turns them into userErrors or coded GraphQL errors."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ParamSpec, TypeVar


class UserErrorCode(enum.StrEnum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    INVALID_ID = "INVALID_ID"
    NOT_FOUND = "NOT_FOUND"
    TAKEN = "TAKEN"
    STALE = "STALE"
    FORBIDDEN = "FORBIDDEN"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    INACTIVE_STAFF = "INACTIVE_STAFF"
    HAS_ORDERS = "HAS_ORDERS"
    CREDIT_HOLD = "CREDIT_HOLD"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    PRODUCT_NOT_VISIBLE = "PRODUCT_NOT_VISIBLE"
    OVER_ALLOCATED = "OVER_ALLOCATED"
    PARTIAL_PAYMENT_NOT_ALLOWED = "PARTIAL_PAYMENT_NOT_ALLOWED"
    UNKNOWN_COLUMN = "UNKNOWN_COLUMN"
    FILE_TYPE_NOT_ALLOWED = "FILE_TYPE_NOT_ALLOWED"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    ALREADY_REVERTED = "ALREADY_REVERTED"
    PREPAYMENT_REQUIRED = "PREPAYMENT_REQUIRED"
    OVER_REFUND = "OVER_REFUND"
    CREDIT_LIMIT_EXCEEDED = "CREDIT_LIMIT_EXCEEDED"
    CUSTOMER_ARCHIVED = "CUSTOMER_ARCHIVED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    THROTTLED = "THROTTLED"


# What each code means (schema/errors.py gives them to the schema; the receivables'
# ones are in docs/receivables.md too).
CODE_DESCRIPTIONS: dict[UserErrorCode, str] = {
    UserErrorCode.INVALID: "The value is not acceptable here (the message says why).",
    UserErrorCode.REQUIRED: "A required value is missing or blank.",
    UserErrorCode.TOO_LONG: "The text is longer than the field allows.",
    UserErrorCode.OUT_OF_RANGE: "A number or date outside the allowed range.",
    UserErrorCode.INVALID_ID: "Not a global id, or the id of another type than the field takes.",
    UserErrorCode.NOT_FOUND: "No such object in your company (or not one you may see).",
    UserErrorCode.TAKEN: "Another object already uses this value (e.g. an e-mail address).",
    UserErrorCode.STALE: "expectedVersion is not the object's version: someone changed it "
    "since you read it. Read it again and retry.",
    UserErrorCode.FORBIDDEN: "Your role may not make this change.",
    UserErrorCode.INVALID_CREDENTIALS: "Unknown e-mail address or wrong password.",
    UserErrorCode.INACTIVE_STAFF: "The staff member is deactivated: no sign-in, no assignment.",
    UserErrorCode.HAS_ORDERS: "The customer has orders or transactions and cannot be deleted "
    "(archive it instead).",
    UserErrorCode.CREDIT_HOLD: "The customer is on credit hold: no new orders.",
    UserErrorCode.INVALID_TRANSITION: "The order cannot move from its status to that one.",
    UserErrorCode.PRODUCT_NOT_VISIBLE: "The product is exclusive to other customers or inactive.",
    UserErrorCode.UNKNOWN_COLUMN: "Not a column key of this list (see customerColumns, "
    "locationColumns).",
    UserErrorCode.FILE_TYPE_NOT_ALLOWED: "Uploads of this content type are refused.",
    UserErrorCode.FILE_TOO_LARGE: "The file is larger than the upload limit.",
    UserErrorCode.ALREADY_REVERTED: "The bulk operation was reverted already.",
    UserErrorCode.PREPAYMENT_REQUIRED: "The customer is PREPAY_ONLY: the order can be confirmed once "
    "fully paid.",
    UserErrorCode.THROTTLED: "Too many failed sign-ins for this e-mail address or client: "
    "wait, then retry.",
    UserErrorCode.OVER_ALLOCATED: "Allocations exceed the credit's amount or what is left "
    "of it, or an order's balance due.",
    UserErrorCode.PARTIAL_PAYMENT_NOT_ALLOWED: "The customer may not pay an order in part.",
    UserErrorCode.OVER_REFUND: "A refund larger than the customer's unapplied credit.",
    UserErrorCode.CREDIT_LIMIT_EXCEEDED: "Invoicing would take the customer's balance above "
    "its credit limit (an ADMIN or MANAGER may pass overrideCreditLimit).",
    UserErrorCode.CUSTOMER_ARCHIVED: "The customer is archived: no new orders.",
    UserErrorCode.IDEMPOTENCY_KEY_REUSED: "This idempotency key was used in the last 24 hours "
    "with other input (or by another operation).",
}


@dataclass(frozen=True)
class FieldError:
    field: tuple[str, ...] | None
    message: str
    code: UserErrorCode


class UserInputError(Exception):
    """Bad input: the mutation writes nothing and answers these as userErrors."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)

    @classmethod
    def one(
        cls, field: str | Sequence[str] | None, message: str, code: UserErrorCode
    ) -> UserInputError:
        path = (field,) if isinstance(field, str) else (tuple(field) if field else None)
        return cls([FieldError(path, message, code)])


P = ParamSpec("P")
T = TypeVar("T")


class ErrorCollector:
    """Gathers every problem with an input before any is reported.

    Field paths are relative to `prefix` (by default the mutation's `input` argument).
    """

    def __init__(self, prefix: Sequence[str] = ("input",)) -> None:
        self.prefix = tuple(prefix)
        self.errors: list[FieldError] = []

    def add(self, field: str | Sequence[str] | None, message: str, code: UserErrorCode) -> None:
        if field is None:
            path = self.prefix or None
        else:
            path = self.prefix + ((field,) if isinstance(field, str) else tuple(field))
        self.errors.append(FieldError(path, message, code))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def collect(self, check: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
        """`check(*args, **kwargs)`, its UserInputError's errors kept here rather than raised
        (None then), so that every bad argument is reported at once."""
        try:
            return check(*args, **kwargs)
        except UserInputError as error:
            self.errors.extend(error.errors)
            return None

    def raise_if_any(self) -> None:
        if self.errors:
            raise UserInputError(self.errors)


class CodedError(Exception):
    """A request-level error with an `extensions.code` (UNAUTHENTICATED, FORBIDDEN...)."""

    code = "BAD_REQUEST"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code
        # graphql-core copies this onto the GraphQL error it reports.
        self.extensions = {"code": self.code}


class Unauthenticated(CodedError):
    code = "UNAUTHENTICATED"

    @classmethod
    def because(cls, problem: str) -> Unauthenticated:
        """The error for a credentials.TokenProblem, with `extensions.reason`."""
        from resolvers.credentials import UNAUTHENTICATED_MESSAGES

        error = cls(UNAUTHENTICATED_MESSAGES[problem])
        error.extensions["reason"] = problem
        return error


class Forbidden(CodedError):
    code = "FORBIDDEN"


class BadUserInput(CodedError):
    code = "BAD_USER_INPUT"
