"""Engines and sessions for SQLite and PostgreSQL, and the tenant scope.

SQLite (see FINDINGS.md): Python's sqlite3 begins a transaction only at the
first write, so a read-then-write would run its read outside the transaction.
We take over BEGIN ourselves (isolation_level=None), open write transactions
with BEGIN IMMEDIATE on a separate engine, and let one writer at a time per
process hold the write lock, with WAL and a busy timeout across processes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from db.models import SavedView, TenantScoped
from db.visibility import book_criteria, recycle_bin_criteria, saved_view_criteria

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option for the rare statement that must look across companies
# (login by email, unique emails). Greppable on purpose.
ALL_COMPANIES = "rolodex_all_companies"
STATEMENT_STARTED = "rolodex_statement_started"


@dataclass(frozen=True)
class Scope:
    """What a session may see: the rows of one company, optionally one rep's book."""

    company_id: int
    # Set for a REP when the company limits reps to their own customers (db/visibility.py).
    book_of_staff_id: int | None = None
    # The recycle bin's own reads and writes see deleted customers (db/visibility.py).
    include_deleted: bool = False
    # The staff member reading: others' private saved views are out of sight (issue 18).
    staff_id: int | None = None


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _sqlite_engine(url: str, *, immediate: bool, echo: bool) -> AsyncEngine:
    engine = create_async_engine(
        url,
        echo=echo,
        connect_args={"isolation_level": None, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine


class Database:
    """Engines, session factories and the statement counter for one database URL."""

    def __init__(
        self, url: str, *, echo: bool = False, pool_size: int = 10, statement_timeout_ms: int = 0
    ) -> None:
        self.url = url
        self.sqlite = is_sqlite(url)
        if self.sqlite:
            self.engine = _sqlite_engine(url, immediate=False, echo=echo)
            self.write_engine = _sqlite_engine(url, immediate=True, echo=echo)
        else:
            # PostgreSQL cancels any statement running longer (a runaway plan, a lock wait).
            settings = (
                {"statement_timeout": str(statement_timeout_ms)} if statement_timeout_ms else {}
            )
            self.engine = create_async_engine(
                url,
                echo=echo,
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_pre_ping=True,
                connect_args={"server_settings": settings} if settings else {},
            )
            self.write_engine = self.engine
        # One writer at a time in this process (SQLite only): no busy waits between our own tasks.
        self._write_lock = asyncio.Lock() if self.sqlite else None
        self.statements = 0
        # Wall time spent in statements (driver round trips included), for the benchmarks.
        self.statement_seconds = 0.0
        for engine in {self.engine, self.write_engine}:
            event.listen(engine.sync_engine, "before_cursor_execute", self._count)
            event.listen(engine.sync_engine, "after_cursor_execute", self._time)
        self._read_sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = async_sessionmaker(self.write_engine, expire_on_commit=False)

    def _count(self, connection: Any, *_args: Any) -> None:
        self.statements += 1
        connection.info[STATEMENT_STARTED] = time.perf_counter()

    def _time(self, connection: Any, *_args: Any) -> None:
        started = connection.info.pop(STATEMENT_STARTED, None)
        if started is not None:
            self.statement_seconds += time.perf_counter() - started

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self, scope: Scope | None) -> AsyncSession:
        """A read session; `scope=None` only for trusted system code (CLI, auth)."""
        session = self._read_sessions()
        apply_scope(session, scope)
        return session

    @asynccontextmanager
    async def transaction(self, scope: Scope | None) -> AsyncIterator[AsyncSession]:
        """A write transaction: committed on success, rolled back on any exception."""
        lock = self._write_lock or nullcontext()
        async with lock:
            session = self._write_sessions()
            apply_scope(session, scope)
            try:
                async with session.begin():
                    yield session
            finally:
                await session.close()

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.write_engine is not self.engine:
            await self.write_engine.dispose()


def is_statement_timeout(error: BaseException) -> bool:
    """PostgreSQL cancelled a statement for `statement_timeout` (SQLSTATE 57014)."""
    original = getattr(error, "orig", None)
    return getattr(original, "sqlstate", None) == "57014" or (
        type(getattr(original, "__cause__", None)).__name__ == "QueryCanceledError"
    )


def apply_scope(session: AsyncSession, scope: Scope | None) -> None:
    session.sync_session.info["scope"] = scope
    session.sync_session.info["unscoped"] = scope is None


def session_scope(session: AsyncSession | Session) -> Scope | None:
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    return sync.info.get("scope")


@event.listens_for(Session, "do_orm_execute")
def _tenant_filter(state: ORMExecuteState) -> None:
    """Adds the company filter to every ORM select, update and delete.

    This is the only way rows are scoped, so a query can't forget its company filter.
    """
    info = state.session.info
    scope: Scope | None = info.get("scope")
    if scope is None:
        if info.get("unscoped"):
            return
        raise RuntimeError("session has no tenant scope")
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get(ALL_COMPANIES):
        return
    company_id = scope.company_id
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantScoped, lambda cls: cls.company_id == company_id, include_aliases=True
        )
    )
    if not scope.include_deleted:
        state.statement = state.statement.options(
            *recycle_bin_criteria(company_id, selecting=state.is_select)
        )
    if scope.book_of_staff_id is not None:
        state.statement = state.statement.options(
            *book_criteria(company_id, scope.book_of_staff_id)
        )
    # Only statements reading saved views pay for their criterion (every request's
    # statements would otherwise compile one more option).
    if scope.staff_id is not None and any(m.class_ is SavedView for m in state.all_mappers):
        state.statement = state.statement.options(saved_view_criteria(scope.staff_id))
