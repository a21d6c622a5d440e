"""Request-level errors as JSON: `{"errors": [{"message", "extensions": {"code"}}]}`."""

from __future__ import annotations

from starlette.responses import JSONResponse


def json_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The one shape of every error the server answers outside GraphQL execution."""
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers=headers,
    )
