"""Case 8 (issue 18): the customers nobody contacted in 60 days, with their next task.

The page a rep opens to plan the day: `customers(filter: {notContactedForDays: 60},
sort: LAST_INTERACTION_AT ASC)` (never contacted first), 100 rows with their rep,
tags, primary contact and next follow-up. The data set's tasks and tags come from
bench/book_dataset.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from bench.cases import Case, Fixture, staff_ref
from bench.floor import Raw, encode_id, iso, orjson

NOT_CONTACTED = """
query NotContacted($first: Int!, $filter: CustomerFilter) {
  customers(first: $first, filter: $filter, sort: [{field: LAST_INTERACTION_AT, direction: ASC}]) {
    totalCount
    pageInfo { hasNextPage }
    nodes {
      id name phone lastInteractionAt tags
      salesRep { id name }
      primaryContact { id name phone }
      nextTask { id title dueOn overdue assignee { id name } }
    }
  }
}"""

DAYS = 60
NEVER = "1970-01-01 00:00:00"


def variables(_fx: Fixture, first: int = 100) -> dict[str, Any]:
    return {"first": first, "filter": {"notContactedForDays": DAYS}}


async def floor_not_contacted(raw: Raw, fx: Fixture, v: dict[str, Any]) -> bytes:
    first = v["first"]
    cutoff = datetime.combine(fx.today - timedelta(days=DAYS), time.min, tzinfo=UTC)
    where = (
        "c.company_id = ? AND c.status != 'ARCHIVED' "
        "AND (c.last_interaction_at IS NULL OR c.last_interaction_at < ?)"
    )
    bound = cutoff if raw.postgres else cutoff.replace(tzinfo=None).isoformat(sep=" ")
    never = datetime(1970, 1, 1, tzinfo=UTC) if raw.postgres else NEVER
    rows = await raw.fetch(
        "SELECT c.id, c.name, c.phone, c.last_interaction_at, c.sales_rep_id, s.name, "
        "p.id, p.name, p.phone FROM customers c "
        "LEFT JOIN staff s ON s.id = c.sales_rep_id "
        "LEFT JOIN contacts p ON p.customer_id = c.id AND p.is_primary "
        f"WHERE {where} ORDER BY coalesce(c.last_interaction_at, ?), c.id LIMIT ?",
        fx.company_id,
        bound,
        never,
        first + 1,
    )
    (total,) = (
        await raw.fetch(f"SELECT count(*) FROM customers c WHERE {where}", fx.company_id, bound)
    )[0]
    page = rows[:first]
    ids = raw.values([row[0] for row in page])
    tags: dict[int, list[str]] = {}
    for customer_id, tag in await raw.fetch(
        "SELECT customer_id, tag FROM customer_tags "
        f"WHERE customer_id IN ({raw.in_list()}) ORDER BY tag_key",
        ids,
    ):
        tags.setdefault(customer_id, []).append(tag)
    tasks: dict[int, dict[str, Any]] = {}
    for customer_id, task_id, title, due_on, assignee_id, assignee in await raw.fetch(
        "SELECT t.customer_id, t.id, t.title, t.due_on, t.assignee_id, s.name FROM tasks t "
        "JOIN staff s ON s.id = t.assignee_id "
        f"WHERE t.customer_id IN ({raw.in_list()}) AND t.status = 'OPEN' "
        "ORDER BY t.customer_id, coalesce(t.due_on, '9999-12-31'), t.id",
        ids,
    ):
        if customer_id in tasks:
            continue
        day = due_on if isinstance(due_on, str) or due_on is None else due_on.isoformat()
        tasks[customer_id] = {
            "id": encode_id("Task", task_id),
            "title": title,
            "dueOn": day,
            "overdue": day is not None and day < fx.today.isoformat(),
            "assignee": staff_ref(assignee_id, assignee),
        }
    nodes = [
        {
            "id": encode_id("Customer", r[0]),
            "name": r[1],
            "phone": r[2],
            "lastInteractionAt": iso(r[3]),
            "tags": tags.get(r[0], []),
            "salesRep": staff_ref(r[4], r[5]),
            "primaryContact": None
            if r[6] is None
            else {"id": encode_id("Contact", r[6]), "name": r[7], "phone": r[8]},
            "nextTask": tasks.get(r[0]),
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


def book_cases() -> list[Case]:
    return [
        Case(
            "8",
            "not contacted in 60 days, with next task, 100 rows",
            NOT_CONTACTED,
            variables,
            floor_not_contacted,
            sized=variables,
        )
    ]
