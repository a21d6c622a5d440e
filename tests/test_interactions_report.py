"""The interactions report: GROUP BY in the database, periods in the company's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event, insert, text, update

from db.enums import InteractionKind
from db.models import Company, Interaction
from tests.relationship_support import make_customers, pk

REPORT = """query($groupBy: [InteractionReportGroup!]!, $filter: InteractionFilter,
                  $silent: Boolean! = false) {
  interactionsReport(groupBy: $groupBy, filter: $filter, includeSilentStaff: $silent) {
    staff { name } customer { name } kind period count lastInteractionAt } }"""


async def add(database, tenant, customer: str, author_id: int, kind: str, at: datetime) -> None:
    async with database.transaction(None) as session:
        session.add(
            Interaction(
                company_id=tenant.company_id,
                customer_id=pk(customer),
                author_id=author_id,
                kind=InteractionKind(kind),
                body=f"{kind} at {at.isoformat()}",
                created_at=at,
                updated_at=at,
            )
        )


async def set_timezone(database, tenant, zone: str) -> None:
    async with database.transaction(None) as session:
        await session.execute(
            update(Company).where(Company.id == tenant.company_id).values(timezone=zone)
        )


def compact(rows: list[dict]) -> list[tuple]:
    return [
        (
            row["staff"] and row["staff"]["name"].split()[0],
            row["customer"] and row["customer"]["name"],
            row["kind"],
            row["period"],
            row["count"],
            row["lastInteractionAt"],
        )
        for row in rows
    ]


async def test_counts_by_staff_customer_and_kind(api, tenant, other_tenant, database):
    acme, bolt = await make_customers(database, tenant, "Acme", "Bolt")
    (foreign,) = await make_customers(database, other_tenant, "Foreign")
    t = datetime(2026, 4, 6, 15, tzinfo=UTC)
    await add(database, tenant, acme, tenant.rep.id, "CALL", t)
    await add(database, tenant, acme, tenant.rep.id, "CALL", t + timedelta(hours=1))
    await add(database, tenant, bolt, tenant.rep.id, "VISIT", t + timedelta(hours=2))
    await add(database, tenant, bolt, tenant.rep2.id, "CALL", t + timedelta(hours=3))
    await add(database, other_tenant, foreign, other_tenant.rep.id, "CALL", t)

    data = await api.ok(REPORT, {"groupBy": ["STAFF"]}, token=tenant.rep.token)
    assert compact(data["interactionsReport"]) == [
        ("Rep", None, None, None, 3, (t + timedelta(hours=2)).isoformat()),
        ("Rep2", None, None, None, 1, (t + timedelta(hours=3)).isoformat()),
    ]
    data = await api.ok(REPORT, {"groupBy": ["CUSTOMER", "KIND"]}, token=tenant.manager.token)
    assert compact(data["interactionsReport"]) == [
        (None, "Acme", "CALL", None, 2, (t + timedelta(hours=1)).isoformat()),
        (None, "Bolt", "CALL", None, 1, (t + timedelta(hours=3)).isoformat()),
        (None, "Bolt", "VISIT", None, 1, (t + timedelta(hours=2)).isoformat()),
    ]
    data = await api.ok(
        REPORT,
        {"groupBy": ["STAFF", "CUSTOMER"], "filter": {"kinds": ["CALL"], "customerIds": [bolt]}},
        token=tenant.rep.token,
    )
    assert compact(data["interactionsReport"]) == [
        ("Rep2", "Bolt", None, None, 1, (t + timedelta(hours=3)).isoformat())
    ]
    data = await api.ok(REPORT, {"groupBy": []}, token=tenant.rep.token)
    assert compact(data["interactionsReport"]) == [
        (None, None, None, None, 4, (t + timedelta(hours=3)).isoformat())
    ]


async def test_periods_follow_the_company_time_zone(api, tenant, database):
    await set_timezone(database, tenant, "America/Los_Angeles")
    (acme,) = await make_customers(database, tenant, "Acme")
    # 2026-03-02 is a Monday. 06:30 UTC on Monday is still Sunday evening in Los Angeles.
    moments = [
        datetime(2026, 3, 2, 6, 30, tzinfo=UTC),  # LA: Sun 1 Mar, week of Mon 23 Feb
        datetime(2026, 3, 2, 9, 0, tzinfo=UTC),  # LA: Mon 2 Mar 01:00
        datetime(2026, 3, 3, 20, 0, tzinfo=UTC),  # LA: Tue 3 Mar
        datetime(2026, 3, 1, 7, 59, tzinfo=UTC),  # LA: Sat 28 Feb 23:59
        datetime(2026, 4, 1, 6, 59, tzinfo=UTC),  # LA: Tue 31 Mar 23:59 (PDT, UTC-7)
    ]
    for moment in moments:
        await add(database, tenant, acme, tenant.rep.id, "CALL", moment)

    async def periods(group: str, zone_filter: dict | None = None) -> list[tuple[str, int]]:
        data = await api.ok(
            REPORT, {"groupBy": [group], "filter": zone_filter}, token=tenant.rep.token
        )
        return [(row["period"], row["count"]) for row in data["interactionsReport"]]

    assert await periods("DAY") == [
        ("2026-02-28", 1),
        ("2026-03-01", 1),
        ("2026-03-02", 1),
        ("2026-03-03", 1),
        ("2026-03-31", 1),
    ]
    assert await periods("WEEK") == [("2026-02-23", 2), ("2026-03-02", 2), ("2026-03-30", 1)]
    assert await periods("MONTH") == [("2026-02-01", 1), ("2026-03-01", 4)]
    window = {"from": "2026-03-02T08:00:00+00:00", "to": "2026-04-01T00:00:00+00:00"}
    assert await periods("MONTH", window) == [("2026-03-01", 2)]

    await set_timezone(database, tenant, "UTC")
    assert await periods("MONTH") == [("2026-03-01", 4), ("2026-04-01", 1)]


async def test_periods_across_dst_changes_inside_the_range(api, tenant, database):
    """Europe/Berlin changes offset on 29 March (+1 → +2) and 25 October 2026 (back):
    each moment below lands on another day, week or month at the wrong offset."""
    await set_timezone(database, tenant, "Europe/Berlin")
    (acme,) = await make_customers(database, tenant, "Acme")
    for month, day, hour in [
        (1, 31, 23),  # Berlin Sun 1 Feb 00:30 (CET)
        (3, 28, 23),  # Sun 29 Mar 00:30 (CET, the change is at 01:00 UTC)
        (3, 29, 22),  # Mon 30 Mar 00:30 (CEST)
        (3, 31, 22),  # Wed 1 Apr 00:30 (CEST)
        (10, 24, 22),  # Sun 25 Oct 00:30 (CEST)
        (10, 25, 22),  # Sun 25 Oct 23:30 (CET again)
        (10, 31, 22),  # Sat 31 Oct 23:30 (CET)
    ]:
        await add(
            database,
            tenant,
            acme,
            tenant.rep.id,
            "CALL",
            datetime(2026, month, day, hour, 30, tzinfo=UTC),
        )

    async def periods(group: str, window: dict | None) -> list[tuple[str, int]]:
        data = await api.ok(
            REPORT, {"groupBy": [group, "STAFF"], "filter": window}, token=tenant.rep.token
        )
        return [(row["period"], row["count"]) for row in data["interactionsReport"]]

    year = {"from": "2026-01-01T00:00:00+00:00", "to": "2027-01-01T00:00:00+00:00"}
    for window in (year, None, {"from": year["from"]}, {"to": year["to"]}):
        assert await periods("DAY", window) == [
            ("2026-02-01", 1),
            ("2026-03-29", 1),
            ("2026-03-30", 1),
            ("2026-04-01", 1),
            ("2026-10-25", 2),
            ("2026-10-31", 1),
        ], window
        assert await periods("WEEK", window) == [
            ("2026-01-26", 1),
            ("2026-03-23", 1),
            ("2026-03-30", 2),
            ("2026-10-19", 2),
            ("2026-10-26", 1),
        ], window
        assert await periods("MONTH", window) == [
            ("2026-02-01", 1),
            ("2026-03-01", 2),
            ("2026-04-01", 1),
            ("2026-10-01", 3),
        ], window
    # Bounds that cut the log: only what lies between them, still at the right offsets.
    autumn = {"from": "2026-10-25T00:00:00+00:00", "to": "2026-10-31T22:30:00+00:00"}
    assert await periods("DAY", autumn) == [("2026-10-25", 1)]
    late = {"from": "2026-10-25T00:00:00+00:00"}
    assert await periods("WEEK", late) == [("2026-10-19", 1), ("2026-10-26", 1)]


async def test_rows_sort_by_period_then_count(api, tenant, database):
    (acme,) = await make_customers(database, tenant, "Acme")
    day1 = datetime(2026, 6, 1, 12, tzinfo=UTC)
    day2 = day1 + timedelta(days=1)
    for author, at in [
        (tenant.rep.id, day2),
        (tenant.rep2.id, day1),
        (tenant.rep.id, day1),
        (tenant.rep2.id, day2),
        (tenant.rep2.id, day2 + timedelta(hours=1)),
        (tenant.manager.id, day1),
        (tenant.manager.id, day1 + timedelta(hours=1)),
    ]:
        await add(database, tenant, acme, author, "EMAIL", at)
    data = await api.ok(REPORT, {"groupBy": ["DAY", "STAFF"]}, token=tenant.rep.token)
    assert [
        (r["period"], r["staff"]["name"].split()[0], r["count"]) for r in data["interactionsReport"]
    ] == [
        ("2026-06-01", "Manager", 2),
        ("2026-06-01", "Rep", 1),
        ("2026-06-01", "Rep2", 1),
        ("2026-06-02", "Rep2", 2),
        ("2026-06-02", "Rep", 1),
    ]


async def test_silent_staff_appear_with_zero(api, tenant, database):
    (acme,) = await make_customers(database, tenant, "Acme")
    in_range = datetime(2026, 7, 8, 10, tzinfo=UTC)
    await add(database, tenant, acme, tenant.rep.id, "CALL", in_range)
    await add(database, tenant, acme, tenant.rep2.id, "CALL", in_range - timedelta(days=30))
    await api.mutate(
        """mutation($id: ID!) { staffUpdate(id: $id, input: {active: false}) {
             userErrors { code } } }""",
        {"id": tenant.manager.global_id},
        token=tenant.admin.token,
    )
    week = {"from": "2026-07-06T00:00:00+00:00", "to": "2026-07-13T00:00:00+00:00"}
    plain = await api.ok(REPORT, {"groupBy": ["STAFF"], "filter": week}, token=tenant.rep.token)
    assert compact(plain["interactionsReport"]) == [
        ("Rep", None, None, None, 1, in_range.isoformat())
    ]
    data = await api.ok(
        REPORT, {"groupBy": ["STAFF"], "filter": week, "silent": True}, token=tenant.rep.token
    )
    # The deactivated manager is not "quiet"; active admin and rep2 are.
    assert compact(data["interactionsReport"]) == [
        ("Rep", None, None, None, 1, in_range.isoformat()),
        ("Admin", None, None, None, 0, None),
        ("Rep2", None, None, None, 0, None),
    ]
    by_week = await api.ok(
        REPORT,
        {
            "groupBy": ["WEEK", "STAFF"],
            "filter": {**week, "staffIds": [tenant.rep2.global_id]},
            "silent": True,
        },
        token=tenant.rep.token,
    )
    assert compact(by_week["interactionsReport"]) == [("Rep2", None, None, None, 0, None)]
    # Without STAFF grouping the flag changes nothing.
    kinds = await api.ok(
        REPORT, {"groupBy": ["KIND"], "filter": week, "silent": True}, token=tenant.rep.token
    )
    assert compact(kinds["interactionsReport"]) == [
        (None, None, "CALL", None, 1, in_range.isoformat())
    ]


async def test_report_input_errors(api, tenant):
    body = await api.gql(REPORT, {"groupBy": ["DAY", "WEEK"]}, token=tenant.rep.token)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["message"] == "Group by at most one of DAY, WEEK and MONTH."
    body = await api.gql(
        REPORT, {"groupBy": ["STAFF"], "filter": {"customerIds": ["x"]}}, token=tenant.rep.token
    )
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ID"
    body = await api.gql(REPORT, {"groupBy": ["STAFF"]})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_report_rows_load_staff_and_customers_in_batches(api, tenant, database):
    async def statements(count: int) -> int:
        ids = await make_customers(database, tenant, *(f"Batch {count}-{n}" for n in range(count)))
        at = datetime(2026, 8, 1, tzinfo=UTC) + timedelta(days=count)
        for customer in ids:
            await add(database, tenant, customer, tenant.rep.id, "CALL", at)
        window = {"from": at.isoformat(), "to": (at + timedelta(days=1)).isoformat()}
        data = await api.ok(
            REPORT,
            {"groupBy": ["STAFF", "CUSTOMER", "DAY"], "filter": window},
            token=tenant.rep.token,
        )
        assert len(data["interactionsReport"]) == count
        return api.last_statements

    assert await statements(10) == await statements(60)


async def test_report_statements_use_the_time_indexes(api, tenant, database):
    """EXPLAIN the SQL the report really runs: (company, created_at) for a date range,
    (company, author, created_at) for chosen staff, and on SQLite for staff and periods."""
    captured: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if "GROUP BY" in statement and "interactions" in statement:
            captured.append((statement, parameters))

    if not database.sqlite:
        # PostgreSQL plans by statistics: give it a year of a busy company's log to plan for.
        customers = await make_customers(database, tenant, *(f"Busy {n}" for n in range(40)))
        start = datetime(2026, 1, 1, tzinfo=UTC)
        authors = [tenant.rep.id, tenant.rep2.id, tenant.manager.id, tenant.admin.id]
        async with database.transaction(None) as session:
            await session.execute(
                insert(Interaction),
                [
                    {
                        "company_id": tenant.company_id,
                        "customer_id": pk(customers[n % 40]),
                        "author_id": authors[n % 4],
                        "kind": InteractionKind.CALL,
                        "body": "call",
                        "created_at": start + timedelta(hours=3 * n),
                        "updated_at": start,
                    }
                    for n in range(2_000)
                ],
            )
            await session.execute(text("ANALYZE interactions"))
    year = {"from": "2026-01-01T00:00:00+00:00", "to": "2027-01-01T00:00:00+00:00"}
    event.listen(database.engine.sync_engine, "before_cursor_execute", capture)
    try:
        await api.ok(REPORT, {"groupBy": ["MONTH", "KIND"], "filter": year}, token=tenant.rep.token)
        await api.ok(
            REPORT,
            {"groupBy": ["STAFF"], "filter": {**year, "staffIds": [tenant.rep.global_id]}},
            token=tenant.rep.token,
        )
        await api.ok(
            REPORT, {"groupBy": ["STAFF", "MONTH"], "filter": year}, token=tenant.rep.token
        )
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", capture)
    assert len(captured) == 3

    plans = []
    async with database.engine.connect() as connection:
        if not database.sqlite:
            # Here one company fills the table, so a full scan is rightly cheapest; at scale
            # it is a sliver of it. Ask which index serves the statement when one must.
            await connection.exec_driver_sql("SET enable_seqscan = off")
        prefix = "EXPLAIN QUERY PLAN " if database.sqlite else "EXPLAIN "
        for statement, parameters in captured:
            rows = (await connection.exec_driver_sql(prefix + statement, parameters)).all()
            plans.append(" ".join(str(value) for row in rows for value in row))
        await connection.rollback()
    if database.sqlite:
        assert "ix_interactions_company_created" in plans[0], plans[0]
    else:
        # PostgreSQL (skip scans since 18) may serve a company's date range from either
        # index led by company_id; what matters is that no table scan reads every company.
        assert "Seq Scan" not in plans[0], plans[0]
        assert "ix_interactions_company_" in plans[0], plans[0]
    assert "ix_interactions_company_author_created" in plans[1], plans[1]
    if database.sqlite:
        # By staff and period: the (company, author, created_at) index holds every column
        # read, so SQLite reads it per staff member rather than each row of the table.
        assert "COVERING INDEX ix_interactions_company_author_created" in plans[2], plans[2]
    else:
        assert "Seq Scan on interactions" not in plans[2], plans[2]


async def test_oversized_reports_ask_for_a_narrower_filter(api, tenant, database, monkeypatch):
    import resolvers.interactions_report

    monkeypatch.setattr(resolvers.interactions_report, "MAX_REPORT_ROWS", 2)
    customers = await make_customers(database, tenant, "One", "Two", "Three")
    at = datetime(2026, 9, 1, tzinfo=UTC)
    for customer in customers:
        await add(database, tenant, customer, tenant.rep.id, "CALL", at)
    only_mine = {"customerIds": customers}
    fits = await api.ok(
        REPORT,
        {"groupBy": ["CUSTOMER"], "filter": {"customerIds": customers[:2]}},
        token=tenant.rep.token,
    )
    assert len(fits["interactionsReport"]) == 2
    body = await api.gql(
        REPORT, {"groupBy": ["CUSTOMER"], "filter": only_mine}, token=tenant.rep.token
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["message"] == (
        "The report has more than 2 rows; narrow the filter or group by fewer things."
    )


async def test_reports_are_planned_for_their_values_on_postgresql(api, tenant, database):
    """A report's range decides its plan (a third of a table: scan it; a day: use the
    index), so on PostgreSQL a report asks for plans made with its values, not the generic
    plan a prepared statement falls back to after five runs."""
    seen: list[str] = []

    def capture(_conn, _cursor, statement, *_args) -> None:
        seen.append(" ".join(statement.split()))

    query = """{ interactionsReport(filter: {from: "2026-01-01T00:00:00Z"}, groupBy: [STAFF, MONTH])
        { count } transactionsReport(groupBy: [KIND]) { totals { count } }
        salesReport(groupBy: [CUSTOMER]) { totals { orderCount } } }"""
    event.listen(database.engine.sync_engine, "before_cursor_execute", capture)
    try:
        await api.ok(query, token=tenant.manager.token)
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", capture)
    settings = [s for s in seen if s.startswith("SET LOCAL plan_cache_mode")]
    if database.sqlite:
        assert settings == []
    else:
        assert settings == ["SET LOCAL plan_cache_mode = force_custom_plan"]  # once a request
        first_report = next(i for i, s in enumerate(seen) if "GROUP BY" in s)
        assert seen.index(settings[0]) < first_report
