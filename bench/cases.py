"""The benchmark cases: a GraphQL request each, and its floor.

A case is measured only once its query validates against the schema as built;
until then the suite prints "n/a (not built yet)". Each floor returns the same
JSON document as the GraphQL `data` (the suite compares them and says so).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bench.floor import Raw, encode_id, iso, money, orjson
from resolvers.credentials import hash_token


@dataclass
class Fixture:
    """The sample the cases ask about, picked from the seeded company."""

    company_id: int
    token: str
    admin_id: int
    customer_id: int  # a customer with a typical history
    rep_id: int  # the rep with the most customers
    other_rep_id: int
    year: int  # the last full calendar year of data
    fragment: str  # a 3-letter search fragment
    bulk_ids: list[int]  # customers for the bulk update (10,000 at most)
    today: date
    orders: int


Floor = Callable[[Raw, Fixture, dict[str, Any]], Awaitable[bytes]]


@dataclass
class Case:
    key: str
    title: str
    query: str
    variables: Callable[[Fixture], dict[str, Any]]
    floor: Floor | None = None
    # Variables for page size n, for the statement-count check (cases 1 and 2).
    sized: Callable[[Fixture, int], dict[str, Any]] | None = None
    mutation: bool = False
    # The part of `data` the floor reproduces (mutations: the counts only).
    answer: Callable[[dict[str, Any]], Any] = field(default=lambda data: data)


# ---------------------------------------------------------------- me


ME = "query Me { me { id name email role active } }"


async def floor_me(raw: Raw, fx: Fixture, _variables: dict[str, Any]) -> bytes:
    now = datetime.now(UTC)
    rows = await raw.fetch(
        "SELECT s.id, s.name, s.email, s.role, s.active FROM auth_tokens t "
        "JOIN staff s ON s.id = t.staff_id WHERE t.token_hash = ? AND t.revoked_at IS NULL "
        "AND t.expires_at > ? AND s.active",
        hash_token(fx.token),
        now if raw.postgres else now.replace(tzinfo=None).isoformat(sep=" "),
    )
    (staff_id, name, email, role, active) = rows[0]
    return orjson.dumps(
        {
            "me": {
                "id": encode_id("Staff", staff_id),
                "name": name,
                "email": email,
                "role": role,
                "active": bool(active),
            }
        }
    )


# ---------------------------------------------------------------- case 1: the customer list

CUSTOMER_LIST = """
query CustomerList($first: Int!, $sort: [CustomerSort!], $filter: CustomerFilter) {
  customers(first: $first, sort: $sort, filter: $filter) {
    totalCount
    pageInfo { hasNextPage }
    nodes {
      id name kind status billingStatus email phone
      salesRep { id name }
      orderCount totalSales averageOrderTotal lastOrderAt engagement
      balance { totalInvoiced totalPaid currentBalance overdueAmount }
      primaryContact { id name email phone }
      locations { nodes { id name effectiveSalesRep { id name } } }
    }
  }
}"""

LIST_ORDER = {
    "TOTAL_SALES": ("c.total_sales_cents", True),
    "NAME": ("c.name_key", False),
}


def list_variables(sort: str, direction: str, by_rep: bool) -> Callable[[Fixture, int], dict]:
    def variables(fx: Fixture, first: int = 100) -> dict[str, Any]:
        out: dict[str, Any] = {"first": first, "sort": [{"field": sort, "direction": direction}]}
        if by_rep:
            out["filter"] = {"salesRepIds": [encode_id("Staff", fx.rep_id)]}
        return out

    return variables


def average(total_cents: int, count: int) -> str | None:
    if not count:
        return None
    value = (Decimal(total_cents) / count / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return str(value)


def engagement(last_order_at: Any, now: datetime) -> str:
    if last_order_at is None:
        return "NEVER_ORDERED"
    if isinstance(last_order_at, str):
        last_order_at = datetime.fromisoformat(last_order_at).replace(tzinfo=UTC)
    return "ENGAGED" if last_order_at >= now - timedelta(days=365) else "LAPSED"


def staff_ref(staff_id: int | None, name: str | None) -> dict[str, Any] | None:
    return None if staff_id is None else {"id": encode_id("Staff", staff_id), "name": name}


def make_list_floor(sort: str, direction: str, by_rep: bool) -> Floor:
    column, _ = LIST_ORDER[sort]
    descending = direction == "DESC"

    async def floor(raw: Raw, fx: Fixture, variables: dict[str, Any]) -> bytes:
        first = variables["first"]
        where = "c.company_id = ?"
        params: list[Any] = [fx.company_id]
        if by_rep:
            where += " AND c.sales_rep_id = ?"
            params.append(fx.rep_id)
        order = "DESC" if descending else "ASC"
        rows = await raw.fetch(
            "SELECT c.id, c.name, c.kind, c.status, c.billing_status, c.email, c.phone, "
            "c.sales_rep_id, s.name, c.order_count, c.total_sales_cents, c.last_order_at, "
            "c.total_paid_cents, c.balance_cents, p.id, p.name, p.email, p.phone "
            "FROM customers c LEFT JOIN staff s ON s.id = c.sales_rep_id "
            "LEFT JOIN contacts p ON p.customer_id = c.id AND p.is_primary "
            f"WHERE {where} ORDER BY {column} {order}, c.id {order} LIMIT ?",
            *params,
            first + 1,
        )
        (total,) = (await raw.fetch(f"SELECT count(*) FROM customers c WHERE {where}", *params))[0]
        page = rows[:first]
        ids = raw.values([row[0] for row in page])
        locations: dict[int, list[dict[str, Any]]] = {}
        for customer_id, location_id, name, rep_id, rep_name in await raw.fetch(
            "SELECT l.customer_id, l.id, l.name, coalesce(l.sales_rep_id, c.sales_rep_id), s.name "
            "FROM locations l JOIN customers c ON c.id = l.customer_id "
            "LEFT JOIN staff s ON s.id = coalesce(l.sales_rep_id, c.sales_rep_id) "
            f"WHERE l.customer_id IN ({raw.in_list()}) ORDER BY l.customer_id, l.name_key, l.id",
            ids,
        ):
            locations.setdefault(customer_id, []).append(
                {
                    "id": encode_id("Location", location_id),
                    "name": name,
                    "effectiveSalesRep": staff_ref(rep_id, rep_name),
                }
            )
        today = fx.today if raw.postgres else fx.today.isoformat()
        overdue: dict[int, int] = dict(
            await raw.fetch(  # type: ignore[arg-type]  # (customer_id, sum) pairs
                "SELECT customer_id, sum(balance_due_cents) FROM orders "
                f"WHERE customer_id IN ({raw.in_list()}) AND balance_due_cents > 0 "
                "AND due_date < ? GROUP BY customer_id",
                ids,
                today,
            )
        )
        now = datetime.now(UTC)
        nodes = [
            {
                "id": encode_id("Customer", r[0]),
                "name": r[1],
                "kind": r[2],
                "status": r[3],
                "billingStatus": r[4],
                "email": r[5],
                "phone": r[6],
                "salesRep": staff_ref(r[7], r[8]),
                "orderCount": r[9],
                "totalSales": money(r[10]),
                "averageOrderTotal": average(r[10], r[9]),
                "lastOrderAt": iso(r[11]),
                "engagement": engagement(r[11], now),
                "balance": {
                    "totalInvoiced": money(r[10]),
                    "totalPaid": money(r[12]),
                    "currentBalance": money(r[13]),
                    "overdueAmount": money(overdue.get(r[0], 0)),
                },
                "primaryContact": None
                if r[14] is None
                else {
                    "id": encode_id("Contact", r[14]),
                    "name": r[15],
                    "email": r[16],
                    "phone": r[17],
                },
                "locations": {"nodes": locations.get(r[0], [])},
            }
            for r in page
        ]
        return orjson.dumps(
            {
                "customers": {
                    "totalCount": total,
                    "pageInfo": {"hasNextPage": len(rows) > first},
                    "nodes": nodes,
                }
            }
        )

    return floor


def list_case(key: str, title: str, sort: str, direction: str, by_rep: bool) -> Case:
    sized = list_variables(sort, direction, by_rep)
    return Case(
        key,
        title,
        CUSTOMER_LIST,
        lambda fx: sized(fx, 100),
        make_list_floor(sort, direction, by_rep),
        sized=sized,
    )


# ---------------------------------------------------------------- case 2: the customer page

CUSTOMER_DETAIL = """
query CustomerDetail($id: ID!, $n: Int!) {
  customer(id: $id) {
    id name kind status billingStatus email phone website discountPercent version
    paymentTerms { id name dueInDays }
    salesRep { id name }
    billingAddress { line1 line2 city region postalCode country }
    balance { totalInvoiced totalPaid currentBalance overdueAmount }
    locations { nodes { id name phone effectiveSalesRep { id name } orderCount totalSales } }
    contacts { id name title email phone isPrimary }
    interactions(first: $n) { nodes { id kind body createdAt author { id name } } }
    orders(first: $n) {
      nodes {
        id number status placedAt total amountPaid balanceDue
        lines { sku description quantity unitPrice lineTotal }
      }
    }
    transactions(first: $n) {
      nodes { id kind amount method reference occurredAt allocations { amount } }
    }
  }
}"""


def detail_variables(fx: Fixture, n: int = 20) -> dict[str, Any]:
    return {"id": encode_id("Customer", fx.customer_id), "n": n}


async def floor_detail(raw: Raw, fx: Fixture, variables: dict[str, Any]) -> bytes:
    pk, n = fx.customer_id, variables["n"]
    today = fx.today if raw.postgres else fx.today.isoformat()
    (c,) = await raw.fetch(
        "SELECT c.id, c.name, c.kind, c.status, c.billing_status, c.email, c.phone, c.website, "
        "c.discount_bp, c.version, t.id, t.name, t.due_in_days, c.sales_rep_id, s.name, "
        "c.billing_line1, c.billing_line2, c.billing_city, c.billing_region, "
        "c.billing_postal_code, c.billing_country, c.total_sales_cents, c.total_paid_cents, "
        "c.balance_cents, (SELECT coalesce(sum(o.balance_due_cents), 0) FROM orders o "
        "WHERE o.customer_id = c.id AND o.balance_due_cents > 0 AND o.due_date < ?) "
        "FROM customers c LEFT JOIN payment_terms t ON t.id = c.payment_terms_id "
        "LEFT JOIN staff s ON s.id = c.sales_rep_id WHERE c.id = ? AND c.company_id = ?",
        today,
        pk,
        fx.company_id,
    )
    locations = await raw.fetch(
        "SELECT l.id, l.name, l.phone, coalesce(l.sales_rep_id, c.sales_rep_id), s.name, "
        "l.order_count, l.total_sales_cents FROM locations l "
        "JOIN customers c ON c.id = l.customer_id "
        "LEFT JOIN staff s ON s.id = coalesce(l.sales_rep_id, c.sales_rep_id) "
        "WHERE l.customer_id = ? ORDER BY l.name_key, l.id",
        pk,
    )
    contacts = await raw.fetch(
        "SELECT id, name, title, email, phone, is_primary FROM contacts WHERE customer_id = ? "
        "ORDER BY is_primary DESC, created_at, id",
        pk,
    )
    interactions = await raw.fetch(
        "SELECT i.id, i.kind, i.body, i.created_at, i.author_id, s.name FROM interactions i "
        "JOIN staff s ON s.id = i.author_id WHERE i.customer_id = ? "
        "ORDER BY i.created_at DESC, i.id DESC LIMIT ?",
        pk,
        n,
    )
    orders = await raw.fetch(
        "SELECT id, number, status, placed_at, total_cents, paid_cents, balance_due_cents "
        "FROM orders WHERE customer_id = ? ORDER BY placed_at DESC, id DESC LIMIT ?",
        pk,
        n,
    )
    lines: dict[int, list[dict[str, Any]]] = {}
    for order_id, sku, description, quantity, unit, total in await raw.fetch(
        "SELECT order_id, sku, description, quantity, unit_price_cents, line_total_cents "
        f"FROM order_lines WHERE order_id IN ({raw.in_list()}) ORDER BY order_id, position",
        raw.values([row[0] for row in orders]),
    ):
        lines.setdefault(order_id, []).append(
            {
                "sku": sku,
                "description": description,
                "quantity": quantity,
                "unitPrice": money(unit),
                "lineTotal": money(total),
            }
        )
    transactions = await raw.fetch(
        "SELECT id, kind, amount_cents, method, reference, occurred_at FROM transactions "
        "WHERE customer_id = ? ORDER BY occurred_at DESC, id DESC LIMIT ?",
        pk,
        n,
    )
    allocations: dict[int, list[dict[str, Any]]] = {}
    for transaction_id, amount in await raw.fetch(
        "SELECT transaction_id, amount_cents FROM transaction_allocations "
        f"WHERE transaction_id IN ({raw.in_list()}) ORDER BY id",
        raw.values([row[0] for row in transactions]),
    ):
        allocations.setdefault(transaction_id, []).append({"amount": money(amount)})
    customer = {
        "id": encode_id("Customer", c[0]),
        "name": c[1],
        "kind": c[2],
        "status": c[3],
        "billingStatus": c[4],
        "email": c[5],
        "phone": c[6],
        "website": c[7],
        "discountPercent": money(c[8]),
        "version": c[9],
        "paymentTerms": None
        if c[10] is None
        else {"id": encode_id("PaymentTerms", c[10]), "name": c[11], "dueInDays": c[12]},
        "salesRep": staff_ref(c[13], c[14]),
        "billingAddress": None
        if not any(c[15:21])
        else dict(
            zip(
                ("line1", "line2", "city", "region", "postalCode", "country"), c[15:21], strict=True
            )
        ),
        "balance": {
            "totalInvoiced": money(c[21]),
            "totalPaid": money(c[22]),
            "currentBalance": money(c[23]),
            "overdueAmount": money(c[24]),
        },
        "locations": {
            "nodes": [
                {
                    "id": encode_id("Location", r[0]),
                    "name": r[1],
                    "phone": r[2],
                    "effectiveSalesRep": staff_ref(r[3], r[4]),
                    "orderCount": r[5],
                    "totalSales": money(r[6]),
                }
                for r in locations
            ]
        },
        "contacts": [
            {
                "id": encode_id("Contact", r[0]),
                "name": r[1],
                "title": r[2],
                "email": r[3],
                "phone": r[4],
                "isPrimary": bool(r[5]),
            }
            for r in contacts
        ],
        "interactions": {
            "nodes": [
                {
                    "id": encode_id("Interaction", r[0]),
                    "kind": r[1],
                    "body": r[2],
                    "createdAt": iso(r[3]),
                    "author": staff_ref(r[4], r[5]),
                }
                for r in interactions
            ]
        },
        "orders": {
            "nodes": [
                {
                    "id": encode_id("Order", r[0]),
                    "number": r[1],
                    "status": r[2],
                    "placedAt": iso(r[3]),
                    "total": money(r[4]),
                    "amountPaid": money(r[5]),
                    "balanceDue": money(r[6]),
                    "lines": lines.get(r[0], []),
                }
                for r in orders
            ]
        },
        "transactions": {
            "nodes": [
                {
                    "id": encode_id("Transaction", r[0]),
                    "kind": r[1],
                    "amount": money(r[2]),
                    "method": r[3],
                    "reference": r[4],
                    "occurredAt": iso(r[5]),
                    "allocations": allocations.get(r[0], []),
                }
                for r in transactions
            ]
        },
    }
    return orjson.dumps({"customer": customer})


# ---------------------------------------------------------------- case 4: search

SEARCH = """
query Search($query: String!, $first: Int) {
  search(query: $query, first: $first) {
    __typename
    ... on Customer { id name }
    ... on Contact { id name }
    ... on Location { id name }
    ... on Order { id number }
  }
}"""


LAST = "\U0010ffff"  # above any character: `key < term + LAST` means "starts with term"
SEARCH_KINDS = ("Customer", "Contact", "Location", "Order")


async def floor_search(raw: Raw, fx: Fixture, variables: dict[str, Any]) -> bytes:
    """One statement: each type's best `first` (customers: the prefix matches from the name
    index in code-point order, the other substring matches only when those are fewer),
    then the best `first` of all. SQLite reads the FTS5 trigram tables (migrations 0002,
    0003), PostgreSQL the pg_trgm indexes, on the very expressions they index.

    For the bench's fragment only: three letters or more, no digits (no order number or
    phone number to match).
    """
    from resolvers.text import fold

    term, first = fold(variables["query"].strip()), variables["first"]
    assert len(term) >= 3 and term.replace(" ", "").isalpha(), term
    pg = raw.postgres
    collate = ' COLLATE "C"' if pg else ""
    pattern, prefix, phrase = f"%{term}%", f"{term}%", f'"{term}"'
    parts: list[str] = []
    params: list[Any] = []

    def part(sql: str, *values: Any) -> None:
        parts.append(sql)
        params.extend(values)

    def fts(alias: str, table: str, match: str) -> tuple[str, str]:
        return f"{alias}.id IN (SELECT rowid FROM {table} WHERE {table} MATCH ?)", match

    key = f"c.name_key{collate}"
    starts = f"{key} >= ? AND {key} < ?"
    bounds = (term, term + LAST)
    part(
        "SELECT * FROM (SELECT 0 AS kind, c.id, c.name AS label, "
        f"CASE WHEN c.name_key = ? THEN 0 ELSE 1 END AS rank, {key} AS sort FROM customers c "
        f"WHERE c.company_id = ? AND {starts} ORDER BY {key}, c.id LIMIT ?) p",
        term,
        fx.company_id,
        *bounds,
        first,
    )
    # Substring matches only when the prefix matches are fewer than `first` (checked once,
    # before the index is read: inside the FTS subquery on SQLite).
    short = f"(SELECT count(*) FROM customers c WHERE c.company_id = ? AND {starts}) < ?"
    short_params = (fx.company_id, *bounds, first)
    if pg:
        part(
            f" UNION ALL SELECT * FROM (SELECT 0, c.id, c.name, 2, {key} FROM customers c "
            f"WHERE {short} AND c.name_key LIKE ? AND NOT ({starts}) AND c.company_id = ? "
            f"ORDER BY {key}, c.id LIMIT ?) s",
            *short_params,
            pattern,
            *bounds,
            fx.company_id,
            first,
        )
    else:
        part(
            f" UNION ALL SELECT * FROM (SELECT 0, c.id, c.name, 2, {key} FROM customers c "
            "WHERE c.id IN (SELECT rowid FROM customers_search_fts "
            f"WHERE {short} AND customers_search_fts MATCH ?) "
            f"AND NOT ({starts}) AND c.company_id = ? ORDER BY {key}, c.id LIMIT ?) s",
            *short_params,
            phrase,
            *bounds,
            fx.company_id,
            first,
        )
    # Contacts and locations: two ranked fields each; orders: the PO number.
    others = (
        (
            1,
            "contacts t",
            "t",
            ("coalesce(t.name_key, lower(t.name))", "lower(coalesce(t.email, ''))"),
            "contacts_search_fts",
        ),
        (
            2,
            "locations l",
            "l",
            (
                "coalesce(l.name_key, lower(l.name))",
                "coalesce(l.city_key, lower(coalesce(l.city, '')))",
            ),
            "locations_search_fts",
        ),
    )
    for kind, table, alias, (name, other), fts_table in others:
        match_params: tuple[str, ...]
        if pg:
            match, match_params = f"({name} LIKE ? OR {other} LIKE ?)", (pattern, pattern)
        else:
            condition, value = fts(alias, fts_table, phrase)
            match, match_params = condition, (value,)
        part(
            f" UNION ALL SELECT * FROM (SELECT {kind}, {alias}.id, {alias}.name, CASE "
            f"WHEN {name} = ? OR {other} = ? THEN 0 WHEN {name} LIKE ? OR {other} LIKE ? THEN 1 "
            f"ELSE 2 END AS rank, {name}{collate} AS sort FROM {table} "
            f"WHERE {alias}.company_id = ? AND {match} ORDER BY 4, 5, 2 LIMIT ?) k{kind}",
            term,
            term,
            prefix,
            prefix,
            fx.company_id,
            *match_params,
            first,
        )
    po = "lower(coalesce(o.po_number, ''))"
    if pg:
        order_match, order_value = "o.po_number ILIKE ?", pattern
    else:
        order_match, order_value = fts("o", "orders_search_fts", f"po_number : {phrase}")
    part(
        " UNION ALL SELECT * FROM (SELECT 3, o.id, CAST(o.number AS TEXT), CASE "
        f"WHEN {po} = ? THEN 0 WHEN {po} LIKE ? THEN 1 ELSE 2 END AS rank, {po}{collate} "
        f"FROM orders o WHERE o.company_id = ? AND {order_match} ORDER BY 4, 5, 2 LIMIT ?) r",
        term,
        prefix,
        fx.company_id,
        order_value,
        first,
    )
    rows = await raw.fetch(
        f"SELECT kind, id, label FROM ({''.join(parts)}) u ORDER BY rank, sort, kind, id LIMIT ?",
        *params,
        first,
    )
    results = []
    for kind, pk, label in rows:
        typename = SEARCH_KINDS[kind]
        item: dict[str, Any] = {"__typename": typename, "id": encode_id(typename, pk)}
        if typename == "Order":
            item["number"] = int(label)
        else:
            item["name"] = label
        results.append(item)
    return orjson.dumps({"search": results})


# ---------------------------------------------------------------- case 5: bulk update

BULK_UPDATE = """
mutation Bulk($input: CustomersBulkUpdateInput!) {
  customersBulkUpdate(input: $input) {
    matchedCount updatedCount bulkOperationId
    userErrors { field message code }
  }
}"""


class BulkVariables:
    """Alternates the rep, so every run really changes every customer."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self, fx: Fixture) -> dict[str, Any]:
        self.runs += 1
        rep = fx.rep_id if self.runs % 2 else fx.other_rep_id
        return {
            "input": {
                "ids": [encode_id("Customer", pk) for pk in fx.bulk_ids],
                "set": {"salesRepId": encode_id("Staff", rep)},
            }
        }


def bulk_answer(data: dict[str, Any]) -> Any:
    payload = data["customersBulkUpdate"]
    return {key: payload[key] for key in ("matchedCount", "updatedCount", "userErrors")}


async def move_sales_rollup(raw: Raw, company_id: int, customer_ids: Any, rep: int) -> None:
    """The customers' invoiced orders (not at a location overriding the rep) move in the
    sales rollup from their rep to `rep`: one INSERT ... SELECT ... ON CONFLICT."""
    zone = (await raw.fetch("SELECT timezone FROM companies WHERE id = ?", company_id))[0][0]
    quoted = "'" + zone.replace("'", "''") + "'"
    if raw.postgres:
        day = f"(o.placed_at AT TIME ZONE {quoted})::date"
    elif zone == "UTC":  # the bench company's
        day = "substr(o.placed_at, 1, 10)"
    else:
        raise NotImplementedError("the floor converts days on SQLite for UTC companies only")
    await raw.execute(
        "WITH moved AS MATERIALIZED ("
        f"SELECT {day} AS day, coalesce(c.sales_rep_id, 0) AS old_rep, count(*) AS n, "
        "sum(o.total_cents) AS t FROM orders o JOIN customers c ON c.id = o.customer_id "
        f"WHERE o.company_id = ? AND o.customer_id IN ({raw.in_list()}) "
        f"AND o.status IN {INVOICED_SQL} AND (o.location_id IS NULL OR o.location_id NOT IN "
        "(SELECT id FROM locations WHERE company_id = ? AND sales_rep_id IS NOT NULL)) "
        "GROUP BY 1, 2) "
        "INSERT INTO daily_sales (company_id, day, sales_rep_id, order_count, total_cents) "
        "SELECT ?, day, rep, sum(n), sum(t) FROM ("
        "SELECT day, old_rep AS rep, -n AS n, -t AS t FROM moved "
        "UNION ALL SELECT day, CAST(? AS INTEGER), n, t FROM moved) AS deltas WHERE true "
        "GROUP BY day, rep ORDER BY day, rep ON CONFLICT (company_id, day, sales_rep_id) "
        "DO UPDATE SET order_count = daily_sales.order_count + excluded.order_count, "
        "total_cents = daily_sales.total_cents + excluded.total_cents",
        company_id,
        customer_ids,
        company_id,
        company_id,
        rep,
    )


async def floor_bulk(raw: Raw, fx: Fixture, _variables: dict[str, Any]) -> bytes:
    """The same writes by hand: a locked snapshot, the sales rollup's move, one UPDATE, the
    operation, the audit events.

    The rep set is whichever of the two the customers don't have now, so every run changes
    every row, as the GraphQL runs do.
    """
    ids = fx.bulk_ids
    now = datetime.now(UTC)
    stamp = now if raw.postgres else now.replace(tzinfo=None).isoformat(sep=" ")
    lock = " FOR UPDATE" if raw.postgres else ""
    async with raw.transaction():
        before = await raw.fetch(
            "SELECT id, version, id, sales_rep_id FROM customers "
            f"WHERE company_id = ? AND id IN ({raw.in_list()}) ORDER BY id{lock}",
            fx.company_id,
            raw.values(ids),
        )
        rep = fx.other_rep_id if before[0][3] == fx.rep_id else fx.rep_id
        changed = [row for row in before if row[3] != rep]
        changed_ids = raw.values([row[0] for row in changed])
        await move_sales_rollup(raw, fx.company_id, changed_ids, rep)
        await raw.execute(
            "UPDATE customers SET sales_rep_id = ?, version = version + 1 "
            f"WHERE company_id = ? AND id IN ({raw.in_list()})",
            rep,
            fx.company_id,
            changed_ids,
        )
        operation_input = {
            "set": {"sales_rep_id": rep},
            "versions": {str(row[0]): row[1] + 1 for row in changed},
        }
        operation = await raw.fetch(
            "INSERT INTO bulk_operations (company_id, actor_id, entity_type, input, "
            "matched_count, updated_count, created_at) VALUES (?, ?, 'Customer', ?, ?, ?, ?) "
            "RETURNING id",
            fx.company_id,
            fx.admin_id,
            orjson.dumps(operation_input).decode(),
            len(before),
            len(changed),
            stamp,
        )
        await raw.executemany(
            "INSERT INTO audit_events (company_id, actor_id, action, entity_type, entity_id, "
            "customer_id, changes, bulk_operation_id, created_at) "
            "VALUES (?, ?, 'customer.bulk_update', 'Customer', ?, ?, ?, ?, ?)",
            [
                (
                    fx.company_id,
                    fx.admin_id,
                    row[0],
                    row[2],
                    orjson.dumps({"sales_rep_id": [row[3], rep]}).decode(),
                    operation[0][0],
                    stamp,
                )
                for row in changed
            ],
        )
    return orjson.dumps(
        {
            "customersBulkUpdate": {
                "matchedCount": len(before),
                "updatedCount": len(changed),
                "userErrors": [],
            }
        }
    )


# ---------------------------------------------------------------- the suite


def all_cases() -> list[Case]:
    from bench.book_cases import book_cases  # it builds on this module

    return [
        list_case(
            "1a", "customer list, 100 rows, by total sales desc", "TOTAL_SALES", "DESC", False
        ),
        list_case("1b", "customer list, 100 rows, by name", "NAME", "ASC", False),
        list_case("1c", "customer list, 100 rows, one rep's, by name", "NAME", "ASC", True),
        Case(
            "2",
            "customer page: profile, 20 interactions, orders with lines, transactions",
            CUSTOMER_DETAIL,
            detail_variables,
            floor_detail,
            sized=detail_variables,
        ),
        *report_cases(),
        Case(
            "4",
            "search for a 3-letter fragment",
            SEARCH,
            lambda fx: {"query": fx.fragment, "first": 20},
            floor_search,
        ),
        Case(
            "5",
            "customersBulkUpdate of 10,000 customers",
            BULK_UPDATE,
            BulkVariables(),
            floor_bulk,
            mutation=True,
            answer=bulk_answer,
        ),
        Case("7me", "me", ME, lambda fx: {}, floor_me),
        *book_cases(),
    ]


# ---------------------------------------------------------------- case 3: reports

INTERACTIONS_REPORT = """
query InteractionsReport($from: Date!, $to: Date!) {
  interactionsReport(filter: {occurredFrom: $from, occurredTo: $to}, groupBy: [STAFF, MONTH]) {
    staff { id name } period count lastInteractionAt
  }
}"""

SALES_REPORT = """
query SalesReport($from: Date!, $to: Date!) {
  salesReport(from: $from, to: $to, groupBy: [SALES_REP]) {
    rows { salesRep { id name } orderCount total averageOrderTotal }
    totals { orderCount total averageOrderTotal }
  }
}"""

AGING_REPORT = """
query AgingReport($asOf: Date!) {
  agingReport(asOf: $asOf) {
    asOf
    rows { customer { id name } current days1To30 days31To60 days61To90 over90
      unappliedCredit total }
    totals { current days1To30 days31To60 days61To90 over90 unappliedCredit total }
  }
}"""

INVOICED_SQL = "('SUBMITTED', 'CONFIRMED', 'SHIPPED', 'DELIVERED')"


def year_bounds(fx: Fixture) -> tuple[datetime, datetime]:
    return datetime(fx.year, 1, 1, tzinfo=UTC), datetime(fx.year + 1, 1, 1, tzinfo=UTC)


def interactions_report_variables(fx: Fixture) -> dict[str, Any]:
    # The year as a day range (both days included, the company's zone: UTC in the bench).
    return {"from": f"{fx.year}-01-01", "to": f"{fx.year}-12-31"}


async def floor_interactions_report(raw: Raw, fx: Fixture, _variables: dict[str, Any]) -> bytes:
    """One GROUP BY author and month (the company's time zone is UTC here)."""
    start, end = year_bounds(fx)
    if raw.postgres:
        period = "to_char(date_trunc('month', i.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
        bounds: tuple[Any, ...] = (start, end)
    else:
        period = "strftime('%Y-%m-01', i.created_at)"
        bounds = tuple(
            b.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds") for b in (start, end)
        )
    rows = await raw.fetch(
        f"SELECT i.author_id, s.name, {period} AS period, count(*) AS n, max(i.created_at) "
        "FROM interactions i JOIN staff s ON s.id = i.author_id "
        "WHERE i.company_id = ? AND i.created_at >= ? AND i.created_at < ? "
        "GROUP BY i.author_id, s.name, period ORDER BY period, n DESC, i.author_id",
        fx.company_id,
        *bounds,
    )
    return orjson.dumps(
        {
            "interactionsReport": [
                {
                    "staff": staff_ref(r[0], r[1]),
                    "period": r[2],
                    "count": r[3],
                    "lastInteractionAt": iso(r[4]),
                }
                for r in rows
            ]
        }
    )


def report_variables(fx: Fixture) -> dict[str, Any]:
    return {"from": f"{fx.year}-01-01", "to": f"{fx.year}-12-31"}


async def floor_sales_report(raw: Raw, fx: Fixture, _variables: dict[str, Any]) -> bytes:
    """One GROUP BY the effective rep (the location's override, else the customer's)."""
    start, end = year_bounds(fx)
    bounds: tuple[Any, ...] = (start, end)
    if not raw.postgres:
        bounds = tuple(
            b.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds") for b in bounds
        )
    rows = await raw.fetch(
        "SELECT coalesce(l.sales_rep_id, c.sales_rep_id) AS rep, s.name, count(*), "
        "sum(o.total_cents) AS total FROM orders o JOIN customers c ON c.id = o.customer_id "
        "LEFT JOIN locations l ON l.id = o.location_id "
        "LEFT JOIN staff s ON s.id = coalesce(l.sales_rep_id, c.sales_rep_id) "
        f"WHERE o.company_id = ? AND o.status IN {INVOICED_SQL} "
        "AND o.placed_at >= ? AND o.placed_at < ? "
        "GROUP BY 1, 2 ORDER BY total DESC, "
        "coalesce(l.sales_rep_id, c.sales_rep_id) IS NULL DESC, 1",
        fx.company_id,
        *bounds,
    )
    count = sum(r[2] for r in rows)
    total = sum(int(r[3]) for r in rows)
    return orjson.dumps(
        {
            "salesReport": {
                "rows": [
                    {
                        "salesRep": staff_ref(r[0], r[1]),
                        "orderCount": r[2],
                        "total": money(int(r[3])),
                        "averageOrderTotal": average(int(r[3]), r[2]),
                    }
                    for r in rows
                ],
                "totals": {
                    "orderCount": count,
                    "total": money(total),
                    "averageOrderTotal": average(total, count),
                },
            }
        }
    )


async def floor_sales_report_rollup(raw: Raw, fx: Fixture, _variables: dict[str, Any]) -> bytes:
    """The same answer from the sales rollup (daily_sales): one GROUP BY over ~365 x reps rows.

    A second floor for 3b, now that the report reads the rollup: 3b's floor stays the
    hand-written orders query (what the report costs without a rollup).
    """
    first, last = date(fx.year, 1, 1), date(fx.year, 12, 31)
    bounds: tuple[Any, ...] = (first, last) if raw.postgres else (str(first), str(last))
    rows = await raw.fetch(
        "SELECT nullif(d.sales_rep_id, 0) AS rep, s.name, sum(d.order_count), "
        "sum(d.total_cents) AS total FROM daily_sales d "
        "LEFT JOIN staff s ON s.id = d.sales_rep_id "
        "WHERE d.company_id = ? AND d.day >= ? AND d.day <= ? "
        "GROUP BY 1, 2 HAVING sum(d.order_count) > 0 "
        "ORDER BY total DESC, nullif(d.sales_rep_id, 0) IS NULL DESC, 1",
        fx.company_id,
        *bounds,
    )
    return sales_answer([(r[0], r[1], int(r[2]), int(r[3])) for r in rows])


def sales_answer(rows: list[tuple[int | None, str | None, int, int]]) -> bytes:
    count = sum(r[2] for r in rows)
    total = sum(r[3] for r in rows)
    return orjson.dumps(
        {
            "salesReport": {
                "rows": [
                    {
                        "salesRep": staff_ref(r[0], r[1]),
                        "orderCount": r[2],
                        "total": money(r[3]),
                        "averageOrderTotal": average(r[3], r[2]),
                    }
                    for r in rows
                ],
                "totals": {
                    "orderCount": count,
                    "total": money(total),
                    "averageOrderTotal": average(total, count),
                },
            }
        }
    )


AGING_KEYS = (
    "current",
    "days1To30",
    "days31To60",
    "days61To90",
    "over90",
    "unappliedCredit",
    "total",
)


def aging_variables(fx: Fixture) -> dict[str, Any]:
    return {"asOf": fx.today.isoformat()}


def _buckets(column: str, amount: str) -> str:
    """`amount` in each of the five buckets by `column` against the four edges (?
    parameters, twice each but the first and last), as b0..b4."""
    return (
        f"CASE WHEN {column} IS NULL OR {column} >= ? THEN {amount} ELSE 0 END AS b0, "
        f"CASE WHEN {column} < ? AND {column} >= ? THEN {amount} ELSE 0 END AS b1, "
        f"CASE WHEN {column} < ? AND {column} >= ? THEN {amount} ELSE 0 END AS b2, "
        f"CASE WHEN {column} < ? AND {column} >= ? THEN {amount} ELSE 0 END AS b3, "
        f"CASE WHEN {column} < ? THEN {amount} ELSE 0 END AS b4"
    )


async def floor_aging_report(raw: Raw, fx: Fixture, _variables: dict[str, Any]) -> bytes:
    """One GROUP BY customer over a UNION ALL of the open orders (by due date), the charges
    on account (by the UTC day they occurred: the bench company's zone is UTC) and the
    customers holding credit; the totals row summed here."""
    as_of = fx.today
    edges: list[Any] = [as_of - timedelta(days=d) for d in (0, 30, 60, 90)]
    starts: list[Any] = [datetime(e.year, e.month, e.day, tzinfo=UTC) for e in edges]
    if not raw.postgres:
        edges = [e.isoformat() for e in edges]
        starts = [
            s.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds") for s in starts
        ]

    def twice(values: list[Any]) -> list[Any]:
        return [
            values[0],
            values[0],
            values[1],
            values[1],
            values[2],
            values[2],
            values[3],
            values[3],
        ]

    rows = await raw.fetch(
        "SELECT a.customer_id, c.name, sum(b0), sum(b1), sum(b2), sum(b3), sum(b4), "
        "sum(credit), sum(b0 + b1 + b2 + b3 + b4 - credit) AS total FROM ("
        f"SELECT o.customer_id, {_buckets('o.due_date', 'o.balance_due_cents')}, 0 AS credit "
        f"FROM orders o WHERE o.company_id = ? AND o.status IN {INVOICED_SQL} "
        "AND o.balance_due_cents > 0 "
        f"UNION ALL SELECT t.customer_id, {_buckets('t.occurred_at', 't.amount_cents')}, 0 "
        "FROM transactions t WHERE t.company_id = ? AND t.kind = 'ADJUSTMENT' "
        "AND t.amount_cents > 0 "
        "UNION ALL SELECT c.id, 0, 0, 0, 0, 0, c.unapplied_credit_cents FROM customers c "
        "WHERE c.company_id = ? AND c.unapplied_credit_cents > 0"
        ") AS a "
        "JOIN customers c ON c.id = a.customer_id "
        "GROUP BY a.customer_id, c.name ORDER BY total DESC, a.customer_id",
        *twice(edges),
        fx.company_id,
        *twice(starts),
        fx.company_id,
        fx.company_id,
    )
    totals = [sum(int(r[i]) for r in rows) for i in range(2, 9)]
    return orjson.dumps(
        {
            "agingReport": {
                "asOf": as_of.isoformat(),
                "rows": [
                    {
                        "customer": {"id": encode_id("Customer", r[0]), "name": r[1]},
                        **{key: money(int(v)) for key, v in zip(AGING_KEYS, r[2:], strict=True)},
                    }
                    for r in rows
                ],
                "totals": {key: money(v) for key, v in zip(AGING_KEYS, totals, strict=True)},
            }
        }
    )


def report_cases() -> list[Case]:
    return [
        Case(
            "3a",
            "interactions report, a year by staff and month",
            INTERACTIONS_REPORT,
            interactions_report_variables,
            floor_interactions_report,
        ),
        Case(
            "3b",
            "sales report, a year by sales rep",
            SALES_REPORT,
            report_variables,
            floor_sales_report,
        ),
        Case(
            "3br",
            "sales report, a year by sales rep (floor: the rollup)",
            SALES_REPORT,
            report_variables,
            floor_sales_report_rollup,
        ),
        Case("3c", "aging report", AGING_REPORT, aging_variables, floor_aging_report),
    ]
