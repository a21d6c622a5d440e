"""Per-request context: the viewer, its scoped sessions and the dataloaders."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError
from strawberry.dataloader import DataLoader

from db.enums import RepVisibility, Role
from db.session import Database, Scope, apply_scope
from resolvers.errors import Unauthenticated, UserErrorCode, UserInputError
from resolvers.permissions import Viewer
from resolvers.throttle import LoginAttempts

if TYPE_CHECKING:
    from server.settings import Settings

BatchFn = Callable[["Context", Sequence[Any]], Awaitable[Sequence[Any]]]


class Loaders:
    """One DataLoader per batch function, created on first use in a request."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._loaders: dict[BatchFn, DataLoader[Any, Any]] = {}

    def __getitem__(self, batch: BatchFn) -> DataLoader[Any, Any]:
        loader = self._loaders.get(batch)
        if loader is None:
            loader = DataLoader(load_fn=partial(batch, self._context))
            self._loaders[batch] = loader
        return loader

    def clear(self) -> None:
        self._loaders.clear()


def loaded(context: Context, batch: BatchFn, key: Any) -> Any:
    """What `context.loaders[batch]` holds for `key`: the value itself once loaded, else an
    awaitable of it.

    Sync resolvers return this as is. graphql-core awaits only results that are awaitable,
    so once a page has been prefetched (`prefetch`) its nested fields complete without a
    coroutine, a future and a task each, which is most of the cost of a large page.
    """
    loader = context.loaders[batch]
    future = loader.cache_map.get(key)
    if future is not None and future.done() and future.exception() is None:
        return future.result()
    return loader.load(key)


def then(value: Any, function: Callable[[Any], Any]) -> Any:
    """`function(value)`, after awaiting `value` only if it is awaitable."""
    if inspect.isawaitable(value):

        async def later() -> Any:
            result = function(await value)
            return (await result) if inspect.isawaitable(result) else result

        return later()
    return function(value)


async def prefetch(context: Context, batch: BatchFn, keys: Sequence[Any]) -> list[Any]:
    """Loads `keys` through the request's loader in one batch, so `loaded` finds them."""
    wanted = list(dict.fromkeys(key for key in keys if key is not None))
    return await context.loaders[batch].load_many(wanted) if wanted else []


class ReadSession:
    """The request's read session, shared safely by resolvers that GraphQL runs concurrently.

    An AsyncSession allows one operation at a time, while sibling fields resolve
    in parallel; each call takes its turn (results come back fully buffered).
    """

    def __init__(self, session: AsyncSession, *, owned: bool = True) -> None:
        self._session = session
        self._lock = asyncio.Lock()
        self._plans_with_values = False
        # False when this wraps the mutation's open write transaction (Context.finish ends it).
        self._owned = owned

    async def plan_with_values(self) -> None:
        """PostgreSQL: plan the request's further statements for their actual values.

        After five runs of a prepared statement PostgreSQL may switch to a generic plan
        that ignores the values. For a report over a date range that was an index scan
        of a third of the interactions instead of a sequential scan (230–490 ms instead
        of 145 ms). Reports call this; the request's read transaction bounds it.
        """
        if self._session.get_bind().dialect.name != "postgresql":
            return
        async with self._lock:  # sibling reports run concurrently: one SET
            if not self._plans_with_values:
                await self._session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
                self._plans_with_values = True

    async def _turn(self, operation: Callable[[], Awaitable[Any]]) -> Any:
        async with self._lock:
            return await operation()

    async def _run(self, operation: Callable[[], Awaitable[Any]]) -> Any:
        """Runs `operation` in its turn, to its end even if the caller is cancelled.

        graphql-core cancels a field's siblings when it fails; a statement cancelled
        midway takes its connection down with it (and with it a mutation's transaction,
        which could then neither commit nor roll back). Shielded, the statement finishes
        and gives the lock back; `close` waits for it.
        """
        return await asyncio.shield(self._turn(operation))

    async def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        return await self._run(lambda: self._session.execute(statement, *args, **kwargs))

    async def scalar(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        return await self._run(lambda: self._session.scalar(statement, *args, **kwargs))

    async def get(self, model: Any, pk: Any) -> Any:
        return await self._run(lambda: self._session.get(model, pk))

    async def close(self) -> None:
        # Under the lock: never pull the connection from under a sibling's statement.
        async with self._lock:
            if self._owned:
                await self._session.close()


@dataclass
class _OpenWrite:
    """A mutation's write transaction, held open until its answer is known."""

    stack: AsyncExitStack
    session: AsyncSession


class _RolledBack(Exception):
    """Thrown into the write transaction to roll it back (never leaves Context.finish)."""


class Context:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        viewer: Viewer | None,
        request: Any = None,
        response: Any = None,
        session: AsyncSession | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self._viewer = viewer
        # Strawberry's HTTP views set these; resolvers never read them.
        self.request = request
        self.response = response
        self.loaders = Loaders(self)
        # Set by the server: why no one is signed in (credentials.TokenProblem), sign-in
        # throttling and the caller's address it keys on.
        self.auth_problem: str = "MISSING"
        self.login_attempts: LoginAttempts | None = None
        self.client_address: str | None = None
        # Whole small tables read once per request (see loaders.load_staff).
        self.request_cache: dict[Any, Any] = {}
        self._session = ReadSession(session) if session is not None else None
        # Set for mutation operations (schema/extensions.py): writes commit only once the
        # whole answer resolved without an error (`finish`).
        self._defer_commit = False
        self._write: _OpenWrite | None = None
        self._background: list[set[Any]] = []
        if session is not None and viewer is not None:
            # The session that authenticated the request serves its reads too.
            apply_scope(session, self.scope)

    @property
    def viewer(self) -> Viewer:
        if self._viewer is None:
            raise Unauthenticated.because(self.auth_problem)
        return self._viewer

    @property
    def authenticated(self) -> bool:
        return self._viewer is not None

    @property
    def scope(self) -> Scope:
        viewer = self.viewer
        limited = viewer.role == Role.REP and viewer.rep_visibility == RepVisibility.ASSIGNED_ONLY
        return Scope(
            company_id=viewer.company_id,
            book_of_staff_id=viewer.staff_id if limited else None,
            staff_id=viewer.staff_id,
        )

    @property
    def session(self) -> ReadSession:
        """The read session of this request, scoped to the viewer's company."""
        scope = self.scope  # raises UNAUTHENTICATED without a viewer
        if self._session is None:
            self._session = ReadSession(self.db.session(scope))
        return self._session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A scoped write transaction; afterwards reads and loaders see what it wrote.

        Outside a mutation operation it commits on exit. In a mutation operation
        (`defer_commits`) the first block opens the operation's one transaction and later
        blocks are savepoints in it: a block that raises undoes only its own writes, and
        `finish` commits once the answer resolved without error, or rolls everything back.
        """
        scope = self.scope
        try:
            if not self._defer_commit:
                # Give the read connection back first: a request holds one connection at a time.
                await self.refresh()
                async with self.db.transaction(scope) as session:
                    yield session
            elif self._write is None:
                await self.refresh()
                stack = AsyncExitStack()
                session = await stack.enter_async_context(self.db.transaction(scope))
                try:
                    yield session
                    await session.flush()  # version checks and constraints fail here, not later
                except BaseException as error:
                    await stack.__aexit__(type(error), error, error.__traceback__)
                    raise
                self._write = _OpenWrite(stack, session)
            else:
                session = self._write.session
                async with session.begin_nested():
                    yield session
        except StaleDataError as error:
            raise UserInputError.one(
                ("input", "expectedVersion"),
                "Someone else changed this record meanwhile; reload and try again.",
                UserErrorCode.STALE,
            ) from error
        await self.refresh()
        if self._write is not None:
            # The payload is read inside the transaction: it sees exactly what was written.
            self._session = ReadSession(self._write.session, owned=False)

    def defer_commits(self) -> None:
        """This operation is a mutation: its writes commit in `finish`, all or nothing."""
        self._defer_commit = True

    @property
    def wrote(self) -> bool:
        """A write transaction of this operation is open, waiting for `finish`."""
        return self._write is not None

    async def finish(self, commit: bool) -> None:
        """Ends the operation's write transaction: commits it, or rolls it back."""
        write, self._write = self._write, None
        self._defer_commit = False
        if write is None:
            return
        if self._session is not None:
            await self._session.close()  # waits for a statement still running on it
        self._session = None  # it wrapped the write session, which ends here
        self.loaders.clear()
        self.request_cache.clear()
        if commit:
            await write.stack.aclose()
        else:
            error = _RolledBack()
            await write.stack.__aexit__(_RolledBack, error, None)

    def track_background(self, futures: set[Any]) -> None:
        """Work that graphql-core left to settle after a field failed (schema/execution.py)."""
        if not any(known is futures for known in self._background):
            self._background.append(futures)

    async def settle(self) -> None:
        """Waits for every resolver of the operation, including abandoned siblings, to end."""
        for futures in self._background:
            while futures:
                await asyncio.wait(list(futures))
        self._background.clear()

    async def refresh(self) -> None:
        """Drops the read snapshot and loader caches (after a write in this request)."""
        if self._session is not None:
            await self._session.close()
            self._session = None
        self.loaders.clear()
        self.request_cache.clear()

    async def close(self) -> None:
        await self.settle()
        if self._write is not None:
            await self.finish(commit=False)  # an operation that never finished writes nothing
        if self._session is not None:
            await self._session.close()
            self._session = None
