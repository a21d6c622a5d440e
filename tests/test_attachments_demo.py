"""The demo story's files: stored through the configured storage, downloadable."""

from __future__ import annotations

from sqlalchemy import select

from db.models import Company, Customer, Staff
from db.session import Scope
from resolvers.attachments import DEMO_PRICE_LIST, demo_pdf, seed_demo_story
from resolvers.demo import DemoWorld
from tests.test_attachments import make_customers

FILES = """query($id: ID!) { customer(id: $id) { name attachments {
  filename contentType size downloadUrl uploadedBy { id } } } }"""


async def test_demo_story_adds_a_price_list_and_credit_applications(
    api, tenant, database, settings
):
    names = ["Harbor Street Grocers", "Blue Ridge Hardware", "Café Olé", "Sunrise Bakery", "Extra"]
    ids = await make_customers(database, tenant.company_id, names)
    async with database.transaction(Scope(tenant.company_id)) as session:
        staff = list((await session.execute(select(Staff).order_by(Staff.id))).scalars())
        customers = list((await session.execute(select(Customer).order_by(Customer.id))).scalars())
        world = DemoWorld(
            company=await session.get(Company, tenant.company_id),
            staff=staff,
            customers=customers,
            settings=settings,
        )
        await seed_demo_story(session, world)

    price_list = DEMO_PRICE_LIST.encode()
    pdf = demo_pdf("Credit application: Harbor Street Grocers")
    bearer = {"Authorization": f"Bearer {tenant.rep.token}"}
    first = (await api.ok(FILES, {"id": ids[0]}, token=tenant.rep.token))["customer"]
    assert [(a["filename"], a["contentType"], a["size"]) for a in first["attachments"]] == [
        ("Credit application – Harbor Street Grocers.pdf", "application/pdf", len(pdf)),
        ("Price list 2026.csv", "text/csv", len(price_list)),
    ]
    assert {a["uploadedBy"]["id"] for a in first["attachments"]} == {tenant.manager.global_id}
    response = await api.client.get(first["attachments"][0]["downloadUrl"], headers=bearer)
    assert response.content == pdf
    response = await api.client.get(first["attachments"][1]["downloadUrl"], headers=bearer)
    assert response.content == price_list

    counts = []
    for customer_id in ids[1:]:
        data = await api.ok(FILES, {"id": customer_id}, token=tenant.rep.token)
        counts.append(len(data["customer"]["attachments"]))
    assert counts == [2, 1, 1, 0]
