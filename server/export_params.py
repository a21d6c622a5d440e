"""The query parameters of the CSV (and PDF) exports: GraphQL's names, checked.

Every export takes the names of the GraphQL filter or arguments it mirrors
(`/export/customers.csv?statuses=ACTIVE` as `customers(filter: {statuses: [ACTIVE]})`),
plus its own options (`sort`, `direction`, `columns`). A list parameter repeats or
separates values with commas. A few older short names (`status`, `customer`, ...) stay
accepted as aliases for one release. Anything else is refused with a JSON 400 whose
`extensions.validParameters` lists what the export takes (docs/api.md, "CSV exports").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import JSONResponse

from resolvers.errors import BadUserInput


class UnknownParameters(BadUserInput):
    def __init__(self, unknown: list[str], valid: list[str]) -> None:
        super().__init__(
            f"Unknown parameter(s) {', '.join(unknown)}; valid: {', '.join(valid)}.",
            "BAD_REQUEST",
        )
        self.unknown = unknown
        self.valid = valid


@dataclass(frozen=True)
class ExportParameters:
    """What one export route takes.

    `mirrors` names the GraphQL input type or field whose names `graphql` are (a test
    checks they are exactly its fields or arguments); `options` are the export's own.
    """

    mirrors: str
    graphql: tuple[str, ...]
    options: tuple[str, ...] = ()
    lists: frozenset[str] = frozenset()
    aliases: Mapping[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> list[str]:
        return [*self.graphql, *self.options]

    def read(self, request: Request) -> dict[str, list[str]]:
        """Canonical name -> values (aliases folded in, lists split on commas)."""
        valid = self.valid
        unknown = sorted(
            {
                name
                for name in request.query_params
                if name not in valid and name not in self.aliases
            }
        )
        if unknown:
            raise UnknownParameters(unknown, valid)
        values: dict[str, list[str]] = {}
        for name, value in request.query_params.multi_items():
            canonical = self.aliases.get(name, name)
            parts = (
                [part.strip() for part in value.split(",") if part.strip()]
                if canonical in self.lists
                else [value]
            )
            values.setdefault(canonical, []).extend(parts)
        return values


# Export path -> its parameters: tests/test_conventions.py walks every /export/ route
# and checks it against the GraphQL it names.
BY_PATH: dict[str, ExportParameters] = {}


def register(path: str, parameters: ExportParameters) -> ExportParameters:
    BY_PATH[path] = parameters
    return parameters


def bad_request(error: BadUserInput) -> JSONResponse:
    """A refused export request: the JSON error shape, with the valid parameters."""
    # A generic refusal is BAD_REQUEST; a specific one keeps its code (INVALID_ID...).
    extensions: dict[str, object] = {
        "code": "BAD_REQUEST" if error.code == BadUserInput.code else error.code
    }
    if isinstance(error, UnknownParameters):
        extensions["validParameters"] = error.valid
    return JSONResponse(
        {"errors": [{"message": str(error), "extensions": extensions}]}, status_code=400
    )


def one(values: Mapping[str, list[str]], name: str) -> str | None:
    """The single value of a parameter; the last one wins when repeated."""
    found = values.get(name)
    return found[-1] if found else None
