"""Request-level errors (not GraphQL execution errors), as JSON, from one helper."""

from __future__ import annotations

from starlette.responses import JSONResponse


def json_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """`{"errors": [{"message": ..., "extensions": {"code": ...}}]}` with `status`."""
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers=headers,
    )
