"""CSV exports: streamed from a server-side cursor, so memory stays flat at any size.

Each domain's export module defines ROUTES; server/app.py mounts them all.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Select
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from db.session import Database
from resolvers.context import Context
from resolvers.credentials import UNAUTHENTICATED_MESSAGES
from server.auth import authenticate, sign_in_problem
from server.http_errors import json_error

BATCH_ROWS = 1000


async def request_context(request: Request) -> Context | None:
    """The Context of an authenticated export or download request, else None."""
    db: Database = request.app.state.db
    viewer = await authenticate(db, request.headers.get("authorization"))
    if viewer is None:
        return None
    return Context(db, request.app.state.settings, viewer, request=request)


async def unauthorized(request: Request) -> Response:
    """401 in the JSON error shape, saying why (MISSING, INVALID, EXPIRED, REVOKED)."""
    problem = await sign_in_problem(request.app.state.db, request.headers.get("authorization"))
    return json_error(
        401,
        "UNAUTHENTICATED",
        UNAUTHENTICATED_MESSAGES[problem],
        {"WWW-Authenticate": "Bearer"},
        {"reason": problem},
    )


async def stream_rows(
    context: Context, statement: Select[Any], batch: int = BATCH_ROWS
) -> AsyncIterator[Any]:
    """Rows of `statement` in the viewer's scope, fetched `batch` at a time."""
    session = context.db.session(context.scope)
    try:
        result = await session.stream(statement.execution_options(yield_per=batch))
        async for partition in result.partitions():
            for row in partition:
                yield row
    finally:
        await session.close()


def csv_response(
    filename: str,
    header: Sequence[str],
    rows: AsyncIterator[Any],
    to_cells: Callable[[Any], Iterable[Any]],
) -> StreamingResponse:
    """A streamed CSV download: header, then `to_cells(row)` for each row."""

    async def body() -> AsyncIterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        count = 0
        async for row in rows:
            writer.writerow(to_cells(row))
            count += 1
            if count % BATCH_ROWS == 0:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode()

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
