"""Request bodies: bounded in size, in time and in JSON nesting, refused as JSON errors.

A body over `max_body_bytes` is refused with 413 PAYLOAD_TOO_LARGE: at once when its
Content-Length says so, else as soon as the bytes received pass the limit (chunked
bodies), never read whole. A body that takes longer than `body_timeout_seconds` to
arrive is refused with 408. A JSON body that is not UTF-8, or nests deeper than
orjson's 1,024 levels, is a 400 BAD_REQUEST here (Python's json would raise
UnicodeDecodeError or RecursionError: a 500). Multipart bodies (uploads) are left to
server/uploads.py and its own, larger limit.
"""

from __future__ import annotations

import asyncio

import orjson
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.http_errors import json_error, negotiate

# orjson's own bound on nesting, checked by the same parse the view does.
MAX_JSON_DEPTH = 1024
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, timeout_seconds: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        content_type = headers.get("content-type", "").lower()
        if content_type.startswith("multipart/"):
            await self.app(scope, receive, send)
            return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        try:
            async with asyncio.timeout(self.timeout_seconds):
                body = await self._read(receive)
        except BodyTooLarge:
            await self._too_large(scope, receive, send)
            return
        except TimeoutError:
            response = json_error(
                408,
                "REQUEST_TIMEOUT",
                f"The request body did not arrive within {self.timeout_seconds:g} s.",
                {"Connection": "close"},
            )
            await response(scope, receive, send)
            return
        problem = json_problem(body) if "json" in content_type or not content_type else None
        if problem is not None:
            media_type = negotiate(headers.get("accept"))
            await json_error(400, "BAD_REQUEST", problem, media_type=media_type)(
                scope, receive, send
            )
            return
        await self.app(scope, replay(body, receive), send)

    async def _read(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = json_error(
            413,
            "PAYLOAD_TOO_LARGE",
            f"The request body is larger than {self.max_bytes:,} bytes.",
            # The rest of the body is not read: the connection cannot be reused.
            {"Connection": "close"},
        )
        await response(scope, receive, send)


def json_problem(body: bytes) -> str | None:
    """Why a JSON body cannot be read at all (bad encoding, too deep), else None.

    Other malformed JSON is left to the GraphQL view, which answers it the same way.
    """
    if not body:
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "The request body is not UTF-8."
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError as error:
        if "depth limit" in str(error) or "recursion" in str(error):
            return f"The request body nests JSON deeper than {MAX_JSON_DEPTH} levels."
    return None


def replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands over the body already read, then whatever comes next."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
