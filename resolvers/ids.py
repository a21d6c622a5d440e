"""Global ids: base64 of "TypeName:pk", the same encoding strawberry.relay uses."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence

from resolvers.errors import BadUserInput, ErrorCollector, UserErrorCode, UserInputError


def encode_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


# Primary keys are 32-bit integers; a larger number can't name a row (and PostgreSQL
# would refuse it as a parameter), so it is malformed.
MAX_PK = 2**31 - 1


def decode_id(value: str) -> tuple[str, int] | None:
    """(type name, primary key), or None when the id is malformed."""
    try:
        raw = base64.b64decode(value.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, sep, pk = raw.partition(":")
    if not sep or not type_name or not pk.isdigit() or len(pk) > 10 or int(pk) > MAX_PK:
        return None
    return type_name, int(pk)


def parse_id(value: str, type_name: str, field: str | Sequence[str]) -> int:
    """The pk of an id of `type_name`, else a userError on `field` (full argument path)."""
    decoded = decode_id(value)
    if decoded is None or decoded[0] != type_name:
        raise UserInputError.one(
            field, f"Not a valid {type_name} id: {value!r}.", UserErrorCode.INVALID_ID
        )
    return decoded[1]


def parse_ids(values: Iterable[str], type_name: str, field: Sequence[str]) -> list[int]:
    """Distinct pks of ids of `type_name`; `field` is the full path of the list argument."""
    errors = ErrorCollector(prefix=())
    pks: list[int] = []
    for index, value in enumerate(values):
        decoded = decode_id(value)
        if decoded is None or decoded[0] != type_name:
            errors.add(
                [*field, str(index)],
                f"Not a valid {type_name} id: {value!r}.",
                UserErrorCode.INVALID_ID,
            )
        else:
            pks.append(decoded[1])
    errors.raise_if_any()
    return list(dict.fromkeys(pks))


def query_id(value: str, type_name: str, argument: str) -> int:
    """The pk of an id of `type_name` given to a query argument (`customer(id:)`), else an
    INVALID_ID error: the same answer node(id:), nodes(ids:) and mutations give (as a
    userError there). A well-formed id that names nothing visible is null, not an error."""
    decoded = decode_id(value)
    if decoded is None or decoded[0] != type_name:
        raise BadUserInput(f"`{argument}`: not a valid {type_name} id: {value!r}.", "INVALID_ID")
    return decoded[1]
