"""The interaction log's part of the demo company's story (resolvers/demo.py STORY)."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from db.enums import InteractionKind
from db.models import Contact, Customer, Interaction, utcnow

if TYPE_CHECKING:
    pass


DEMO_BODIES: dict[InteractionKind, tuple[str, ...]] = {
    InteractionKind.VISIT: (
        "Walked the floor with {contact}; shelf space for the spring range agreed.",
        "Dropped off samples of the new {product}; {contact} will try them this week.",
        "Quarterly review with {contact}: happy with delivery times, wants fewer partial cases.",
        "Visited the store: our display needs restocking, {contact} asked for a new planogram.",
    ),
    InteractionKind.CALL: (
        "{contact} called about the last invoice; explained the credit for damaged cases.",
        "Called {contact} to confirm next week's order of {product}.",
        "Call with {contact}: they are comparing our prices on {product} with a competitor.",
        "{contact} asked whether we can deliver before 9 am on Fridays. Checking with dispatch.",
    ),
    InteractionKind.TEXT: (
        "Texted {contact} the delivery window for tomorrow.",
        "{contact} texted a photo of a damaged pallet; asked for a replacement.",
    ),
    InteractionKind.VOICEMAIL: (
        "Left a voicemail for {contact} about the overdue balance.",
        "Voicemail from {contact}: please call back about {product} pricing.",
    ),
    InteractionKind.EMAIL: (
        "Emailed {contact} the updated price list for {product}.",
        "Sent {contact} the statement of account and payment options.",
        "Email from {contact}: moving their weekly order to Tuesdays.",
    ),
    InteractionKind.QUOTE: (
        "Quoted {contact} 40 cases of {product} at the volume price.",
        "Sent a quote for a standing monthly order of {product}.",
    ),
    InteractionKind.NOTE: (
        "Prefers deliveries before 9 am; back door, ring twice.",
        "{contact} is the decision maker; the owner only signs off above $5,000.",
        "Closed the last week of August every year.",
        "Asks for invoices by email only, never paper.",
    ),
    InteractionKind.OTHER: ("Met {contact} at the regional trade show; interested in {product}.",),
}
DEMO_PRODUCTS = ("olive oil", "coffee beans", "paper goods", "cleaning supplies", "sparkling water")
DEMO_KIND_WEIGHTS = {
    InteractionKind.CALL: 30,
    InteractionKind.EMAIL: 22,
    InteractionKind.VISIT: 14,
    InteractionKind.TEXT: 10,
    InteractionKind.VOICEMAIL: 8,
    InteractionKind.NOTE: 8,
    InteractionKind.QUOTE: 6,
    InteractionKind.OTHER: 2,
}


async def seed_demo_story(session: AsyncSession, world: Any) -> None:
    """A year of relationship history: each customer's rep logs most of it, coworkers
    cover now and then; some customers have gone quiet (follow-up lists need them)."""
    rng = world.rng
    now = utcnow()
    zone = ZoneInfo(world.company.timezone or "UTC")
    contacts: dict[int, list[str]] = defaultdict(list)
    rows = await session.execute(
        select(Contact.customer_id, Contact.name).where(Contact.company_id == world.company.id)
    )
    for customer_id, name in rows:
        contacts[customer_id].append(name.split()[0])
    active_staff = [s for s in world.staff if s.active]
    story = _Story(rng, now, zone, world.company.id, active_staff, contacts)
    interactions: list[Interaction] = []
    for customer in world.customers:
        # A few customers have been left alone for months; the rest hear from us steadily.
        quiet_days = rng.choice([0] * 6 + [45, 120])
        for _ in range(rng.randint(4, 14)):
            interactions.append(story.interaction(customer, quiet_days))
    session.add_all(interactions)
    await session.flush()
    latest = (
        select(func.max(Interaction.created_at))
        .where(Interaction.customer_id == Customer.id)
        .scalar_subquery()
    )
    await session.execute(
        update(Customer)
        .where(Customer.company_id == world.company.id)
        .values(last_interaction_at=latest)
        .execution_options(synchronize_session=False)
    )
    # The story's later steps hold these rows: show them what the database now says.
    _show_latest(world.customers, interactions)


def _show_latest(customers: list[Any], interactions: list[Interaction]) -> None:
    """Sets each customer's loaded last_interaction_at to its latest interaction's time."""
    latest_by_customer: dict[int, datetime] = {}
    for interaction in interactions:
        previous = latest_by_customer.get(interaction.customer_id)
        if previous is None or interaction.created_at > previous:
            latest_by_customer[interaction.customer_id] = interaction.created_at
    for customer in customers:
        set_committed_value(customer, "last_interaction_at", latest_by_customer.get(customer.id))


@dataclass
class _Story:
    """What every demo interaction draws from (in a fixed order: the seed's story)."""

    rng: random.Random
    now: datetime
    zone: ZoneInfo
    company_id: int
    active_staff: list[Any]
    contacts: dict[int, list[str]]

    def interaction(self, customer: Any, quiet_days: int) -> Interaction:
        rng, now = self.rng, self.now
        kinds, weights = zip(*DEMO_KIND_WEIGHTS.items(), strict=True)
        kind = rng.choices(kinds, weights)[0]
        rep = next((s for s in self.active_staff if s.id == customer.sales_rep_id), None)
        # Mostly the rep; a coworker covers a fifth of the time, and always when there is none.
        author = rep if rep is not None and rng.random() < 0.8 else rng.choice(self.active_staff)
        at = self._working_time(quiet_days)
        body = rng.choice(DEMO_BODIES[kind]).format(
            contact=rng.choice(self.contacts.get(customer.id) or ["the buyer"]),
            product=rng.choice(DEMO_PRODUCTS),
        )
        edited = rng.random() < 0.05
        return Interaction(
            company_id=self.company_id,
            customer_id=customer.id,
            author_id=author.id,
            kind=kind,
            body=body,
            created_at=at,
            updated_at=min(now, at + timedelta(hours=2)) if edited else at,
            edited=edited,
        )

    def _working_time(self, quiet_days: int) -> datetime:
        """A moment in the past year (older than `quiet_days`), in working hours on a
        weekday in the company's time zone."""
        rng, zone = self.rng, self.zone
        day = (self.now - timedelta(days=rng.randint(quiet_days + 1, 364))).astimezone(zone).date()
        if day.weekday() >= 5:
            day -= timedelta(days=rng.randint(day.weekday() - 4, day.weekday()))
        return datetime.combine(
            day, time(rng.randint(8, 17), rng.randint(0, 59)), tzinfo=zone
        ).astimezone(UTC)
