"""GET /attachments/{id}: a customer file as a download, with the bearer token."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from resolvers.attachments import attachment_for_download, open_attachment
from resolvers.errors import BadUserInput
from resolvers.storage import MissingObject
from server.exports import request_context, unauthorized
from server.http_errors import json_error
from server.logging import log

# Anything but these in the quoted ASCII fallback name becomes "_" (no quotes, backslashes,
# control characters or separators that could break out of the header).
UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9 ._()\[\]+,=@&#!~-]")


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the exact name in RFC 5987 form."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = UNSAFE_ASCII.sub("_", ascii_name).strip() or "attachment"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def not_found() -> Response:
    return json_error(404, "NOT_FOUND", "No such attachment.")


async def download(request: Request) -> Response:
    context = await request_context(request)
    if context is None:
        return await unauthorized(request)
    try:
        try:
            attachment = await attachment_for_download(context, request.path_params["id"])
        except BadUserInput as error:
            return json_error(400, error.code, str(error))
        if attachment is None:
            return not_found()
        try:
            chunks = await open_attachment(context, attachment)
        except MissingObject:
            log.error("attachment.bytes_missing", attachment_id=attachment.id)
            return not_found()
    finally:
        await context.close()
    return StreamingResponse(
        chunks,
        media_type=attachment.content_type,
        headers={
            "Content-Disposition": content_disposition(attachment.filename),
            "Content-Length": str(attachment.size),
            "X-Content-Type-Options": "nosniff",
            # Files may be private: no shared caches, and nothing the browser runs.
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


ROUTES: list[BaseRoute] = [Route("/attachments/{id}", download, methods=["GET"])]
