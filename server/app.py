"""The ASGI app: /graphql (GraphiQL in a browser), /healthz, exports and downloads.

How /graphql speaks HTTP (media types, status codes, persisted queries, caching) is
server/graphql_http.py; GraphiQL's page is server/graphiql/.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import time
from contextlib import asynccontextmanager
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types import ExecutionResult

from db.session import Database
from resolvers.context import Context
from resolvers.permissions import Viewer
from schema import build_schema
from schema.cost import CostLimits
from server.auth import authenticate, authenticate_in, sign_in_problem
from server.graphiql import GraphiQLPage
from server.graphql_http import GraphQLOverHTTP
from server.http_errors import json_http_exception
from server.limits import Limits
from server.limits.bodies import BodyLimit
from server.logging import configure_logging, log
from server.persisted import PersistedQueries, persisted_queries
from server.security_headers import SecurityHeaders
from server.settings import Settings, get_settings
from server.uploads import UploadGuard

# Where get_context leaves the request's Context in the ASGI scope.
REQUEST_CONTEXT = "rolodex.context"

# Modules defining ROUTES beside /graphql: CSV exports and attachment downloads.
ROUTE_MODULES = (
    "server.exports_customers",
    "server.exports_orders",
    "server.exports_reports",
    "server.exports_statement",
    "server.exports_interactions",
    "server.exports_children",
    "server.downloads",
)


class WebSocketContext(Context):
    """A WebSocket's context for all its operations, signed in at connection_init."""

    connection_params: dict[str, Any] | None = None

    def sign_in(self, viewer: Viewer | None) -> None:
        self._viewer = viewer


class GraphQLApp(GraphQLOverHTTP):
    def __init__(
        self,
        db: Database,
        settings: Settings,
        limits: Limits,
        persisted: PersistedQueries,
        graphiql: GraphiQLPage | None,
        **kwargs: Any,
    ) -> None:
        schema = build_schema(
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_tokens=settings.max_tokens,
            introspection=settings.introspection,
            planned=settings.planned_execution,
            cost=CostLimits(
                settings.max_query_cost, settings.default_page_size, settings.max_page_size
            ),
            throttle=limits.queries,
        )
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            # Browsers on these origins may open a WebSocket, as they may call over HTTP.
            allowed_origins=settings.cors_origins,
            **kwargs,
        )
        self.db = db
        self.settings = settings
        self.limits = limits
        self.persisted = persisted
        self.graphiql = graphiql

    async def render_graphql_ide(self, request: Request) -> Response:
        assert self.graphiql is not None
        return self.graphiql.response()

    def encode_json(self, data: object) -> str:
        # orjson: a large page's response encodes several times faster than with json.dumps.
        # Text, not bytes: WebSocket messages must stay text frames.
        return orjson.dumps(data).decode()

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        if isinstance(request, WebSocket):
            viewer = await authenticate(self.db, request.headers.get("authorization"))
            return WebSocketContext(self.db, self.settings, viewer, request=request)
        # One session per HTTP request: it checks the token, then serves the reads.
        opened = self.db.session(None)
        try:
            viewer = await authenticate_in(opened, request.headers.get("authorization"))
        except BaseException:
            await opened.close()
            raise
        authorization = request.headers.get("authorization")
        problem = "MISSING"
        if viewer is None:
            # Never hand an unscoped session to a request without a viewer.
            await opened.close()
            if authorization:
                problem = await sign_in_problem(self.db, authorization)
        context = Context(
            self.db,
            self.settings,
            viewer,
            request=request,
            response=response,
            session=opened if viewer is not None else None,
        )
        context.auth_problem = problem
        context.login_attempts = self.limits.logins
        context.client_address = request.client.host if request.client else None
        # Closed by RequestLog after the response, even when no operation ran (a 400 or 405).
        request.scope[REQUEST_CONTEXT] = context
        return context

    async def on_ws_connect(self, context: WebSocketContext) -> None:
        # Browsers cannot set headers on a WebSocket: the token comes in connection_init.
        params = context.connection_params or {}
        authorization = params.get("Authorization") or params.get("authorization")
        if isinstance(authorization, str):
            context.sign_in(await authenticate(self.db, authorization))
        if not context.authenticated:
            raise ConnectionRejectionError({"message": "Sign in first: send a valid token."})

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        try:
            # Cancelling a mutation rolls its transaction back: all or nothing still holds.
            async with asyncio.timeout(self.settings.request_timeout_seconds):
                return await super().execute_single(*args, **kwargs)
        except TimeoutError:
            return ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        "The request took longer than "
                        f"{self.settings.request_timeout_seconds:g} s and was stopped.",
                        extensions={"code": "TIMEOUT"},
                    )
                ],
            )


class RequestLog:
    """One structured log line per HTTP request, and its database session closed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            context = scope.get(REQUEST_CONTEXT)
            if context is not None:
                await context.close()
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 1),
            )


async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def freeze_startup_objects() -> None:
    """Takes what startup built (schema, mappers, modules) out of the garbage collector's walk.

    A full collection walks every tracked object; a large response (an aging report of
    thousands of rows) allocates enough to set off several, each walking the hundreds of
    thousands of objects built at startup: up to a third of that request's CPU. Frozen
    objects are never walked (nor freed: they live as long as the process anyway).
    """
    gc.collect()
    gc.freeze()


def cors_middleware(origins: list[str]) -> Middleware:
    """Pages on `origins` may call the API. Tokens travel in Authorization, never in
    cookies, so no credentials mode: a foreign page cannot ride on a signed-in browser."""
    return Middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "POST"],
        allow_headers=[
            "Authorization",
            "Content-Type",
            "Accept",
            "Apollo-Require-Preflight",
            "X-Apollo-Operation-Name",
            "X-Requested-With",
        ],
        expose_headers=["ETag", "Retry-After"],
        max_age=600,
    )


def create_app(settings: Settings | None = None, db: Database | None = None) -> Starlette:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)
    db = db or Database(
        settings.database_url,
        echo=settings.database_echo,
        pool_size=settings.database_pool_size,
        statement_timeout_ms=settings.statement_timeout_ms,
    )
    limits = Limits.from_settings(settings)
    persisted = persisted_queries(
        settings.redis_url,
        settings.trusted_documents,
        settings.apq_cache_bytes,
        settings.apq_ttl_seconds,
    )
    graphiql = GraphiQLPage() if settings.graphiql else None
    # Uploads (multipart spec) pass the CSRF and size guard first: see server/uploads.py.
    graphql = GraphQLApp(db, settings, limits, persisted, graphiql, multipart_uploads_enabled=True)
    guarded_graphql = UploadGuard(graphql, settings.attachments_max_bytes)

    @asynccontextmanager
    async def lifespan(_app: Starlette):
        freeze_startup_objects()
        yield
        await persisted.close()
        await limits.store.close()
        await db.dispose()

    routes = [
        *(route for module in ROUTE_MODULES for route in importlib.import_module(module).ROUTES),
        *(graphiql.routes if graphiql else ()),
        Route("/healthz", healthz),
        # Every method reaches the view, which answers the ones it does not take (405) in JSON.
        Route("/graphql", guarded_graphql),
        WebSocketRoute("/graphql", graphql),
    ]
    allowed = {
        route.path: ", ".join(sorted(route.methods))
        for route in routes
        if isinstance(route, Route) and route.methods
    }
    middleware = [
        Middleware(RequestLog),
        Middleware(SecurityHeaders, allowed_methods=allowed),
        Middleware(
            BodyLimit,
            max_bytes=settings.max_body_bytes,
            timeout_seconds=settings.body_timeout_seconds,
        ),
    ]
    if settings.cors_origins:
        middleware.append(cors_middleware(settings.cors_origins))
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=middleware,
        exception_handlers={HTTPException: json_http_exception},
    )
    app.state.db = db
    app.state.limits = limits
    app.state.settings = settings
    app.state.schema = graphql.schema  # tests read its planner's counts
    return app
