"""The demo company's part of issue 18: follow-ups overdue and upcoming, tags, and the
saved views a sales team would share ("Not contacted in 60 days").

Runs after the interactions and orders (resolvers/demo.py STORY) with its own random
generator, so the earlier steps' story stays as it was.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import ListView, Role, TaskStatus
from db.models import Contact, CustomerTag, SavedView, Task, utcnow
from resolvers.ids import encode_id
from resolvers.tags import tag_key

TAGS = ["VIP", "Roofing", "Exterior", "Seasonal", "Wholesale", "Net-30 review"]
TITLES = [
    "Follow up on the exterior quote",
    "Call back re: spring order",
    "Send the new price list",
    "Check the delivery went well",
    "Ask about the overdue invoice",
    "Book a visit to the new branch",
    "Confirm the holiday order",
]
NOT_CONTACTED_COLUMNS = [
    "name",
    "salesRep",
    "lastInteractionAt",
    "nextTask",
    "nextTaskDueOn",
    "tags",
]


async def seed_demo_story(session: AsyncSession, world: Any) -> None:
    rng = random.Random(18)
    company_id = world.company.id
    today = datetime.now(ZoneInfo(world.company.timezone or "UTC")).date()
    reps = [s for s in world.staff if s.role == Role.REP]
    manager = next(s for s in world.staff if s.role == Role.MANAGER)
    primaries = dict(
        (
            await session.execute(
                select(Contact.customer_id, Contact.id).where(
                    Contact.company_id == company_id, Contact.is_primary
                )
            )
        ).all()
    )
    session.add_all(_demo_tags(rng, company_id, world.customers))
    session.add_all(
        [
            _demo_task(rng, company_id, index, customer, reps, primaries, today)
            for index, customer in enumerate(rng.sample(world.customers, 16))
        ]
    )

    riley = reps[0]
    session.add_all(
        [
            SavedView(
                company_id=company_id,
                owner_id=manager.id,
                name="Not contacted in 60 days",
                view=ListView.CUSTOMERS,
                filter={"notContactedForDays": 60},
                columns=NOT_CONTACTED_COLUMNS,
                sort=[{"field": "lastInteractionAt", "direction": "ASC"}],
                shared=True,
            ),
            SavedView(
                company_id=company_id,
                owner_id=manager.id,
                name="Unassigned customers",
                view=ListView.CUSTOMERS,
                filter={"hasSalesRep": False},
                columns=["name", "status", "lastInteractionAt", "totalSales", "tags"],
                sort=[{"field": "totalSales", "direction": "DESC"}],
                shared=True,
            ),
            SavedView(
                company_id=company_id,
                owner_id=riley.id,
                name="My overdue follow-ups",
                view=ListView.CUSTOMERS,
                filter={"hasOverdueTasks": True, "salesRepIds": [_staff_id(riley.id)]},
                columns=["name", "nextTask", "nextTaskDueOn", "lastInteractionAt"],
                sort=[{"field": "lastInteractionAt", "direction": "ASC"}],
                shared=False,
            ),
        ]
    )
    await session.flush()


def _demo_tags(rng: random.Random, company_id: int, customers: list[Any]) -> list[CustomerTag]:
    """Up to two tags on about half the customers."""
    return [
        CustomerTag(company_id=company_id, customer_id=customer.id, tag=tag, tag_key=tag_key(tag))
        for customer in customers
        for tag in rng.sample(TAGS, rng.choice([0, 0, 1, 1, 2]))
    ]


def _demo_task(
    rng: random.Random,
    company_id: int,
    index: int,
    customer: Any,
    reps: list[Any],
    primaries: dict[int, int],
    today: date,
) -> Task:
    """The index-th of 16 follow-ups: a third overdue, the rest upcoming; two of the
    overdue ones already done."""
    assignee = next((s for s in reps if s.id == customer.sales_rep_id), rng.choice(reps))
    offset = -rng.randint(1, 10) if index % 3 == 0 else rng.randint(0, 14)
    done = index in (0, 3)
    return Task(
        company_id=company_id,
        customer_id=customer.id,
        contact_id=primaries.get(customer.id),
        assignee_id=assignee.id,
        created_by_id=assignee.id,
        title=rng.choice(TITLES),
        notes="Left VM, following up." if index % 4 == 1 else None,
        due_on=today + timedelta(days=offset) if index != 5 else None,
        status=TaskStatus.DONE if done else TaskStatus.OPEN,
        completed_at=utcnow() if done else None,
        completed_by_id=assignee.id if done else None,
    )


def _staff_id(pk: int) -> str:
    return encode_id("Staff", pk)
