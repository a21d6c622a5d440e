"""The demo company: a believable wholesaler to click through in GraphiQL.

Deterministic (fixed random seed). After the company, staff, customers,
locations and contacts made here, each domain module in STORY adds its part
of the story with its own `seed_demo_story(session, world)`, in that order.
"""

from __future__ import annotations

import importlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.enums import (
    BasisDate,
    BillingStatus,
    CustomerKind,
    CustomerStatus,
    Role,
)
from db.models import Company, Contact, Customer, Location, PaymentTerms, Staff, utcnow
from resolvers.accounts import create_company, create_staff
from resolvers.credentials import issue_token
from resolvers.text import name_key

# Domain modules adding to the demo, in order (orders before payments).
STORY = (
    "resolvers.interactions_demo",
    "resolvers.products",
    "resolvers.orders_demo",
    "resolvers.ledger_demo",
    "resolvers.attachments",
    "resolvers.book_demo",
)

DEMO_SLUG = "northwind-wholesale"
DEMO_PASSWORD = "rolodex-demo-2026"
DEMO_ADMIN_EMAIL = "ada@northwind.example"

STAFF = [
    ("Ada Admin", DEMO_ADMIN_EMAIL, Role.ADMIN),
    ("Morgan Manager", "morgan@northwind.example", Role.MANAGER),
    ("Riley Rep", "riley@northwind.example", Role.REP),
    ("Sam Sales", "sam@northwind.example", Role.REP),
    ("Jordan Field", "jordan@northwind.example", Role.REP),
]

BUSINESS_NAMES = [
    "Harbor Street Grocers",
    "Blue Ridge Hardware",
    "Café Olé",
    "Maple & Main Deli",
    "Sunrise Bakery",
    "Pinecrest Pharmacy",
    "Golden Gate Market",
    "Riverside Florist",
    "Northside Liquors",
    "Lakeview Diner",
    "Summit Outfitters",
    "Crescent Pet Supply",
    "Oak Hollow Farm Store",
    "Bayfront Seafood",
    "Prairie Home Goods",
    "Redwood Cafe",
    "Cedar Point Convenience",
    "Highland Coffee Roasters",
    "Willow Creek Wines",
    "Granite State Tools",
    "Coastal Surf Shop",
    "Evergreen Nursery",
    "Liberty Books",
    "Union Square Bistro",
    "Silver Lake Salon",
    "Timberline Lodge Shop",
    "Meadowbrook Dairy",
    "Fireside Grill",
    "Starlight Cinema Snacks",
    "Copper Kettle Tea Room",
]
INDIVIDUAL_NAMES = [
    "Zoë Alvarez",
    "Marcus Chen",
    "Priya Natarajan",
    "Liam O'Brien",
    "Fatima Hassan",
    "Noah Kowalski",
]
CITIES = [
    ("Portland", "OR"),
    ("Seattle", "WA"),
    ("Boise", "ID"),
    ("Sacramento", "CA"),
    ("Reno", "NV"),
    ("Spokane", "WA"),
]
FIRST = ["Alex", "Jamie", "Taylor", "Casey", "Drew", "Avery", "Quinn", "Rowan", "Skyler"]
LAST = ["Nguyen", "Smith", "García", "Okafor", "Müller", "Rossi", "Kim", "Patel", "Brown"]


@dataclass
class DemoWorld:
    """What earlier steps created, for later steps of the story to use."""

    company: Company
    staff: list[Staff]
    # The server's settings (attachments storage): the demo's files must be downloadable.
    settings: Any = None
    customers: list[Customer] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(42))


async def seed_demo(session: AsyncSession, settings: Any) -> DemoWorld:
    company = await create_company(session, "Northwind Wholesale")
    staff = [
        await create_staff(
            session, company.id, name=name, email=email, role=role, password=DEMO_PASSWORD
        )
        for name, email, role in STAFF
    ]
    world = DemoWorld(company=company, staff=staff, settings=settings)
    await _seed_customers(session, world)
    for module_name in STORY:
        step = getattr(importlib.import_module(module_name), "seed_demo_story", None)
        if step is not None:
            await step(session, world)
    return world


async def _seed_customers(session: AsyncSession, world: DemoWorld) -> None:
    terms = list(
        (
            await session.execute(
                select(PaymentTerms).where(PaymentTerms.company_id == world.company.id)
            )
        ).scalars()
    )
    reps = [s for s in world.staff if s.role == Role.REP]
    now = utcnow()
    names = [(n, CustomerKind.BUSINESS) for n in BUSINESS_NAMES] + [
        (n, CustomerKind.INDIVIDUAL) for n in INDIVIDUAL_NAMES
    ]
    for index, (name, kind) in enumerate(names):
        customer = _demo_customer(world, index, name, kind, terms, reps, now)
        session.add(customer)
        world.customers.append(customer)
    await session.flush()
    for customer in world.customers:
        _add_demo_locations(session, world, customer, reps)
        _add_demo_contacts(session, world, customer)
    await session.flush()


def _demo_customer(
    world: DemoWorld,
    index: int,
    name: str,
    kind: CustomerKind,
    terms: list[PaymentTerms],
    reps: list[Staff],
    now: datetime,
) -> Customer:
    rng = world.rng
    city, region = rng.choice(CITIES)
    slug = "".join(c for c in name.lower() if c.isalnum())[:20]
    customer = Customer(
        company_id=world.company.id,
        kind=kind,
        name=name,
        name_key=name_key(name),
        email=f"orders@{slug}.example",
        phone=f"+1 503 555 {1000 + index:04d}",
        website=f"https://{slug}.example" if kind == CustomerKind.BUSINESS else None,
        discount_bp=rng.choice([0, 0, 0, 500, 1000, 1250]),
        status=rng.choice(
            [CustomerStatus.ACTIVE] * 8 + [CustomerStatus.PROSPECT, CustomerStatus.INACTIVE]
        ),
        billing_status=rng.choice(
            [BillingStatus.GOOD_STANDING] * 8 + [BillingStatus.PAST_DUE, BillingStatus.PREPAY_ONLY]
        ),
        payment_terms_id=rng.choice(terms).id,
        basis_date=rng.choice(list(BasisDate)),
        sales_rep_id=rng.choice(reps).id if index % 7 else None,
        billing_line1=f"{100 + index} Main St",
        billing_city=city,
        billing_region=region,
        billing_postal_code=f"97{index:03d}",
        billing_country="US",
        created_at=now - timedelta(days=rng.randint(30, 900)),
    )
    customer.shipping_line1 = customer.billing_line1
    customer.shipping_city, customer.shipping_region = city, region
    customer.shipping_postal_code, customer.shipping_country = (
        customer.billing_postal_code,
        "US",
    )
    return customer


def _add_demo_locations(
    session: AsyncSession, world: DemoWorld, customer: Customer, reps: list[Staff]
) -> None:
    """A main store, and for businesses up to two branches (the second with its own rep)."""
    rng = world.rng
    for n in range(rng.randint(1, 3) if customer.kind == CustomerKind.BUSINESS else 1):
        city, region = rng.choice(CITIES)
        location_name = "Main store" if n == 0 else f"{city} branch"
        location = Location(
            company_id=world.company.id,
            customer_id=customer.id,
            name=location_name,
            name_key=name_key(location_name),
            city=city,
            region=region,
            country="US",
            line1=f"{rng.randint(1, 999)} Market St",
            sales_rep_id=rng.choice(reps).id if n == 2 else None,
        )
        session.add(location)
        world.locations.append(location)


def _add_demo_contacts(session: AsyncSession, world: DemoWorld, customer: Customer) -> None:
    """One to three contacts, the first primary."""
    rng = world.rng
    for n in range(rng.randint(1, 3)):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        session.add(
            Contact(
                company_id=world.company.id,
                customer_id=customer.id,
                name=f"{first} {last}",
                title=rng.choice(["Owner", "Buyer", "Manager", "Accounts payable"]),
                email=f"{first.lower()}@{(customer.email or '@example.com').split('@')[1]}",
                phone=f"+1 503 555 {rng.randint(2000, 9999)}",
                is_primary=n == 0,
            )
        )


async def demo_login_text(session: AsyncSession, *, fresh: bool) -> str | None:
    admin = (
        await session.execute(select(Staff).where(Staff.email == DEMO_ADMIN_EMAIL))
    ).scalar_one_or_none()
    if admin is None:
        return None
    token = await issue_token(session, admin, ttl_hours=24 * 30)
    loaded = "Loaded the demo company Northwind Wholesale." if fresh else "Demo data present."
    return (
        f"{loaded}\n"
        f"Sign in on GraphiQL's page (or with the login mutation) as {DEMO_ADMIN_EMAIL} / "
        f"{DEMO_PASSWORD}\n"
        f"(others: morgan@, riley@, sam@, jordan@northwind.example, same password),\n"
        f"or send this ready bearer token (valid 30 days) from any client:\n"
        f'  {{"Authorization": "Bearer {token}"}}'
    )
