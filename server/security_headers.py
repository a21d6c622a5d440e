"""Security headers on every response, in one place.

JSON and CSV answers get the strictest policy (nothing may load, nothing may frame
them). The GraphiQL page is served with every asset from this server's own origin, so
its policy allows only 'self' (inline styles: GraphiQL's editor sets style attributes).
A 405 names the route's methods in `Allow` (RFC 9110 requires it; Strawberry's has none).
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
GRAPHIQL_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, allowed_methods: Mapping[str, str]) -> None:
        self.app = app
        # path -> "GET, POST" for the 405s the route answers without naming them
        self.allowed_methods = allowed_methods

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in COMMON.items():
                    headers.setdefault(name, value)
                html = headers.get("content-type", "").startswith("text/html")
                headers.setdefault("Content-Security-Policy", GRAPHIQL_CSP if html else API_CSP)
                if message["status"] == 405:
                    # Also replaces Starlette's own, listed in no fixed order.
                    allowed = self.allowed_methods.get(scope["path"])
                    if allowed:
                        headers["Allow"] = allowed
            await send(message)

        await self.app(scope, receive, send_with_headers)
