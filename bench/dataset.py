"""The benchmark data set: `python -m bench.seed --scale N` (bench/seed.py).

A new company with 25 staff, 200 products and N customers, each with about 3
locations, 2 contacts (one primary), 20 orders of 1-5 lines, up to 20 transactions
(payments allocated to orders) and 10 interactions, spread over the 3 years
before `anchor`. Deterministic for a given seed and anchor (the anchor defaults
to today's midnight UTC, so a rerun on the same day gives the same data).

Speed: rows are generated as tuples in chunks of customers, every denormalised
column computed in Python while generating (definitions in CONTRIBUTING.md),
and written with the driver's bulk path inside one transaction per chunk:
`executemany` on SQLite, `COPY` (asyncpg `copy_records_to_table`) on
PostgreSQL. The ORM and its tenant filter are bypassed, so company_id is set
explicitly on every row. Ids are assigned here, from blocks reserved inside
the chunk's transaction (SQLite's BEGIN IMMEDIATE, a table lock on PostgreSQL).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection
from tqdm import tqdm

from bench.book_dataset import ensure_book_data
from db.enums import (
    INVOICED_ORDER_STATUSES,
    BasisDate,
    BillingStatus,
    CustomerKind,
    CustomerStatus,
    InteractionKind,
    OrderStatus,
    PaymentMethod,
    ProductDisplay,
    Role,
    ShippingMethod,
    TransactionKind,
)
from db.models import Company, PaymentTerms, Product, Staff
from db.session import Database
from resolvers.accounts import create_company
from resolvers.credentials import hash_password
from resolvers.orders import search_text_for
from resolvers.sales_rollup import rebuild_sales_rollup
from resolvers.text import duplicate_keys, name_key, optional_key

STAFF_COUNT = 25
PRODUCT_COUNT = 200
LOCATIONS_PER_CUSTOMER = (1, 5)  # uniform: 3 on average
CONTACTS_PER_CUSTOMER = 2
ORDERS_PER_CUSTOMER = 20
LINES_PER_ORDER = (1, 5)
TRANSACTIONS_PER_CUSTOMER = 20
INTERACTIONS_PER_CUSTOMER = 10
HISTORY_DAYS = 3 * 365
CHUNK_CUSTOMERS = 1000
SCALE_PASSWORD = "rolodex-bench-2026"
INVOICED = frozenset(s.value for s in INVOICED_ORDER_STATUSES)

ADJECTIVES = (
    "Harbor Blue Golden Silver Maple Cedar Oak Pine Willow Summit Prairie Coastal Northern "
    "Southern Eastern Western Granite Copper Iron Crystal Meadow River Lake Valley Highland "
    "Sunrise Sunset Evergreen Liberty Union Pioneer Heritage Frontier Redwood Bayfront Crescent "
    "Timber Stone Brook Hollow Ridge"
).split()
NOUNS = (
    "Street Point Creek Field Grove Hill Bay Park Square Bridge Mill Harbor Landing Springs "
    "Station Crossing Gate Garden Haven Corner Market Works Row Trail Peak Falls Shore Farm "
    "Orchard Canyon"
).split()
TRADES = (
    "Grocers Hardware Deli Bakery Pharmacy Market Florist Liquors Diner Outfitters Pet Supply "
    "Farm Store Seafood Home Goods Cafe Convenience Coffee Roasters Wines Tools Surf Shop "
    "Nursery Books Bistro Salon Lodge Dairy Grill Tea Room Brewing Butchers Creamery"
).split()
FIRST = "Alex Jamie Taylor Casey Drew Avery Quinn Rowan Skyler Zoë Marcus Priya Liam Fatima Noah Élodie Mateo Ana Kenji Olu".split()
LAST = "Nguyen Smith García Okafor Müller Rossi Kim Patel Brown Alvarez Chen Natarajan O'Brien Hassan Kowalski Dubois Silva Novak Haddad Berg".split()
CITIES = (
    ("Portland", "OR", "97"),
    ("Seattle", "WA", "98"),
    ("Boise", "ID", "83"),
    ("Sacramento", "CA", "95"),
    ("Reno", "NV", "89"),
    ("Spokane", "WA", "99"),
    ("Eugene", "OR", "97"),
    ("Tacoma", "WA", "98"),
)
PRODUCT_WORDS = (
    "Organic Premium Classic Deluxe Rustic Artisan Fresh Smoked Roasted Spiced Golden Wild "
    "Heritage Mountain Coastal"
).split()
PRODUCT_ITEMS = (
    "Coffee Beans|Olive Oil|Maple Syrup|Honey|Sourdough Flour|Sea Salt|Black Tea|Granola|"
    "Hot Sauce|Apple Cider|Jam|Pasta|Rice|Chocolate|Almonds|Cheddar|Salsa|Vinegar|Mustard|Crackers"
).split("|")
INTERACTION_BODIES = (
    "Called about the next delivery window.",
    "Visited the store; shelves need restocking before the weekend.",
    "Sent the new price list by email.",
    "Left a voicemail about the overdue invoice.",
    "Quoted a pallet of the seasonal line.",
    "Texted to confirm the order went out.",
    "Note: prefers deliveries before 9am.",
    "Discussed exclusive products for next quarter.",
)
INTERACTION_KINDS = tuple(k.value for k in InteractionKind)
METHODS = tuple(m.value for m in PaymentMethod)


def _now_anchor() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass
class Rows:
    """Rows of one chunk, per table, as tuples in the column order of COLUMNS."""

    customers: list[tuple[Any, ...]] = field(default_factory=list)
    locations: list[tuple[Any, ...]] = field(default_factory=list)
    contacts: list[tuple[Any, ...]] = field(default_factory=list)
    orders: list[tuple[Any, ...]] = field(default_factory=list)
    order_lines: list[tuple[Any, ...]] = field(default_factory=list)
    transactions: list[tuple[Any, ...]] = field(default_factory=list)
    transaction_allocations: list[tuple[Any, ...]] = field(default_factory=list)
    refund_draws: list[tuple[Any, ...]] = field(default_factory=list)
    interactions: list[tuple[Any, ...]] = field(default_factory=list)

    def count(self) -> int:
        return sum(len(rows) for rows in vars(self).values())


# Tables written in bulk, in foreign-key order, with the columns the generator fills.
# A row is built by `keyed(table, column=value, ...)`: a new column is one name here and
# one keyword where the row is made, and a missing or unknown one fails at once.
COLUMNS: dict[str, list[str]] = {
    "customers": (
        "id company_id kind name name_key email phone mobile fax website discount_bp status "
        "billing_status payment_terms_id basis_date sales_rep_id default_shipping_method "
        "product_display allow_partial_payments billing_line1 billing_line2 billing_city "
        "billing_region billing_postal_code billing_country shipping_line1 shipping_line2 "
        "shipping_city shipping_region shipping_postal_code shipping_country order_count "
        "total_sales_cents last_order_at total_paid_cents balance_cents unapplied_credit_cents "
        "last_interaction_at email_key phone_key match_name "
        "version created_at updated_at"
    ).split(),
    "locations": (
        "id company_id customer_id name name_key phone email line1 line2 city city_key region "
        "postal_code country sales_rep_id order_count total_sales_cents version created_at "
        "updated_at"
    ).split(),
    "contacts": (
        "id company_id customer_id name name_key title email phone mobile fax notes is_primary "
        "version created_at updated_at"
    ).split(),
    "orders": (
        "id company_id number po_number status customer_id location_id created_by_id "
        "subtotal_cents discount_bp discount_cents total_cents paid_cents balance_due_cents "
        "requires_prepayment due_date placed_at submitted_at confirmed_at shipped_at "
        "delivered_at cancelled_at search_text version created_at updated_at"
    ).split(),
    "order_lines": (
        "id company_id order_id position product_id sku description quantity "
        "unit_price_cents line_total_cents"
    ).split(),
    "transactions": (
        "id company_id customer_id kind amount_cents method reference note recorded_by_id "
        "occurred_at created_at unallocated_cents"
    ).split(),
    "refund_draws": "id company_id refund_id credit_id amount_cents created_at".split(),
    "transaction_allocations": (
        "id company_id transaction_id order_id amount_cents created_at released_at"
    ).split(),
    "interactions": (
        "id company_id customer_id author_id kind body created_at updated_at edited version"
    ).split(),
}


def keyed(table: str, **values: Any) -> tuple[Any, ...]:
    """A row of `table` in COLUMNS order, from its values by column name."""
    columns = COLUMNS[table]
    if values.keys() != set(columns):
        missing, unknown = set(columns) - values.keys(), values.keys() - set(columns)
        raise ValueError(f"{table} row: missing {sorted(missing)}, unknown {sorted(unknown)}")
    return tuple(values[column] for column in columns)


class BulkWriter:
    """The driver's fastest insert path for one dialect, inside the caller's transaction."""

    def __init__(self, connection: AsyncConnection, driver: Any, dialect: str) -> None:
        self.connection = connection
        self.driver = driver
        self.postgres = dialect == "postgresql"

    @classmethod
    async def open(cls, connection: AsyncConnection) -> BulkWriter:
        raw = await connection.get_raw_connection()
        writer = cls(connection, raw.driver_connection, connection.dialect.name)
        if not writer.postgres:
            # A bigger page cache keeps index pages in memory while millions of rows go in.
            await writer.driver.execute("PRAGMA cache_size=-262144")
        return writer

    def timestamp(self, moment: datetime | None) -> Any:
        """A UTC datetime as the column type stores it (see db.models.UTCDateTime)."""
        if moment is None or self.postgres:
            return moment
        return f"{moment:%Y-%m-%d %H:%M:%S}.{moment.microsecond:06d}"

    def day(self, value: date | None) -> Any:
        return value if value is None or self.postgres else value.isoformat()

    def flag(self, value: bool | None) -> Any:
        return value if value is None or self.postgres else int(value)

    async def reserve_ids(self, table: str, count: int) -> int:
        """The first of `count` fresh ids for `table`; nobody else can take them meanwhile."""
        if self.postgres:
            # Inserters wait for our commit, so the block read below stays ours.
            await self.connection.execute(text(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"))
            last = (
                await self.connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) FROM {table}) + :n)"
                    ),
                    {"n": count},
                )
            ).scalar_one()
            return int(last) - count + 1
        # SQLite: the chunk runs in BEGIN IMMEDIATE, so max(id) cannot move under us.
        current = (
            await self.connection.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}"))
        ).scalar_one()
        return int(current) + 1

    async def write(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        columns = COLUMNS[table]
        if self.postgres:
            await self.driver.copy_records_to_table(table, records=rows, columns=columns)
        else:
            placeholders = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
            await self.driver.executemany(sql, rows)


@dataclass
class World:
    """What every chunk draws from: the company, its staff, terms and products."""

    company_id: int
    staff_ids: list[int]
    rep_ids: list[int]
    terms: list[tuple[int, int]]  # (id, due_in_days)
    products: list[tuple[int, str, str, int]]  # (id, sku, name, price_cents)
    anchor: datetime
    next_order_number: int


async def refresh_statistics(db: Database) -> None:
    """Fresh planner statistics after a bulk load or a migration, so the benchmark queries
    get the plans they'd get in production; on PostgreSQL also the visibility map that
    autovacuum would build, without which no index-only scan (a page's count(*)) is chosen."""
    async with db.engine.connect() as connection:
        if db.sqlite:
            await connection.execute(text("ANALYZE"))
            await connection.commit()
        else:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM (ANALYZE)"))


async def seed_scale(
    db: Database, n: int, seed: int, *, anchor: datetime | None = None, progress: bool = True
) -> str:
    """Builds the benchmark company with `n` customers; returns a summary for the CLI."""
    if n < 1:
        raise ValueError("--scale must be at least 1")
    started = time.perf_counter()
    rng = random.Random(seed)
    anchor = anchor or _now_anchor()
    world = await _seed_company(db, rng, seed, anchor)
    totals: dict[str, int] = {}
    with tqdm(
        total=n, unit="customers", desc="seeding", smoothing=0.1, disable=not progress
    ) as bar:
        for first in range(0, n, CHUNK_CUSTOMERS):
            size = min(CHUNK_CUSTOMERS, n - first)
            # One generator per chunk, seeded from the run's seed: chunks don't depend on each other.
            chunk_rng = random.Random(f"{seed}:{first}")
            async with db.transaction(None) as session:
                connection = await session.connection()
                writer = await BulkWriter.open(connection)
                rows = await _generate_chunk(writer, world, chunk_rng, first, size)
                for table in COLUMNS:
                    batch = getattr(rows, table)
                    await writer.write(table, batch)
                    totals[table] = totals.get(table, 0) + len(batch)
                await connection.execute(
                    update(cast(Table, Company.__table__))
                    .where(Company.__table__.c.id == world.company_id)
                    .values(next_order_number=world.next_order_number)
                )
            bar.update(size)
    async with db.transaction(None) as session:
        # The sales rollup, from the orders just written (as a migration backfills it).
        await rebuild_sales_rollup(session, world.company_id)
    await ensure_book_data(db, world.company_id)
    await refresh_statistics(db)
    seconds = time.perf_counter() - started
    counts = ", ".join(f"{totals[table]:,} {table}" for table in COLUMNS)
    admin_email = f"admin-{world.company_id}@scale.example"
    return (
        f"seeded company {world.company_id} in {seconds:.1f} s: {STAFF_COUNT} staff, "
        f"{PRODUCT_COUNT} products, {counts}\n"
        f"log in as {admin_email} / {SCALE_PASSWORD}"
    )


async def _seed_company(db: Database, rng: random.Random, seed: int, anchor: datetime) -> World:
    password_hash = hash_password(SCALE_PASSWORD)
    async with db.transaction(None) as session:
        company = await create_company(session, f"Scale {seed}")
        company_id = company.id
        now = anchor
        staff_rows = []
        for index in range(STAFF_COUNT):
            role = Role.ADMIN if index == 0 else Role.MANAGER if index < 3 else Role.REP
            first, last = FIRST[index % len(FIRST)], LAST[(index * 7) % len(LAST)]
            email = "admin" if index == 0 else f"staff{index}"
            staff_rows.append(
                {
                    "company_id": company_id,
                    "name": f"{first} {last}",
                    "email": f"{email}-{company_id}@scale.example",
                    "password_hash": password_hash,
                    "role": role,
                    "active": True,
                    "version": 1,
                    "created_at": now - timedelta(days=HISTORY_DAYS + 30),
                    "updated_at": now - timedelta(days=HISTORY_DAYS + 30),
                }
            )
        await session.execute(insert(cast(Table, Staff.__table__)), staff_rows)
        staff = (
            await session.execute(
                select(Staff.__table__.c.id, Staff.__table__.c.role)
                .where(Staff.__table__.c.company_id == company_id)
                .order_by(Staff.__table__.c.id)
            )
        ).all()
        product_rows = []
        for index in range(PRODUCT_COUNT):
            name = f"{rng.choice(PRODUCT_WORDS)} {PRODUCT_ITEMS[index % len(PRODUCT_ITEMS)]}"
            product_rows.append(
                {
                    "company_id": company_id,
                    "sku": f"SKU-{index + 1:05d}",
                    "name": name,
                    "description": f"{name}, case of {rng.choice((6, 12, 24))}",
                    "price_cents": rng.randrange(199, 25_000),
                    "active": True,
                    "exclusive": False,
                    "version": 1,
                    "created_at": now - timedelta(days=HISTORY_DAYS + 30),
                    "updated_at": now - timedelta(days=HISTORY_DAYS + 30),
                }
            )
        await session.execute(insert(cast(Table, Product.__table__)), product_rows)
        products = (
            await session.execute(
                select(
                    Product.__table__.c.id,
                    Product.__table__.c.sku,
                    Product.__table__.c.name,
                    Product.__table__.c.price_cents,
                )
                .where(Product.__table__.c.company_id == company_id)
                .order_by(Product.__table__.c.id)
            )
        ).all()
        terms = (
            await session.execute(
                select(PaymentTerms.__table__.c.id, PaymentTerms.__table__.c.due_in_days)
                .where(PaymentTerms.__table__.c.company_id == company_id)
                .order_by(PaymentTerms.__table__.c.id)
            )
        ).all()
        next_number = company.next_order_number
    return World(
        company_id=company_id,
        staff_ids=[row.id for row in staff],
        rep_ids=[row.id for row in staff if row.role == Role.REP],
        terms=[tuple(row) for row in terms],
        products=[tuple(row) for row in products],
        anchor=anchor,
        next_order_number=next_number,
    )


def _status_for(age_days: float, roll: float) -> OrderStatus:
    """Old orders are mostly delivered; recent ones still move through the pipeline."""
    if roll < 0.04:
        return OrderStatus.CANCELLED
    if roll < 0.06:
        return OrderStatus.DRAFT
    if age_days > 30:
        return OrderStatus.DELIVERED
    return (OrderStatus.SUBMITTED, OrderStatus.CONFIRMED, OrderStatus.SHIPPED)[int(roll * 100) % 3]


def due_date_for(
    basis: BasisDate, placed: datetime, status: OrderStatus, due_days: int
) -> date | None:
    """resolvers.orders.due_date_for on this generator's timeline (UTC company).

    Submitted when placed (drafts never), delivered three days later.
    """
    if basis == BasisDate.ORDER_DATE:
        moment: datetime | None = placed
    elif basis == BasisDate.INVOICE_DATE:
        moment = placed if status != OrderStatus.DRAFT else None
    else:
        moment = placed + timedelta(days=3) if status == OrderStatus.DELIVERED else None
    return None if moment is None else moment.date() + timedelta(days=due_days)


def discount_cents(subtotal_cents: int, discount_bp: int) -> int:
    """subtotal × percent / 100, rounded half-up once on the subtotal (the orders rule)."""
    return (subtotal_cents * discount_bp + 5000) // 10000


async def _generate_chunk(
    writer: BulkWriter, world: World, rng: random.Random, first: int, size: int
) -> Rows:
    """Rows for customers first..first+size-1, ids from freshly reserved blocks."""
    # Upper bounds of each table's rows in this chunk: reserve, then hand out.
    ids = {
        "customers": await writer.reserve_ids("customers", size),
        "locations": await writer.reserve_ids("locations", size * LOCATIONS_PER_CUSTOMER[1]),
        "contacts": await writer.reserve_ids("contacts", size * CONTACTS_PER_CUSTOMER),
        "orders": await writer.reserve_ids("orders", size * ORDERS_PER_CUSTOMER),
        "order_lines": await writer.reserve_ids(
            "order_lines", size * ORDERS_PER_CUSTOMER * LINES_PER_ORDER[1]
        ),
        # An overpayment and its refund count as two.
        "transactions": await writer.reserve_ids(
            "transactions", size * TRANSACTIONS_PER_CUSTOMER * 2
        ),
        "transaction_allocations": await writer.reserve_ids(
            "transaction_allocations", size * TRANSACTIONS_PER_CUSTOMER * 4
        ),
        "refund_draws": await writer.reserve_ids("refund_draws", size * TRANSACTIONS_PER_CUSTOMER),
        "interactions": await writer.reserve_ids("interactions", size * INTERACTIONS_PER_CUSTOMER),
    }

    def next_id(table: str) -> int:
        value = ids[table]
        ids[table] = value + 1
        return value

    rows = Rows()
    for index in range(first, first + size):
        _generate_customer(writer, world, rng, index, next_id, rows)
    return rows


@dataclass
class Money:
    """A customer's ledger figures, as the app's set-based updates would leave them."""

    paid: int = 0
    adjustments: int = 0
    unapplied: int = 0

    def add(self, kind: TransactionKind, amount: int, unallocated: int | None) -> None:
        if kind in (TransactionKind.PAYMENT, TransactionKind.CREDIT):
            self.paid += amount
        elif kind == TransactionKind.REFUND:
            self.paid -= amount
        else:
            self.adjustments += amount
        self.unapplied += unallocated or 0


def _generate_customer(
    w: BulkWriter,
    world: World,
    rng: random.Random,
    index: int,
    next_id: Callable[[str], int],
    rows: Rows,
) -> None:
    _CustomerGenerator(w, world, rng, index, next_id, rows).generate()


class _Payable:
    """The invoiced orders a customer still owes on, oldest first; `pending` is the next
    one money goes to (None once all are paid). Entries are
    [id, placed_at, total, paid_so_far, row]."""

    def __init__(self, invoiced_orders: list[list[Any]]) -> None:
        invoiced_orders.sort(key=lambda o: o[1])
        self._orders = iter(invoiced_orders)
        self.pending: list[Any] | None = next(self._orders, None)

    def advance(self) -> None:
        self.pending = next(self._orders, None)

    def pay(self, part: int) -> None:
        """Puts `part` on the pending order, moving on once it is paid in full."""
        assert self.pending is not None
        self.pending[3] += part
        if self.pending[3] >= self.pending[2]:
            self.advance()


@dataclass
class _Transaction:
    """One drawn transaction before it is written: its money and what it pays."""

    kind: TransactionKind
    amount: int
    occurred: datetime
    allocations: list[tuple[int, int]]
    extra: int = 0  # an overpayment: credit on account


class _CustomerGenerator:
    """One customer's rows. The methods draw from `rng` in a fixed order (the order of
    `generate`), which is what keeps a seed's data set the same."""

    def __init__(
        self,
        w: BulkWriter,
        world: World,
        rng: random.Random,
        index: int,
        next_id: Callable[[str], int],
        rows: Rows,
    ) -> None:
        self.w, self.world, self.rng, self.next_id, self.rows = w, world, rng, next_id, rows
        self.company_id = world.company_id
        self.anchor = world.anchor
        self.start = self.anchor - timedelta(days=HISTORY_DAYS)
        self.span = HISTORY_DAYS * 86_400
        self.slug = f"c{index + 1}"
        self.location_ids: list[int] = []
        self.location_reps: dict[int, int | None] = {}
        self.location_orders: dict[int, int] = {}
        self.location_sales: dict[int, int] = {}
        self.order_count = self.total_sales = 0
        self.last_order_at: datetime | None = None
        self.money = Money()

    def generate(self) -> None:
        self.customer_id = self.next_id("customers")
        self._draw_profile()
        self._draw_locations()
        order_rows, invoiced_orders = self._orders()
        self._transactions(_Payable(invoiced_orders))
        for _order_id, _placed, total, paid, row in invoiced_orders:
            row[12] = paid
            row[13] = total - paid
        self.rows.orders.extend(tuple(row) for row in order_rows)
        last_interaction_at = self._interactions()
        created_ts = self.w.timestamp(self.created)
        self._location_rows(created_ts)
        self._contact_rows(created_ts)
        self._customer_row(created_ts, last_interaction_at)

    def _draw_profile(self) -> None:
        rng, world = self.rng, self.world
        self.business = rng.random() < 0.85
        if self.business:
            self.name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {rng.choice(TRADES)}"
        else:
            self.name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        self.city, self.region, self.zip_prefix = rng.choice(CITIES)
        self.rep_id = rng.choice(world.rep_ids) if rng.random() < 0.9 else None
        self.terms_id, self.due_days = rng.choice(world.terms)
        self.discount_bp = rng.choice((0, 0, 0, 0, 500, 1000, 1250, 333))
        self.basis = rng.choice(tuple(BasisDate))
        self.billing_status = rng.choice(
            (BillingStatus.GOOD_STANDING,) * 8 + (BillingStatus.PAST_DUE, BillingStatus.PREPAY_ONLY)
        )
        self.created = self.start - timedelta(
            days=rng.randint(1, 120), seconds=rng.randint(0, 86_399)
        )
        self.line1 = f"{rng.randint(1, 9999)} {rng.choice(NOUNS)} St"
        self.postal = f"{self.zip_prefix}{rng.randint(100, 999)}"

    def _draw_locations(self) -> None:
        rng = self.rng
        for _ in range(rng.randint(*LOCATIONS_PER_CUSTOMER)):
            location_id = self.next_id("locations")
            self.location_ids.append(location_id)
            self.location_reps[location_id] = (
                rng.choice(self.world.rep_ids) if rng.random() < 0.15 else None
            )
        self.location_orders = dict.fromkeys(self.location_ids, 0)
        self.location_sales = dict.fromkeys(self.location_ids, 0)

    def _orders(self) -> tuple[list[list[Any]], list[list[Any]]]:
        """Orders placed at random over the history, numbered in the order generated;
        returns their rows and the invoiced ones as [id, placed_at, total, 0, row]."""
        order_rows: list[list[Any]] = []
        invoiced_orders: list[list[Any]] = []
        for _ in range(ORDERS_PER_CUSTOMER):
            order_id = self.next_id("orders")
            placed = self.start + timedelta(seconds=self.rng.randrange(self.span))
            age_days = (self.anchor - placed).total_seconds() / 86_400
            status = _status_for(age_days, self.rng.random())
            location_id = self.rng.choice(self.location_ids)
            subtotal, search_parts = self._order_lines(order_id)
            discount = discount_cents(subtotal, self.discount_bp)
            total = subtotal - discount
            row = self._order_row(
                order_id, placed, status, location_id, subtotal, discount, search_parts
            )
            order_rows.append(row)
            if status.value in INVOICED:
                self._count_invoiced(location_id, placed, total)
                invoiced_orders.append([order_id, placed, total, 0, row])
        return order_rows, invoiced_orders

    def _order_lines(self, order_id: int) -> tuple[int, list[tuple[str, str, str]]]:
        """Writes an order's 1-5 lines; returns its subtotal and search parts."""
        rng = self.rng
        subtotal = 0
        search_parts: list[tuple[str, str, str]] = []
        for position in range(1, rng.randint(*LINES_PER_ORDER) + 1):
            product_id, sku, product_name, price = rng.choice(self.world.products)
            quantity = rng.randint(1, 24)
            line_total = quantity * price
            subtotal += line_total
            search_parts.append((sku, product_name, product_name))
            self.rows.order_lines.append(
                (
                    self.next_id("order_lines"),
                    self.company_id,
                    order_id,
                    position,
                    product_id,
                    sku,
                    product_name,
                    quantity,
                    price,
                    line_total,
                )
            )
        return subtotal, search_parts

    def _order_row(
        self,
        order_id: int,
        placed: datetime,
        status: OrderStatus,
        location_id: int,
        subtotal: int,
        discount: int,
        search_parts: list[tuple[str, str, str]],
    ) -> list[Any]:
        ts, rng, world = self.w.timestamp, self.rng, self.world
        total = subtotal - discount
        number = world.next_order_number
        world.next_order_number += 1
        placed_ts = ts(placed)
        invoiced = status.value in INVOICED
        return [
            order_id,
            self.company_id,
            number,
            f"PO-{rng.randint(10_000, 99_999)}" if rng.random() < 0.4 else None,
            status.value,
            self.customer_id,
            location_id,
            rng.choice(world.staff_ids),
            subtotal,
            self.discount_bp,
            discount,
            total,
            0,  # paid_cents, filled by the allocations
            total if invoiced else 0,  # balance_due_cents, likewise
            self.w.flag(self.billing_status == BillingStatus.PREPAY_ONLY),
            self.w.day(due_date_for(self.basis, placed, status, self.due_days)),
            placed_ts,
            placed_ts if status != OrderStatus.DRAFT else None,
            *self._status_stamps(placed, status),
            search_text_for(search_parts),
            1,
            placed_ts,
            placed_ts,
        ]

    def _status_stamps(self, placed: datetime, status: OrderStatus) -> list[Any]:
        """confirmed_at, shipped_at, delivered_at, cancelled_at for an order's status."""
        reached = {
            OrderStatus.CONFIRMED: (True, False, False, False),
            OrderStatus.SHIPPED: (True, True, False, False),
            OrderStatus.DELIVERED: (True, True, True, False),
            OrderStatus.CANCELLED: (False, False, False, True),
        }.get(status, (False, False, False, False))
        offsets = (
            timedelta(hours=2),
            timedelta(days=1),
            timedelta(days=3),
            timedelta(hours=5),
        )
        return [
            self.w.timestamp(placed + offset) if on else None
            for on, offset in zip(reached, offsets, strict=True)
        ]

    def _count_invoiced(self, location_id: int, placed: datetime, total: int) -> None:
        self.order_count += 1
        self.total_sales += total
        self.location_orders[location_id] += 1
        self.location_sales[location_id] += total
        if self.last_order_at is None or placed > self.last_order_at:
            self.last_order_at = placed

    def _transactions(self, payable: _Payable) -> None:
        """Payments settle the oldest invoiced orders first, 30-60 days later, as
        bookkeepers apply them: credits and write-offs pay the next open order too, so
        credit on account is rare (an overpayment now and then, mostly refunded), and so
        are charges on account. Once every invoiced order is paid, the money stops moving."""
        for _ in range(TRANSACTIONS_PER_CUSTOMER):
            if payable.pending is None:
                break
            roll = self.rng.random()
            transaction_id = self.next_id("transactions")
            occurred = self.start + timedelta(seconds=self.rng.randrange(self.span))
            if roll < 0.85:
                drawn = self._payment(payable, occurred)
            elif roll < 0.9995:
                drawn = self._credit_or_write_off(payable, roll)
            else:
                # A charge on account.
                drawn = _Transaction(
                    TransactionKind.ADJUSTMENT, self.rng.randrange(500, 20_000), occurred, []
                )
            if drawn is not None:
                self._write_transaction(transaction_id, drawn)

    def _not_after_anchor(self, moment: datetime) -> datetime:
        if moment > self.anchor:
            return self.anchor - timedelta(seconds=self.rng.randint(1, 86_400))
        return moment

    def _payment(self, payable: _Payable, occurred: datetime) -> _Transaction | None:
        """One to three orders per payment, the last one sometimes only in part."""
        rng = self.rng
        allocations: list[tuple[int, int]] = []
        for _ in range(rng.randint(1, 3)):
            pending = payable.pending
            if pending is None:
                break
            remaining = pending[2] - pending[3]
            part = remaining if rng.random() < 0.85 else remaining // 2
            if part <= 0:
                payable.advance()
                continue
            allocations.append((pending[0], part))
            occurred = pending[1] + timedelta(days=rng.randint(30, 60))
            payable.pay(part)
        if not allocations:
            return None
        occurred = self._not_after_anchor(occurred)
        # Now and then a check for more than was due: credit on account.
        extra = rng.randrange(500, 5_000) if rng.random() < 0.003 else 0
        amount = sum(part for _, part in allocations) + extra
        return _Transaction(TransactionKind.PAYMENT, amount, occurred, allocations, extra)

    def _credit_or_write_off(self, payable: _Payable, roll: float) -> _Transaction | None:
        """A credit note or a write-off of (part of) the next open order."""
        pending = payable.pending
        assert pending is not None
        remaining = pending[2] - pending[3]
        part = min(remaining, self.rng.randrange(100, 5_000))
        if part <= 0:
            return None
        kind = TransactionKind.CREDIT if roll < 0.93 else TransactionKind.ADJUSTMENT
        occurred = pending[1] + timedelta(days=self.rng.randint(1, 30))
        occurred = self._not_after_anchor(occurred)
        payable.pay(part)
        amount = part if kind == TransactionKind.CREDIT else -part
        return _Transaction(kind, amount, occurred, [(pending[0], part)])

    def _write_transaction(self, transaction_id: int, drawn: _Transaction) -> None:
        rng, kind, amount = self.rng, drawn.kind, drawn.amount
        occurred_ts = self.w.timestamp(drawn.occurred)
        unallocated = None if kind == TransactionKind.ADJUSTMENT and amount > 0 else drawn.extra
        self.money.add(kind, amount, unallocated)
        self.rows.transactions.append(
            (
                transaction_id,
                self.company_id,
                self.customer_id,
                kind.value,
                amount,
                rng.choice(METHODS) if kind == TransactionKind.PAYMENT else None,
                f"REF-{rng.randint(100_000, 999_999)}" if rng.random() < 0.5 else None,
                None,
                rng.choice(self.world.staff_ids),
                occurred_ts,
                occurred_ts,
                unallocated,
            )
        )
        for order_id, part in drawn.allocations:
            self.rows.transaction_allocations.append(
                (
                    self.next_id("transaction_allocations"),
                    self.company_id,
                    transaction_id,
                    order_id,
                    part,
                    occurred_ts,
                    None,
                )
            )
        if drawn.extra and rng.random() < 0.7:
            self._refund_overpayment(transaction_id, drawn)

    def _refund_overpayment(self, transaction_id: int, payment: _Transaction) -> None:
        """Most overpayments are refunded a few days later (the refund draws from it)."""
        rng, extra = self.rng, payment.extra
        refund_id = self.next_id("transactions")
        refunded_ts = self.w.timestamp(
            min(self.anchor, payment.occurred + timedelta(days=rng.randint(1, 10)))
        )
        self.money.add(TransactionKind.REFUND, extra, None)
        self.money.unapplied -= extra
        self.rows.transactions.append(
            (
                refund_id,
                self.company_id,
                self.customer_id,
                TransactionKind.REFUND.value,
                extra,
                rng.choice(METHODS),
                None,
                "Overpayment returned",
                rng.choice(self.world.staff_ids),
                refunded_ts,
                refunded_ts,
                None,
            )
        )
        self.rows.refund_draws.append(
            (
                self.next_id("refund_draws"),
                self.company_id,
                refund_id,
                transaction_id,
                extra,
                refunded_ts,
            )
        )
        # The payment's row: nothing of it is left on account.
        last = self.rows.transactions[-2]
        self.rows.transactions[-2] = (*last[:-1], 0)

    def _interactions(self) -> datetime | None:
        """Writes the customer's interactions; returns the latest one's time."""
        rng, ts = self.rng, self.w.timestamp
        last_interaction_at: datetime | None = None
        for _ in range(INTERACTIONS_PER_CUSTOMER):
            at = self.start + timedelta(seconds=rng.randrange(self.span))
            if last_interaction_at is None or at > last_interaction_at:
                last_interaction_at = at
            at_ts = ts(at)
            self.rows.interactions.append(
                (
                    self.next_id("interactions"),
                    self.company_id,
                    self.customer_id,
                    rng.choice(self.world.staff_ids),
                    rng.choice(INTERACTION_KINDS),
                    rng.choice(INTERACTION_BODIES),
                    at_ts,
                    at_ts,
                    self.w.flag(False),
                    1,
                )
            )
        return last_interaction_at

    def _location_rows(self, created_ts: Any) -> None:
        rng = self.rng
        for n, location_id in enumerate(self.location_ids):
            if n == 0:
                l_city, l_region, l_zip = self.city, self.region, self.zip_prefix
            else:
                l_city, l_region, l_zip = rng.choice(CITIES)
            location_name = "Main store" if n == 0 else f"{l_city} branch {n}"
            self.rows.locations.append(
                (
                    location_id,
                    self.company_id,
                    self.customer_id,
                    location_name,
                    name_key(location_name),
                    f"+1 503 555 {rng.randint(0, 9999):04d}",
                    None,
                    f"{rng.randint(1, 9999)} {rng.choice(NOUNS)} Ave",
                    None,
                    l_city,
                    optional_key(l_city),
                    l_region,
                    f"{l_zip}{rng.randint(100, 999)}",
                    "US",
                    self.location_reps[location_id],
                    self.location_orders[location_id],
                    self.location_sales[location_id],
                    1,
                    created_ts,
                    created_ts,
                )
            )

    def _contact_rows(self, created_ts: Any) -> None:
        rng = self.rng
        for n in range(CONTACTS_PER_CUSTOMER):
            contact_name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            self.rows.contacts.append(
                (
                    self.next_id("contacts"),
                    self.company_id,
                    self.customer_id,
                    contact_name,
                    optional_key(contact_name),
                    "Owner" if n == 0 else rng.choice(("Buyer", "Accounts payable", "Manager")),
                    f"contact{n + 1}@{self.slug}.example",
                    f"+1 503 555 {rng.randint(0, 9999):04d}",
                    None,
                    None,
                    None,
                    self.w.flag(n == 0),
                    1,
                    created_ts,
                    created_ts,
                )
            )

    def _customer_row(self, created_ts: Any, last_interaction_at: datetime | None) -> None:
        rng, ts, slug, money = self.rng, self.w.timestamp, self.slug, self.money
        email, phone = f"orders@{slug}.example", f"+1 503 555 {rng.randint(0, 9999):04d}"
        self.rows.customers.append(
            keyed(
                "customers",
                id=self.customer_id,
                company_id=self.company_id,
                kind=(CustomerKind.BUSINESS if self.business else CustomerKind.INDIVIDUAL).value,
                name=self.name,
                name_key=name_key(self.name),
                email=email,
                phone=phone,
                mobile=None,
                fax=None,
                website=f"https://{slug}.example" if self.business else None,
                discount_bp=self.discount_bp,
                status=rng.choice((CustomerStatus.ACTIVE,) * 8 + (CustomerStatus.INACTIVE,)).value,
                billing_status=self.billing_status.value,
                payment_terms_id=self.terms_id,
                basis_date=self.basis.value,
                sales_rep_id=self.rep_id,
                default_shipping_method=ShippingMethod.SHIPPING.value,
                product_display=ProductDisplay.STANDARD_AND_EXCLUSIVE.value,
                allow_partial_payments=None,
                billing_line1=self.line1,
                billing_line2=None,
                billing_city=self.city,
                billing_region=self.region,
                billing_postal_code=self.postal,
                billing_country="US",
                shipping_line1=self.line1,
                shipping_line2=None,
                shipping_city=self.city,
                shipping_region=self.region,
                shipping_postal_code=self.postal,
                shipping_country="US",
                order_count=self.order_count,
                total_sales_cents=self.total_sales,
                last_order_at=ts(self.last_order_at),
                total_paid_cents=money.paid,
                balance_cents=self.total_sales - money.paid + money.adjustments,
                unapplied_credit_cents=money.unapplied,
                last_interaction_at=ts(last_interaction_at),
                **duplicate_keys(self.name, email, phone),
                version=1,
                created_at=created_ts,
                updated_at=created_ts,
            )
        )
