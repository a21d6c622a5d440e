"""Live customer timelines: interaction and completed-task events pushed to open pages.

An event is published only once the transaction that wrote it has committed.
On PostgreSQL it travels by NOTIFY on one channel, issued inside the writing
transaction (PostgreSQL delivers it at commit, and never on rollback), so
every server process hears every commit; each process holds one LISTEN
connection while it has subscribers. SQLite runs in one process: the event
is handed to the in-process hub right after commit.
"""

from __future__ import annotations

import asyncio
import enum
import json
import weakref
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import asyncpg
import structlog
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from db.models import AuthToken, Customer, Interaction, Staff, Task, utcnow
from db.session import Database
from resolvers.errors import BadUserInput, CodedError, Unauthenticated
from resolvers.ids import decode_id

if TYPE_CHECKING:
    from resolvers.context import Context

CHANNEL = "rolodex_timeline"
# A subscriber this far behind is dropped rather than let memory grow without bound.
MAX_QUEUED_EVENTS = 1_000
_PENDING = "rolodex_timeline_pending"

log = structlog.get_logger(__name__)


class TimelineEventKind(enum.StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"
    TASK_COMPLETED = "TASK_COMPLETED"


@dataclass(frozen=True)
class TimelineEvent:
    company_id: int
    customer_id: int
    # Interaction events name the interaction, TASK_COMPLETED the task.
    interaction_id: int | None
    kind: TimelineEventKind
    task_id: int | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, payload: str) -> TimelineEvent:
        data = json.loads(payload)
        return cls(
            company_id=int(data["company_id"]),
            customer_id=int(data["customer_id"]),
            interaction_id=_optional_int(data["interaction_id"]),
            kind=TimelineEventKind(data["kind"]),
            task_id=_optional_int(data.get("task_id")),
        )


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


class Overflow(CodedError):
    """The subscriber fell too far behind; its subscription ends."""

    code = "TIMELINE_OVERFLOW"


class Hub:
    """The subscribers of this process, by (company, customer)."""

    def __init__(self) -> None:
        self._queues: dict[tuple[int, int], set[asyncio.Queue[TimelineEvent | None]]] = defaultdict(
            set
        )

    def subscriber_count(self, company_id: int, customer_id: int) -> int:
        return len(self._queues.get((company_id, customer_id), ()))

    @property
    def total_subscribers(self) -> int:
        return sum(len(queues) for queues in self._queues.values())

    def deliver(self, event: TimelineEvent) -> None:
        for queue in list(self._queues.get((event.company_id, event.customer_id), ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                _tell_missed(queue)

    @asynccontextmanager
    async def subscribe(
        self, company_id: int, customer_id: int
    ) -> AsyncIterator[asyncio.Queue[TimelineEvent | None]]:
        queue: asyncio.Queue[TimelineEvent | None] = asyncio.Queue(MAX_QUEUED_EVENTS)
        key = (company_id, customer_id)
        await self._ensure_listening()
        self._queues[key].add(queue)
        try:
            yield queue
        finally:
            self._queues[key].discard(queue)
            if not self._queues[key]:
                del self._queues[key]
            self._after_subscriber_left()

    async def _ensure_listening(self) -> None:
        """Hook: listen before a new subscriber can miss anything."""

    def _after_subscriber_left(self) -> None:
        """Hook: stop listening once nobody is left."""

    async def publish(self, session: AsyncSession, event: TimelineEvent) -> None:
        """Delivers `event` in this process when `session`'s transaction commits."""
        pending = session.sync_session.info.setdefault(_PENDING, (self, []))
        pending[1].append(event)


def _tell_missed(queue: asyncio.Queue[TimelineEvent | None]) -> None:
    """None, as the next thing a subscriber reads, says it has missed events."""
    # What is still queued is incomplete anyway: the subscriber starts over.
    with suppress(asyncio.QueueEmpty):
        while True:
            queue.get_nowait()
    queue.put_nowait(None)


class PostgresHub(Hub):
    """Hears every process's commits through LISTEN on one connection of its own."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self._dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._connection: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        # The event loop keeps only weak references to tasks.
        self._closing: set[asyncio.Task[None]] = set()

    async def publish(self, session: AsyncSession, event: TimelineEvent) -> None:
        # Inside the transaction: PostgreSQL sends it at commit, and drops it on rollback.
        await session.execute(select(func.pg_notify(CHANNEL, event.to_json())))

    async def _ensure_listening(self) -> None:
        async with self._lock:
            if self._connection is None or self._connection.is_closed():
                await self._listen()

    async def _listen(self) -> None:
        connection = await asyncpg.connect(self._dsn)
        await connection.add_listener(CHANNEL, self._on_notify)
        connection.add_termination_listener(self._on_lost)
        self._connection = connection

    def _on_notify(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            event = TimelineEvent.from_json(payload)
        except (ValueError, KeyError, TypeError):
            log.warning("timeline.bad_notification", payload=payload[:200])
            return
        self.deliver(event)

    def _on_lost(self, _connection: Any) -> None:
        # Events may have gone by unheard: every subscriber is told so and resubscribes
        # (which listens anew), rather than showing a timeline with a silent gap.
        self._connection = None
        for queues in self._queues.values():
            for queue in queues:
                _tell_missed(queue)
        log.warning("timeline.listener_lost", subscribers=self.total_subscribers)

    def _after_subscriber_left(self) -> None:
        if self.total_subscribers == 0 and self._connection is not None:
            connection, self._connection = self._connection, None
            connection.remove_termination_listener(self._on_lost)
            # Closing waits for the server; the subscriber leaving need not.
            task = asyncio.get_running_loop().create_task(_close_quietly(connection))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)


async def _close_quietly(connection: asyncpg.Connection) -> None:
    with suppress(OSError, asyncpg.PostgresError, asyncio.CancelledError):
        await connection.close(timeout=5)


_hubs: weakref.WeakKeyDictionary[Database, Hub] = weakref.WeakKeyDictionary()


def hub_for(db: Database) -> Hub:
    hub = _hubs.get(db)
    if hub is None:
        hub = Hub() if db.sqlite else PostgresHub(db.url)
        _hubs[db] = hub
    return hub


async def publish_after_commit(
    context: Context, session: AsyncSession, kind: TimelineEventKind, interaction: Interaction
) -> None:
    """Announces a change to `interaction` to its customer's open timelines, once committed."""
    event = TimelineEvent(
        company_id=interaction.company_id,
        customer_id=interaction.customer_id,
        interaction_id=interaction.id,
        kind=kind,
    )
    await hub_for(context.db).publish(session, event)


async def publish_task_after_commit(context: Context, session: AsyncSession, task: Task) -> None:
    """Announces a task's completion to its customer's open timelines, once committed."""
    event = TimelineEvent(
        company_id=task.company_id,
        customer_id=task.customer_id,
        interaction_id=None,
        kind=TimelineEventKind.TASK_COMPLETED,
        task_id=task.id,
    )
    await hub_for(context.db).publish(session, event)


@event.listens_for(Session, "after_commit")
def _deliver_committed(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending is not None:
        hub, events = pending
        for committed in events:
            hub.deliver(committed)


@event.listens_for(Session, "after_rollback")
def _drop_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


async def customer_timeline(
    context: Context, customer_id: str
) -> AsyncIterator[tuple[TimelineEvent, Interaction | Task | None]]:
    """Events of one customer's timeline, each with the interaction or task as committed
    (None once deleted), for as long as the subscriber stays."""
    viewer = context.viewer
    decoded = decode_id(customer_id)
    if decoded is None or decoded[0] != "Customer":
        raise BadUserInput(f"Not a valid Customer id: {customer_id!r}.", code="INVALID_ID")
    if await context.session.get(Customer, decoded[1]) is None:
        raise BadUserInput("No such customer.", code="NOT_FOUND")
    # Hold no database connection while waiting, however long the page stays open.
    await context.close()
    async with hub_for(context.db).subscribe(viewer.company_id, decoded[1]) as queue:
        while True:
            event = await queue.get()
            if event is None:
                raise Overflow("Timeline events were missed; subscribe again.")
            async with _connection_lock(context):
                # A fresh snapshot per event: loaders cached nothing from earlier ones.
                await context.refresh()
                if not await _still_signed_in(context):
                    raise Unauthenticated("Your sign-in ended; sign in again.")
                row: Interaction | Task | None = None
                if event.task_id is not None:
                    row = await context.session.get(Task, event.task_id)
                elif event.kind != TimelineEventKind.DELETED:
                    row = await context.session.get(Interaction, event.interaction_id)
                yield event, row
                await context.close()


async def _still_signed_in(context: Context) -> bool:
    """A page may stay open for days: its token must still be live, its member active."""
    viewer = context.viewer
    found = await context.session.scalar(
        select(AuthToken.id)
        .join(Staff, Staff.id == AuthToken.staff_id)
        .where(
            AuthToken.id == viewer.token_id,
            AuthToken.revoked_at.is_(None),
            AuthToken.expires_at > utcnow(),
            Staff.active.is_(True),
        )
    )
    return found is not None


_locks: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


def _connection_lock(context: Context) -> asyncio.Lock:
    """Subscriptions of one WebSocket share its context: one resolves an event at a time."""
    lock = _locks.get(context)
    if lock is None:
        lock = _locks[context] = asyncio.Lock()
    return lock
