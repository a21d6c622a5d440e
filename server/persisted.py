"""Persisted queries: Apollo's automatic persisted queries (APQ) and trusted documents.

APQ: a client sends `extensions.persistedQuery {version: 1, sha256Hash}` without the
query text; an unknown hash answers `PERSISTED_QUERY_NOT_FOUND`, the client sends the
text with the hash once, and the server keeps it for the next time. The documents are
kept in this process (an LRU bounded in bytes) and, with `ROLODEX_REDIS_URL`, in Redis,
so that a document registered through one worker runs by hash on every other worker.
A hash must be the SHA-256 of the text it registers, so nobody can plant a document
under another document's hash.

Trusted documents (`ROLODEX_TRUSTED_DOCUMENTS`, a directory of `.graphql` files): only
those documents run, named by hash or sent as identical text; any other request is
refused with `PERSISTED_QUERY_NOT_IN_LIST`, and APQ registration is off.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol

import redis.asyncio as redis
from graphql import GraphQLError, parse
from redis.exceptions import RedisError

from server.http_errors import RequestError
from server.logging import log

SHA256_HEX = re.compile(r"[0-9a-f]{64}")
REDIS_KEY_PREFIX = "rolodex:apq:"
# How often a Redis outage is logged (each request would otherwise log it).
REDIS_WARNING_INTERVAL_SECONDS = 60.0


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class DocumentCache(Protocol):
    async def get(self, sha256: str) -> str | None: ...

    async def put(self, sha256: str, document: str) -> None: ...

    async def close(self) -> None: ...


class MemoryDocuments:
    """Registered documents in this process, least recently used dropped past `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._documents: OrderedDict[str, str] = OrderedDict()
        self._bytes = 0

    def get_now(self, sha256: str) -> str | None:
        document = self._documents.get(sha256)
        if document is not None:
            self._documents.move_to_end(sha256)
        return document

    def put_now(self, sha256: str, document: str) -> None:
        size = len(document.encode())
        # One huge document must not flush every other one out.
        if sha256 in self._documents or size > self.max_bytes // 8:
            return
        self._documents[sha256] = document
        self._bytes += size
        while self._bytes > self.max_bytes:
            _, dropped = self._documents.popitem(last=False)
            self._bytes -= len(dropped.encode())

    async def get(self, sha256: str) -> str | None:
        return self.get_now(sha256)

    async def put(self, sha256: str, document: str) -> None:
        self.put_now(sha256, document)

    async def close(self) -> None:
        return None

    def __len__(self) -> int:
        return len(self._documents)


class RedisDocuments:
    """Documents shared by every worker through Redis, with this process's LRU in front.

    A hash names one text forever, so a copy kept in the process is never stale. Reading
    a document renews its time to live: documents in use stay, forgotten ones expire.
    When Redis does not answer, the process goes on with its own copies (the client
    re-sends an unknown document's text, as APQ expects) and logs a warning.
    """

    def __init__(self, url: str, ttl_seconds: int, local: MemoryDocuments) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.ttl_seconds = ttl_seconds
        self.local = local
        self._warned_at = float("-inf")

    async def get(self, sha256: str) -> str | None:
        document = self.local.get_now(sha256)
        if document is not None:
            return document
        try:
            stored = await self._redis.getex(REDIS_KEY_PREFIX + sha256, ex=self.ttl_seconds)
        except (RedisError, OSError) as error:
            self._warn(error)
            return None
        if stored is None:
            return None
        document = stored.decode() if isinstance(stored, bytes) else stored
        self.local.put_now(sha256, document)
        return document

    async def put(self, sha256: str, document: str) -> None:
        self.local.put_now(sha256, document)
        try:
            await self._redis.set(REDIS_KEY_PREFIX + sha256, document, ex=self.ttl_seconds)
        except (RedisError, OSError) as error:
            self._warn(error)

    async def close(self) -> None:
        await self._redis.aclose()

    def _warn(self, error: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at >= REDIS_WARNING_INTERVAL_SECONDS:
            self._warned_at = now
            log.warning("persisted_queries.redis_unavailable", error=repr(error))


class TrustedDocuments:
    """The only documents this server runs: by SHA-256 of a file's text, or that text."""

    def __init__(self, files: dict[str, str]) -> None:
        self.by_hash: dict[str, str] = {}
        self.texts: set[str] = set()
        for text in files.values():
            # A file's text as it is and without its surrounding whitespace (the trailing
            # newline an editor adds) both name the document.
            for variant in (text, text.strip()):
                self.by_hash[sha256_hex(variant)] = variant
            self.texts.add(text.strip())

    @classmethod
    def load(cls, directory: Path) -> TrustedDocuments:
        """Every `.graphql` file under `directory`; refuses a missing, empty or unparsable one."""
        setting = f"ROLODEX_TRUSTED_DOCUMENTS={directory}"
        if not directory.is_dir():
            raise ValueError(f"{setting}: no such directory")
        files = {}
        for path in sorted(directory.rglob("*.graphql")):
            text = path.read_text(encoding="utf-8")
            try:
                parse(text)
            except GraphQLError as error:
                raise ValueError(
                    f"{setting}: {path} is not a GraphQL document: {error.message}"
                ) from error
            files[str(path)] = text
        if not files:
            raise ValueError(f"{setting}: the directory holds no .graphql file")
        return cls(files)

    def __len__(self) -> int:
        return len(self.texts)


def not_found() -> RequestError:
    # The message is the protocol's: Apollo's and urql's clients match on it (or the code)
    # and then send the text. 404, not 400: Apollo Client turns APQ off for good on a 400.
    return RequestError(
        404, "PersistedQueryNotFound", code="PERSISTED_QUERY_NOT_FOUND", legacy_status=200
    )


def not_in_list() -> RequestError:
    return RequestError(
        403,
        "Only this server's trusted documents run here, and this operation is not one of "
        "them (send the sha256Hash or the exact text of a registered document).",
        code="PERSISTED_QUERY_NOT_IN_LIST",
        legacy_status=200,
    )


def requested_hash(extensions: dict[str, Any] | None) -> str | None:
    """`extensions.persistedQuery.sha256Hash`, checked; None when the request has none."""
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict):
        raise RequestError(400, "`extensions.persistedQuery` must be an object.")
    if persisted.get("version") != 1:
        raise RequestError(400, "Only version 1 of `extensions.persistedQuery` is supported.")
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not SHA256_HEX.fullmatch(sha256.lower()):
        raise RequestError(
            400, "`extensions.persistedQuery.sha256Hash` must be 64 hexadecimal digits."
        )
    return sha256.lower()


class PersistedQueries:
    """Turns a request's `query` and `extensions` into the text to run."""

    def __init__(self, cache: DocumentCache, trusted: TrustedDocuments | None) -> None:
        self.cache = cache
        self.trusted = trusted

    async def resolve(
        self, query: str | None, extensions: dict[str, Any] | None
    ) -> tuple[str | None, str | None]:
        """(the query to run, the hash to register once it validated) or a RequestError."""
        sha256 = requested_hash(extensions)
        if sha256 is not None and query is not None and sha256_hex(query) != sha256:
            raise RequestError(
                400, "`extensions.persistedQuery.sha256Hash` is not the SHA-256 of `query`."
            )
        if self.trusted is not None:
            return self._trusted(query, sha256), None
        if sha256 is None or query is not None:
            return query, sha256
        document = await self.cache.get(sha256)
        if document is None:
            raise not_found()
        return document, None

    def _trusted(self, query: str | None, sha256: str | None) -> str | None:
        assert self.trusted is not None
        if sha256 is not None:
            document = self.trusted.by_hash.get(sha256)
            if document is None:
                raise not_in_list()
            return document
        if query is not None and query.strip() not in self.trusted.texts:
            raise not_in_list()
        return query

    async def register(self, sha256: str, document: str) -> None:
        await self.cache.put(sha256, document)

    async def close(self) -> None:
        await self.cache.close()


def persisted_queries(
    redis_url: str | None,
    trusted_documents: Path | None,
    cache_bytes: int,
    ttl_seconds: int,
) -> PersistedQueries:
    local = MemoryDocuments(cache_bytes)
    cache: DocumentCache = RedisDocuments(redis_url, ttl_seconds, local) if redis_url else local
    trusted = TrustedDocuments.load(trusted_documents) if trusted_documents else None
    return PersistedQueries(cache, trusted)
