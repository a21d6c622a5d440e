"""Guards for multipart requests to /graphql (file uploads), in front of Strawberry.

CSRF: a browser may send a multipart form to any site without a preflight, and
Strawberry runs such a request. As Apollo's CSRF prevention does, a multipart
request must carry a header no plain HTML form can set (`Apollo-Require-Preflight`,
`X-Apollo-Operation-Name` or `X-Requested-With`), else 400.

Size: Starlette spools a whole multipart body to disk before the resolver sees
it, so a body far above the attachment limit is cut off at the door (413) while
it streams in; the resolver enforces the exact limit and answers a userError.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.http_errors import json_error

PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name", "x-requested-with")
# Room for the `operations` and `map` parts and the part headers beside the file itself.
MULTIPART_OVERHEAD_BYTES = 1024 * 1024


class BodyTooLarge(Exception):
    pass


class UploadGuard:
    def __init__(self, app: ASGIApp, max_file_bytes: int) -> None:
        self.app = app
        self.max_file_bytes = max_file_bytes
        self.max_body_bytes = max_file_bytes + MULTIPART_OVERHEAD_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not headers.get("content-type", "").lower().startswith("multipart/"):
            await self.app(scope, receive, send)
            return
        if not any(headers.get(name, "").strip() for name in PREFLIGHT_HEADERS):
            response = json_error(
                400,
                "BAD_REQUEST",
                "Multipart requests need an `Apollo-Require-Preflight: true` header "
                "(CSRF protection).",
            )
            await response(scope, receive, send)
            return
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body_bytes:
            await self._too_large(scope, receive, send)
            return
        await self._run_capped(scope, receive, send)

    async def _run_capped(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Counts the body as it arrives (chunked uploads have no Content-Length)."""
        received = 0
        started = False

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, capped_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = json_error(
            413,
            "PAYLOAD_TOO_LARGE",
            f"The upload is far larger than the attachment limit of {self.max_file_bytes:,} bytes.",
        )
        await response(scope, receive, send)
