"""The sales rollup (daily_sales): maintained by every write equals a fresh rebuild, and the
sales report read from it equals the orders scan, to the cent.

Everything goes through GraphQL: orders created, invoiced and cancelled; reps changed
by customerUpdate, customerSetSalesRep, locationUpdate, locationDelete, the bulk
updates and their revert; the company's time zone by companyUpdate. After each step
the rollup is compared with `rebuild_sales_rollup`'s definition and the report (rollup
path) with the same report forced through the orders scan.
"""

from __future__ import annotations

import asyncio
import importlib.util
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, text

from db.enums import OrderStatus
from db.models import DailySales
from db.session import Scope
from resolvers import reports
from resolvers.sales_rollup import rollup_definition
from tests.conftest import Tenant
from tests.ledger_factory import (
    ORDER_STATUS,
    cancel_order,
    invoice_order,
    make_customer,
    make_location,
    make_order,
)

SALES = """query($from: Date, $to: Date, $groupBy: [SalesReportGroup!]!) {
  salesReport(from: $from, to: $to, groupBy: $groupBy) {
    rows { salesRep { id } period orderCount total averageOrderTotal }
    totals { orderCount total averageOrderTotal } } }"""
COMPANY_UPDATE = """mutation($input: CompanyUpdateInput!) { companyUpdate(input: $input) {
  company { timezone repVisibility } userErrors { field code message } } }"""
CUSTOMER_UPDATE = """mutation($id: ID!, $input: CustomerUpdateInput!) {
  customerUpdate(id: $id, input: $input) { customer { id } userErrors { field code } } }"""
SET_REP = """mutation($c: ID!, $s: ID) { customerSetSalesRep(customerId: $c, staffId: $s) {
  customer { id } userErrors { field code } } }"""
LOCATION_UPDATE = """mutation($id: ID!, $input: LocationUpdateInput!) {
  locationUpdate(id: $id, input: $input) { location { id } userErrors { field code } } }"""
LOCATION_DELETE = """mutation($id: ID!) { locationDelete(id: $id) {
  deletedId userErrors { field code } } }"""
CUSTOMERS_BULK = """mutation($input: CustomersBulkUpdateInput!) { customersBulkUpdate(input: $input) {
  updatedCount bulkOperation { id } userErrors { field code } } }"""
LOCATIONS_BULK = """mutation($input: LocationsBulkUpdateInput!) { locationsBulkUpdate(input: $input) {
  updatedCount bulkOperation { id } userErrors { field code } } }"""
REVERT = """mutation($id: ID!) { bulkOperationRevert(id: $id) {
  restoredCount skippedCount userErrors { field code } } }"""

GROUPINGS = ([], ["SALES_REP"], ["MONTH"], ["SALES_REP", "MONTH"], ["MONTH", "SALES_REP"])
RANGES = (
    {"from": None, "to": None},
    {"from": "2026-02-01", "to": "2026-02-28"},
    {"from": "2026-01-31", "to": "2026-03-01"},
    {"from": "2026-02-01", "to": None},
    {"from": None, "to": "2026-01-31"},
    # New York's clocks go forward on March 8th: a 23-hour day.
    {"from": "2026-03-08", "to": "2026-03-08"},
)
ZONES = ("UTC", "America/New_York", "Asia/Tokyo", "Pacific/Chatham")


# ----------------------------------------------------------------------
# Checks
# ----------------------------------------------------------------------


async def maintained(database, company_id: int) -> dict[tuple[Any, int], tuple[int, int]]:
    """The rollup's rows that hold orders; rows cancelled down to 0 must be all zero."""
    session = database.session(Scope(company_id))
    try:
        rows = (
            await session.execute(
                select(
                    DailySales.day,
                    DailySales.sales_rep_id,
                    DailySales.order_count,
                    DailySales.total_cents,
                )
            )
        ).all()
    finally:
        await session.close()
    for row in rows:
        assert row.order_count >= 0
        if row.order_count == 0:
            assert row.total_cents == 0, row
    return {(str(r.day), r.sales_rep_id): (r.order_count, r.total_cents) for r in rows if r[2]}


async def rebuilt(database, company_id: int) -> dict[tuple[Any, int], tuple[int, int]]:
    """The rollup's definition computed from the orders now."""
    session = database.session(None)
    try:
        timezone = (
            await session.execute(
                text("SELECT timezone FROM companies WHERE id = :id"), {"id": company_id}
            )
        ).scalar_one()
        definition = await rollup_definition(session, company_id, timezone)
        rows = (await session.execute(definition)).all()
    finally:
        await session.close()
    return {(str(r[1]), r[2]): (r[3], int(r[4])) for r in rows}


async def report(api, token: str, group_by: list[str], dates: dict[str, Any]) -> dict[str, Any]:
    variables = {"groupBy": group_by, **dates}
    return (await api.ok(SALES, variables, token=token))["salesReport"]


async def scanned_report(api, token, group_by, dates) -> dict[str, Any]:
    """The same report forced through the orders scan."""
    with patch.object(reports, "ROLLUP_GROUPS", frozenset()):
        return await report(api, token, group_by, dates)


async def check(api, database, tenant: Tenant, *, reports_too: bool = True) -> None:
    assert await maintained(database, tenant.company_id) == await rebuilt(
        database, tenant.company_id
    )
    if not reports_too:
        return
    for group_by in GROUPINGS:
        for dates in RANGES:
            fast = await report(api, tenant.admin.token, group_by, dates)
            slow = await scanned_report(api, tenant.admin.token, group_by, dates)
            assert fast == slow, (group_by, dates)


# ----------------------------------------------------------------------
# A small world and the operations on it
# ----------------------------------------------------------------------


@dataclass
class World:
    tenant: Tenant
    reps: list[str | None]
    customers: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)  # deleted ones stay, marked
    deleted: set[str] = field(default_factory=set)
    location_customer: dict[str, str] = field(default_factory=dict)
    orders: list[tuple[str, OrderStatus]] = field(default_factory=list)
    operations: list[str] = field(default_factory=list)  # bulk operations, not reverted


async def make_world(api, tenant: Tenant) -> World:
    reps = [tenant.rep.global_id, tenant.rep2.global_id, tenant.manager.global_id, None]
    world = World(tenant, reps)
    for n, rep in enumerate((reps[0], reps[1], None)):
        extra = {"salesRepId": rep} if rep else {}
        customer = await make_customer(api, tenant, f"Customer {n}", **extra)
        world.customers.append(customer)
        for m, override in enumerate((None, reps[(n + 1) % 3])):
            extra = {"salesRepId": override} if override else {}
            location = await make_location(api, tenant, customer, f"Site {n}.{m}", **extra)
            world.locations.append(location)
            world.location_customer[location] = customer
    return world


# Around local midnights at the end of January and of February, in every zone used.
MOMENTS = (
    [
        datetime(2026, 1, 31, 0, 0, tzinfo=UTC) + timedelta(hours=h)
        for h in (-14, -5, -1, 0, 4, 9, 13, 23)
    ]
    + [
        datetime(2026, 3, 1, 0, 0, tzinfo=UTC) + timedelta(hours=h, minutes=m)
        for h, m in ((-13, 15), (-11, 0), (-5, 0), (0, 30), (4, 59), (5, 0), (12, 0))
    ]
    + [
        # Around New York's 23-hour day (March 8th, 2026: 02:00 EST becomes 03:00 EDT).
        datetime(2026, 3, 8, 4, 30, tzinfo=UTC),
        datetime(2026, 3, 8, 5, 30, tzinfo=UTC),
        datetime(2026, 3, 9, 3, 30, tzinfo=UTC),
        datetime(2026, 3, 9, 4, 30, tzinfo=UTC),
    ]
)


async def apply(api, database, world: World, operation: tuple) -> None:
    tenant, admin = world.tenant, world.tenant.admin.token
    kind = operation[0]
    if kind == "order":
        _, customer_n, location_n, moment_n, cents, status = operation
        customer = world.customers[customer_n % len(world.customers)]
        sites = [
            loc
            for loc in world.locations
            if world.location_customer[loc] == customer and loc not in world.deleted
        ]
        location = sites[location_n % len(sites)] if sites and location_n is not None else None
        order = await make_order(
            api,
            tenant,
            customer,
            cents,
            status=status,
            placed_at=MOMENTS[moment_n % len(MOMENTS)],
            location_gid=location,
        )
        world.orders.append((order, status))
    elif kind == "invoice" and world.orders:
        n = operation[1] % len(world.orders)
        order, status = world.orders[n]
        if status == OrderStatus.DRAFT:
            await invoice_order(api, tenant, order)
            world.orders[n] = (order, OrderStatus.SUBMITTED)
        elif status in (OrderStatus.SUBMITTED, OrderStatus.CONFIRMED):
            step = {OrderStatus.SUBMITTED: "CONFIRMED", OrderStatus.CONFIRMED: "SHIPPED"}[status]
            await api.mutate(ORDER_STATUS, {"id": order, "input": {"status": step}}, token=admin)
            world.orders[n] = (order, OrderStatus(step))
    elif kind == "cancel" and world.orders:
        n = operation[1] % len(world.orders)
        order, status = world.orders[n]
        if status in (OrderStatus.DRAFT, OrderStatus.SUBMITTED, OrderStatus.CONFIRMED):
            await cancel_order(api, tenant, order)
            world.orders[n] = (order, OrderStatus.CANCELLED)
    elif kind == "customer_rep":
        _, customer_n, rep_n, how = operation
        customer = world.customers[customer_n % len(world.customers)]
        rep = world.reps[rep_n % len(world.reps)]
        if how == "update":
            await api.mutate(
                CUSTOMER_UPDATE, {"id": customer, "input": {"salesRepId": rep}}, token=admin
            )
        else:
            await api.mutate(SET_REP, {"c": customer, "s": rep}, token=admin)
    elif kind == "location_rep":
        _, location_n, rep_n = operation
        live = [loc for loc in world.locations if loc not in world.deleted]
        if live:
            location = live[location_n % len(live)]
            rep = world.reps[rep_n % len(world.reps)]
            await api.mutate(
                LOCATION_UPDATE, {"id": location, "input": {"salesRepId": rep}}, token=admin
            )
    elif kind == "delete_location":
        live = [loc for loc in world.locations if loc not in world.deleted]
        if len(live) > 1:
            location = live[operation[1] % len(live)]
            await api.mutate(LOCATION_DELETE, {"id": location}, token=admin)
            world.deleted.add(location)
    elif kind == "bulk_customers":
        _, mask, rep_n = operation
        ids = [c for i, c in enumerate(world.customers) if mask >> i & 1] or world.customers
        rep = world.reps[rep_n % len(world.reps)]
        change = {"salesRepId": rep} if rep else {"clearSalesRep": True}
        payload = await api.mutate(
            CUSTOMERS_BULK, {"input": {"ids": ids, "set": change}}, token=admin
        )
        world.operations.append(payload["bulkOperation"]["id"])
    elif kind == "bulk_locations":
        _, mask, rep_n = operation
        live = [loc for loc in world.locations if loc not in world.deleted]
        ids = [loc for i, loc in enumerate(live) if mask >> i & 1] or live
        rep = world.reps[rep_n % len(world.reps)]
        change = {"salesRepId": rep} if rep else {"inheritSalesRep": True}
        payload = await api.mutate(
            LOCATIONS_BULK, {"input": {"ids": ids, "set": change}}, token=admin
        )
        world.operations.append(payload["bulkOperation"]["id"])
    elif kind == "revert" and world.operations:
        operation_id = world.operations.pop(operation[1] % len(world.operations))
        await api.mutate(REVERT, {"id": operation_id}, token=admin)
    elif kind == "timezone":
        zone = ZONES[operation[1] % len(ZONES)]
        await api.mutate(COMPANY_UPDATE, {"input": {"timezone": zone}}, token=admin)


# ----------------------------------------------------------------------
# A long scripted history, checked after every step
# ----------------------------------------------------------------------

D, S, X = OrderStatus.DRAFT, OrderStatus.SUBMITTED, OrderStatus.DELIVERED
SCRIPT: list[tuple] = [
    ("timezone", 1),  # America/New_York
    ("order", 0, None, 0, 1000, S),
    ("order", 0, 0, 1, 2050, S),
    ("order", 0, 1, 2, 3333, S),  # at the overriding location
    ("order", 1, 1, 3, 4000, X),
    ("order", 2, None, 8, 500, S),
    ("order", 2, 1, 9, 777, D),
    ("order", 1, None, 13, 1234, D),
    ("order", 0, None, 15, 1111, S),  # New York's 23-hour day
    ("order", 2, 0, 16, 2222, S),
    ("invoice", 5),
    ("customer_rep", 0, 1, "update"),  # Customer 0: rep -> rep2; its override stays
    ("cancel", 1),
    ("customer_rep", 2, 2, "set"),
    ("location_rep", 1, 3),  # the override of Site 0.1 is cleared: it inherits
    ("location_rep", 0, 0),  # Site 0.0 gets an override
    ("order", 0, 0, 10, 999, S),
    ("bulk_customers", 0b011, 3),  # two customers lose their rep
    ("bulk_locations", 0b101010, 2),
    ("invoice", 6),
    ("revert", 0),
    ("order", 1, 0, 11, 4321, S),
    ("order", 1, None, 17, 3131, S),
    ("order", 0, 1, 18, 4141, S),
    ("timezone", 2),  # Asia/Tokyo
    ("delete_location", 0),
    ("cancel", 0),
    ("revert", 0),
    ("bulk_customers", 0b111, 0),
    ("timezone", 3),  # Pacific/Chatham (+13:45 in summer)
    ("cancel", 2),
    ("customer_rep", 1, 3, "update"),
]


async def test_scripted_history_keeps_rollup_and_report_exact(api, tenant, database):
    world = await make_world(api, tenant)
    for step, operation in enumerate(SCRIPT):
        await apply(api, database, world, operation)
        await check(api, database, tenant, reports_too=step % 4 == 3)
    await check(api, database, tenant)
    # Something is really there, in several reps and days.
    rows = await maintained(database, tenant.company_id)
    assert len(rows) >= 3
    assert len({rep for _, rep in rows}) >= 2


# ----------------------------------------------------------------------
# Random histories
# ----------------------------------------------------------------------

cents = st.integers(min_value=1, max_value=50_000)
small = st.integers(min_value=0, max_value=30)
operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("order"),
            small,
            st.one_of(st.none(), small),
            small,
            cents,
            st.sampled_from([D, S, S, X]),
        ),
        st.tuples(st.just("invoice"), small),
        st.tuples(st.just("cancel"), small),
        st.tuples(st.just("customer_rep"), small, small, st.sampled_from(["update", "set"])),
        st.tuples(st.just("location_rep"), small, small),
        st.tuples(st.just("delete_location"), small),
        st.tuples(st.just("bulk_customers"), st.integers(0, 7), small),
        st.tuples(st.just("bulk_locations"), st.integers(0, 63), small),
        st.tuples(st.just("revert"), small),
        st.tuples(st.just("timezone"), small),
    ),
    min_size=1,
    max_size=20,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=operations)
async def test_random_histories_keep_rollup_and_report_exact(api, database, history):
    tenant = await api.new_tenant()
    world = await make_world(api, tenant)
    for operation in history:
        await apply(api, database, world, operation)
    await check(api, database, tenant)


# ----------------------------------------------------------------------
# Time zone, tenants, visibility, migration, concurrency
# ----------------------------------------------------------------------


async def test_time_zone_change_recounts_days(api, tenant, other_tenant, database):
    """Orders just after midnight UTC belong to the previous day (and month) in New York."""
    customer = await make_customer(api, tenant, "Acme", salesRepId=tenant.rep.global_id)
    for placed in ("2026-01-31T23:30:00", "2026-02-01T02:00:00", "2026-02-01T06:00:00"):
        moment = datetime.fromisoformat(placed).replace(tzinfo=UTC)
        await make_order(api, tenant, customer, 10000, placed_at=moment)
    token = tenant.admin.token
    feb = {"from": "2026-02-01", "to": "2026-02-28"}
    by_month = await report(api, token, ["MONTH"], {"from": None, "to": None})
    assert [(r["period"], r["orderCount"]) for r in by_month["rows"]] == [
        ("2026-01-01", 1),
        ("2026-02-01", 2),
    ]
    assert (await report(api, token, [], feb))["totals"]["total"] == "200.00"
    other_before = await maintained(database, other_tenant.company_id)

    await api.mutate(COMPANY_UPDATE, {"input": {"timezone": "America/New_York"}}, token=token)
    by_month = await report(api, token, ["MONTH"], {"from": None, "to": None})
    assert [(r["period"], r["orderCount"]) for r in by_month["rows"]] == [
        ("2026-01-01", 2),
        ("2026-02-01", 1),
    ]
    assert (await report(api, token, [], feb))["totals"]["total"] == "100.00"
    assert await maintained(database, tenant.company_id) == {
        ("2026-01-31", tenant.rep.id): (2, 20000),
        ("2026-02-01", tenant.rep.id): (1, 10000),
    }
    await check(api, database, tenant)
    assert await maintained(database, other_tenant.company_id) == other_before


async def test_rollup_is_per_company(api, tenant, other_tenant, database):
    ours = await make_customer(api, tenant, "Ours", salesRepId=tenant.rep.global_id)
    theirs = await make_customer(api, other_tenant, "Theirs")
    at = datetime(2026, 2, 10, 12, tzinfo=UTC)
    await make_order(api, tenant, ours, 1500, placed_at=at)
    await make_order(api, other_tenant, theirs, 2500, placed_at=at)
    other_before = await maintained(database, other_tenant.company_id)
    assert other_before == {("2026-02-10", 0): (1, 2500)}
    # A rep change and a bulk update in our company leave theirs alone.
    await api.mutate(SET_REP, {"c": ours, "s": tenant.rep2.global_id}, token=tenant.admin.token)
    await api.mutate(
        CUSTOMERS_BULK,
        {"input": {"ids": [ours], "set": {"clearSalesRep": True}}},
        token=tenant.admin.token,
    )
    assert await maintained(database, other_tenant.company_id) == other_before
    assert await maintained(database, tenant.company_id) == {("2026-02-10", 0): (1, 1500)}
    mine = await report(api, tenant.admin.token, ["SALES_REP"], {"from": None, "to": None})
    yours = await report(api, other_tenant.admin.token, ["SALES_REP"], {"from": None, "to": None})
    assert [(r["salesRep"], r["total"]) for r in mine["rows"]] == [(None, "15.00")]
    assert [(r["salesRep"], r["total"]) for r in yours["rows"]] == [(None, "25.00")]


async def test_rep_limited_to_their_book_gets_the_scan_figures(api, tenant, database):
    """The rollup can't tell a book apart: a book-limited rep's report scans their orders.

    Rep's book: Mine (their customer, one location overriding to rep2) and Shared (rep2's
    customer with a location overriding to rep). Other (rep2's, no override) is not in it.
    """
    rep, rep2 = tenant.rep.global_id, tenant.rep2.global_id
    mine = await make_customer(api, tenant, "Mine", salesRepId=rep)
    mine_branch = await make_location(api, tenant, mine, "Mine branch", salesRepId=rep2)
    shared = await make_customer(api, tenant, "Shared", salesRepId=rep2)
    shared_branch = await make_location(api, tenant, shared, "Shared branch", salesRepId=rep)
    other = await make_customer(api, tenant, "Other", salesRepId=rep2)
    at = datetime(2026, 2, 10, 12, tzinfo=UTC)
    await make_order(api, tenant, mine, 1000, placed_at=at)
    await make_order(api, tenant, mine, 2000, placed_at=at, location_gid=mine_branch)
    await make_order(api, tenant, shared, 4000, placed_at=at)
    await make_order(api, tenant, shared, 8000, placed_at=at, location_gid=shared_branch)
    await make_order(api, tenant, other, 16000, placed_at=at)
    await api.mutate(
        COMPANY_UPDATE, {"input": {"repVisibility": "ASSIGNED_ONLY"}}, token=tenant.admin.token
    )
    dates = {"from": "2026-02-01", "to": "2026-02-28"}
    for group_by in GROUPINGS:
        limited = await report(api, tenant.rep.token, group_by, dates)
        assert limited == await scanned_report(api, tenant.rep.token, group_by, dates)
    by_rep = await report(api, tenant.rep.token, ["SALES_REP"], dates)
    assert [(r["salesRep"]["id"], r["orderCount"], r["total"]) for r in by_rep["rows"]] == [
        (rep, 2, "90.00"),  # Mine's own orders and Shared's overriding branch
        (rep2, 2, "60.00"),  # Shared's own orders and Mine's overriding branch
    ]
    assert by_rep["totals"] == {"orderCount": 4, "total": "150.00", "averageOrderTotal": "37.50"}
    # The company-wide view (admin) reads the rollup and sees every order.
    everyone = await report(api, tenant.admin.token, ["SALES_REP"], dates)
    assert [(r["salesRep"]["id"], r["total"]) for r in everyone["rows"]] == [
        (rep2, "220.00"),
        (rep, "90.00"),
    ]


async def test_migration_backfill_equals_the_rebuild(api, tenant, database):
    """0004's INSERT ... SELECT gives the company the rows rebuild_sales_rollup gives."""
    await set_zone(api, tenant, "America/New_York")
    world = await make_world(api, tenant)
    for operation in SCRIPT[1:9]:
        await apply(api, database, world, operation)
    expected = await rebuilt(database, tenant.company_id)
    assert expected == await maintained(database, tenant.company_id)
    path = Path(__file__).parent.parent / "db/migrations/versions/0004_sales_rollup.py"
    spec = importlib.util.spec_from_file_location("migration_0004", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    async with database.transaction(None) as session:
        await session.execute(delete(DailySales).where(DailySales.company_id == tenant.company_id))
        if database.sqlite:
            connection = await session.connection()
            await connection.run_sync(migration.register_sqlite_functions)
        await session.execute(text(migration.backfill_sql(database.dialect, tenant.company_id)))
    assert await maintained(database, tenant.company_id) == expected


async def set_zone(api, tenant: Tenant, zone: str) -> None:
    await api.mutate(COMPANY_UPDATE, {"input": {"timezone": zone}}, token=tenant.admin.token)


async def test_concurrent_invoicing_loses_no_update(api, tenant, database):
    """Twenty drafts of five customers invoiced at once, all on one day and two reps."""
    at = datetime(2026, 2, 10, 12, tzinfo=UTC)
    customers = [
        await make_customer(api, tenant, f"C{n}", salesRepId=tenant.rep.global_id) for n in range(3)
    ] + [await make_customer(api, tenant, f"D{n}") for n in range(2)]
    drafts = [
        await make_order(api, tenant, customers[n % 5], 100 + n, status=D, placed_at=at)
        for n in range(20)
    ]
    await asyncio.gather(*(invoice_order(api, tenant, order) for order in drafts))
    assert await maintained(database, tenant.company_id) == {
        ("2026-02-10", tenant.rep.id): (12, sum(100 + n for n in range(20) if n % 5 < 3)),
        ("2026-02-10", 0): (8, sum(100 + n for n in range(20) if n % 5 >= 3)),
    }
    # Cancelling and reassigning at the same time as invoicing more.
    more = [
        await make_order(api, tenant, customers[n % 5], 1000 + n, status=D, placed_at=at)
        for n in range(10)
    ]
    await asyncio.gather(
        *(invoice_order(api, tenant, order) for order in more),
        *(cancel_order(api, tenant, order) for order in drafts[:5]),
        api.mutate(SET_REP, {"c": customers[0], "s": None}, token=tenant.admin.token),
        api.mutate(
            CUSTOMERS_BULK,
            {"input": {"ids": customers[3:], "set": {"salesRepId": tenant.rep2.global_id}}},
            token=tenant.admin.token,
        ),
    )
    await check(api, database, tenant)
