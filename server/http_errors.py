"""Request-level failures (not GraphQL execution errors) as one JSON shape.

`{"errors": [{"message": "...", "extensions": {"code": "BAD_REQUEST"}}]}`: the shape of a
GraphQL response without `data`, so a client reads every failure the same way.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"
CONTENT_TYPE = {
    GRAPHQL_RESPONSE_JSON: f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8",
    APPLICATION_JSON: APPLICATION_JSON,
}
MAX_QUALITY = 1.0


def negotiate(accept: str | None) -> str:
    """The response media type for an Accept header: graphql-response+json when the client
    names it at least as high as JSON, else application/json (also for */* or no header)."""
    graphql_quality = json_quality = 0.0
    for part in (accept or "").split(","):
        media_type, _, parameters = part.partition(";")
        media_type = media_type.strip().lower()
        if media_type == GRAPHQL_RESPONSE_JSON:
            graphql_quality = max(graphql_quality, _quality(parameters))
        elif media_type in (APPLICATION_JSON, "application/*", "*/*"):
            json_quality = max(json_quality, _quality(parameters))
    if graphql_quality > 0 and graphql_quality >= json_quality:
        return GRAPHQL_RESPONSE_JSON
    return APPLICATION_JSON


def _quality(parameters: str) -> float:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value.strip()), 0.0), MAX_QUALITY)
            except ValueError:
                return 0.0
    return MAX_QUALITY


def json_error(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    extensions: dict[str, object] | None = None,
    media_type: str = APPLICATION_JSON,
) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code, **(extensions or {})}}]},
        status_code=status,
        headers=headers,
        media_type=CONTENT_TYPE[media_type],
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
