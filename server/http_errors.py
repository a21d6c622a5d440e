"""Request-level failures (not GraphQL execution errors) as one JSON shape.

`{"errors": [{"message": "...", "extensions": {"code": "BAD_REQUEST"}}]}`: the shape of a
GraphQL response without `data`, so a client reads every failure the same way.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


def json_error(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    extensions: dict[str, object] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code, **(extensions or {})}}]},
        status_code=status,
        headers=headers,
    )


class RequestError(Exception):
    """A request refused before any GraphQL ran; server/graphql_http.py answers it as JSON.

    `status` is for clients that accept `application/graphql-response+json`. Clients of
    plain `application/json` get `legacy_status`: the GraphQL-over-HTTP spec wants 200 for
    a well-formed request whatever GraphQL error it met (a persisted query not found, say),
    and 4xx only for requests that are not well-formed (the default: both the same).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str = "BAD_REQUEST",
        headers: dict[str, str] | None = None,
        legacy_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}
        self.legacy_status = status if legacy_status is None else legacy_status


async def json_http_exception(request: Request, error: Exception) -> Response:
    """Starlette's own refusals (no such route, a method a route does not take), as JSON."""
    assert isinstance(error, HTTPException)
    code = "NOT_FOUND" if error.status_code == 404 else "BAD_REQUEST"
    return json_error(error.status_code, code, str(error.detail), dict(error.headers or {}))
