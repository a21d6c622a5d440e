"""The data set's part of issue 18: follow-up tasks and tags, set-based and idempotent.

`seed_scale` adds them after the chunks; `python -m bench` also tops up data sets seeded
before issue 18 (`ensure_book_data` does nothing where the company has tasks).
"""

from __future__ import annotations

from bench.floor import Raw
from db.session import Database

# Open tasks for a third of the customers plus every eleventh (so some have two), due from
# a week ago to two weeks ahead; tags on a quarter and a fifth. From the customer id.
TASKS_SQL = """
INSERT INTO tasks (company_id, customer_id, assignee_id, created_by_id, title, due_on,
                   status, version, created_at, updated_at)
SELECT c.company_id, c.id, coalesce(c.sales_rep_id, ?), coalesce(c.sales_rep_id, ?),
       'Follow up ' || (c.id % 7), {due}, 'OPEN', 1, {now}, {now}
FROM customers c WHERE c.company_id = ? AND c.id % {every} = 0
"""
TAGS_SQL = """
INSERT INTO customer_tags (company_id, customer_id, tag, tag_key)
SELECT c.company_id, c.id, t.tag, lower(t.tag)
FROM customers c JOIN (SELECT 'VIP' AS tag, 4 AS every UNION ALL SELECT 'Roofing', 5) t
  ON c.id % t.every = 0
WHERE c.company_id = ?
"""


async def ensure_book_data(db: Database, company_id: int) -> None:
    """Tasks and tags for the bench company, once."""
    async with Raw.open(db) as raw:
        rows = await raw.fetch("SELECT count(*) FROM tasks WHERE company_id = ?", company_id)
        if rows[0][0]:
            return
        (admin_id,) = (
            await raw.fetch(
                "SELECT min(id) FROM staff WHERE company_id = ? AND role = 'ADMIN'", company_id
            )
        )[0]
        async with raw.transaction():
            for every, shift in ((3, 0), (11, 5)):
                if raw.postgres:
                    due = f"current_date + ((c.id % 21) - 7 + {shift})"
                    now = "now()"
                else:
                    due = f"date('now', ((c.id % 21) - 7 + {shift}) || ' days')"
                    now = "datetime('now')"
                statement = TASKS_SQL.format(due=due, now=now, every=every)
                await raw.execute(statement, admin_id, admin_id, company_id)
            await raw.execute(TAGS_SQL, company_id)
