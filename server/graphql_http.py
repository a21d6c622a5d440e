"""GraphQL over HTTP, as the GraphQL-over-HTTP spec words it, on top of Strawberry's view.

- Media types: a client that accepts `application/graphql-response+json` gets it, with
  the spec's status codes (a request that failed before execution: 4xx and no `data`);
  every other client gets `application/json` and 200 for any well-formed request.
- Requests: POST `application/json` (UTF-8) or multipart uploads, GET query parameters;
  one operation per request; persisted queries (server/persisted.py). Every request-level
  failure answers a JSON body (server/http_errors.py), never plain text or a 500.
- Transport by operation: GET runs queries only (a mutation is 405 `Allow: POST`), POST
  queries and mutations; subscriptions run over WebSocket only.
- Caching: a GET query answered without errors carries an ETag and `Cache-Control:
  private, no-cache`, and is answered 304 when the client already holds that answer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from server.http_errors import (
    APPLICATION_JSON,
    CONTENT_TYPE,
    GRAPHQL_RESPONSE_JSON,
    RequestError,
    json_error,
    negotiate,
)
from server.persisted import PersistedQueries

# Where a request's negotiated media type and its outcome wait in the ASGI scope.
MEDIA_TYPE_KEY = "rolodex.media_type"
OUTCOME_KEY = "rolodex.graphql_outcome"

OPERATIONS_BY_METHOD = {
    "GET": frozenset({OperationType.QUERY}),
    "POST": frozenset({OperationType.QUERY, OperationType.MUTATION}),
}
# Status of a request that failed before execution, for graphql-response+json clients.
REQUEST_ERROR_STATUS = {
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "THROTTLED": 429,
    "INTERNAL_SERVER_ERROR": 500,
}


@dataclass
class HTTPRequestData(GraphQLRequestData):
    """Strawberry's request data, with the APQ hash to register once the document validated."""

    register_hash: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What the response of an executed request must say at the HTTP level."""

    request_error: bool
    status: int
    has_errors: bool


def is_request_error(result: ExecutionResult) -> bool:
    """Failed before execution (parse, validation, variables, refused operation): the
    spec's "request error", answered without `data`. Field errors always have a path."""
    if isinstance(result, PreExecutionError):
        return True
    return (
        result.data is None
        and bool(result.errors)
        and all(e.path is None for e in result.errors or ())
    )


def request_error_status(result: ExecutionResult) -> int:
    for error in result.errors or ():
        code = (error.extensions or {}).get("code")
        if code in REQUEST_ERROR_STATUS:
            return REQUEST_ERROR_STATUS[code]
    return 400


def _operation_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The four parameters of a GraphQL-over-HTTP request, type-checked."""
    query, operation_name = data.get("query"), data.get("operationName")
    variables, extensions = data.get("variables"), data.get("extensions")
    if not isinstance(query, str | None):
        raise RequestError(400, "`query` must be a string.")
    if not isinstance(operation_name, str | None):
        raise RequestError(400, "`operationName` must be a string or null.")
    if not isinstance(variables, dict | None):
        raise RequestError(400, "`variables` must be an object or null.")
    if not isinstance(extensions, dict | None):
        raise RequestError(400, "`extensions` must be an object or null.")
    return {
        "query": query or None,
        "operation_name": operation_name,
        "variables": variables,
        "extensions": extensions,
    }


def _from_query_params(params: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "query": params.get("query"),
        "operationName": params.get("operationName"),
    }
    for name in ("variables", "extensions"):
        raw = params.get(name)
        if raw:
            try:
                data[name] = orjson.loads(raw)
            except orjson.JSONDecodeError as error:
                raise RequestError(
                    400, f"The `{name}` parameter is not valid JSON: {error}"
                ) from error
    return data


def _json_body(body: bytes) -> Any:
    if not body.strip():
        raise RequestError(400, "The request body is empty: send a JSON object with `query`.")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise RequestError(400, f"The request body is not valid JSON: {error}") from error


def _unsupported_content_type(content_type: str | None) -> RequestError:
    sent = f"`{content_type}`" if content_type else "no Content-Type"
    return RequestError(
        415,
        f"Unsupported content type ({sent}): send `application/json` "
        "(`multipart/form-data` for file uploads).",
    )


def _wrong_transport(operation_type: OperationType, method: str) -> RequestError:
    if operation_type is OperationType.SUBSCRIPTION:
        return RequestError(
            400,
            "Subscriptions run over WebSocket (graphql-transport-ws) at /graphql, "
            "not over plain HTTP.",
        )
    return RequestError(
        405,
        f"{operation_type.value.capitalize()}s need POST, not {method}.",
        headers={"Allow": "POST"},
    )


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _if_none_match(header: str | None, etag: str) -> bool:
    if not header:
        return False
    # If-None-Match compares weakly (RFC 9110 §13.1.2).
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in candidates or etag in candidates


class GraphQLOverHTTP(GraphQL[Any, None]):
    """Strawberry's ASGI view with this module's request parsing and response rules."""

    persisted: PersistedQueries

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        media_type = negotiate(request.headers.get("accept"))
        scope[MEDIA_TYPE_KEY] = media_type
        try:
            response = self.finish(request, await self.run(request), media_type)
        except RequestError as error:
            response = self.error_response(error, media_type)
        except HTTPException as error:
            # Strawberry's own refusals: a method other than GET and POST, a broken upload form.
            headers = {"Allow": "GET, POST"} if error.status_code == 405 else None
            code = "NOT_FOUND" if error.status_code == 404 else "BAD_REQUEST"
            refusal = RequestError(error.status_code, error.reason, code=code, headers=headers)
            response = self.error_response(refusal, media_type)
        await response(scope, receive, send)

    @staticmethod
    def error_response(error: RequestError, media_type: str) -> Response:
        status = error.status if media_type == GRAPHQL_RESPONSE_JSON else error.legacy_status
        headers = {**error.headers, "Content-Type": CONTENT_TYPE[media_type], "Vary": "Accept"}
        return json_error(status, error.code, error.message, headers)

    @staticmethod
    def finish(request: Request, response: Response, media_type: str) -> Response:
        """Media type, status code and caching headers of an executed operation's answer."""
        outcome: Outcome | None = request.scope.get(OUTCOME_KEY)
        if outcome is None:  # GraphiQL's page
            return response
        response.headers["Content-Type"] = CONTENT_TYPE[media_type]
        response.headers.add_vary_header("Accept")
        if (
            media_type == GRAPHQL_RESPONSE_JSON
            and outcome.request_error
            and response.status_code == 200
        ):
            response.status_code = outcome.status
            if outcome.status == 401:
                response.headers["WWW-Authenticate"] = "Bearer"
        if request.method != "GET" or response.status_code != 200:
            return response
        # Answers differ by token: only the caller's own cache may keep them.
        response.headers.add_vary_header("Authorization")
        if outcome.has_errors:
            response.headers["Cache-Control"] = "no-store"
            return response
        etag = _etag(bytes(response.body))
        response.headers["ETag"] = etag
        response.headers["Cache-Control"] = "private, no-cache"
        if _if_none_match(request.headers.get("if-none-match"), etag):
            kept = {name: response.headers[name] for name in ("ETag", "Cache-Control", "Vary")}
            return Response(status_code=304, headers=kept)
        return response

    def should_render_graphql_ide(self, request: Any) -> bool:
        # Only a browser's page load: a GET that names neither a query nor a persisted one.
        params = request.query_params
        return (
            request.method == "GET"
            and not params.get("query")
            and not params.get("extensions")
            and "text/html" in request.headers.get("accept", "")
        )

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> HTTPRequestData:
        if request.method == "GET":
            data = _from_query_params(request.query_params)
        else:
            data = await self._post_body(request)
        if isinstance(data, list):
            raise RequestError(
                400, "Batched operations (a JSON array) are not supported: send one per request."
            )
        if not isinstance(data, dict):
            raise RequestError(400, "The request body must be a JSON object with `query`.")
        fields = _operation_fields(data)
        query, register_hash = await self.persisted.resolve(fields["query"], fields["extensions"])
        if query is None:
            raise RequestError(400, "No query: send `query` (or a persisted query's hash).")
        fields["query"] = query
        return HTTPRequestData(**fields, register_hash=register_hash)

    async def _post_body(self, request: AsyncHTTPRequestAdapter) -> Any:
        if not request.content_type:
            raise _unsupported_content_type(None)
        content_type, parameters = parse_content_type(request.content_type)
        if content_type == APPLICATION_JSON:
            if parameters.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
                raise RequestError(415, "Send the JSON body in UTF-8.")
            return _json_body(await request.get_body())
        if content_type == "multipart/form-data" and self.multipart_uploads_enabled:
            return await self.parse_multipart(request)
        raise _unsupported_content_type(request.content_type)

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Any,
        root_value: Any,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        method = request_adapter.method
        try:
            result = await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=OPERATIONS_BY_METHOD[method],
                operation_extensions=request_data.extensions,
            )
        except InvalidOperationTypeError as error:
            raise _wrong_transport(error.operation_type, method) from error
        except CannotGetOperationTypeError as error:
            # No operation of that name, or several and no name: a GraphQL request error.
            return PreExecutionError(data=None, errors=[GraphQLError(error.as_http_error_reason())])
        register_hash = getattr(request_data, "register_hash", None)
        if register_hash and not is_request_error(result):
            await self.persisted.register(register_hash, request_data.query or "")
        return result

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        request_error = is_request_error(result)
        status = request_error_status(result) if request_error else 200
        request.scope[OUTCOME_KEY] = Outcome(request_error, status, bool(result.errors))
        if request_error and request.scope.get(MEDIA_TYPE_KEY) == GRAPHQL_RESPONSE_JSON:
            response.pop("data", None)
        return response
