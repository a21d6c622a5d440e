"""One row of each kind, made through the API: what the fuzz and isolation suites aim at.

Its own module: importing tests/test_fuzz.py from another test would import it a second
time (as `tests.test_fuzz`) and register its scalar strategies again, over ids never filled.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable


async def seed_rows(post: Callable[[str, dict], Awaitable[dict]]) -> list[str]:
    """One of each kind of row, through the API (`post` answers a mutation's payload):
    customer, location, contact, interaction, product, order, payment ids."""

    async def create(mutation: str, input_type: str, key: str, input: dict) -> str:
        query = (
            f"mutation($i: {input_type}!) {{ {mutation}(input: $i) {{ {key} {{ id }} "
            "userErrors { field code message } } }"
        )
        return (await post(query, {"i": input}))[key]["id"]

    customer = await create(
        "customerCreate", "CustomerCreateInput", "customer", {"name": "Fuzz Target Ltd"}
    )
    location = await create(
        "locationCreate",
        "LocationCreateInput",
        "location",
        {"customerId": customer, "name": "Dock"},
    )
    contact = await create(
        "contactCreate", "ContactCreateInput", "contact", {"customerId": customer, "name": "Fran"}
    )
    interaction = await create(
        "interactionCreate",
        "InteractionCreateInput",
        "interaction",
        {"customerId": customer, "kind": "CALL", "body": "hello"},
    )
    product = await create(
        "productCreate",
        "ProductCreateInput",
        "product",
        {"name": "Widget", "sku": f"FZ-{uuid.uuid4().hex[:6]}", "price": "12.50"},
    )
    order = await create(
        "orderCreate",
        "OrderCreateInput",
        "order",
        {
            "customerId": customer,
            "locationId": location,
            "status": "SUBMITTED",
            "lines": [{"productId": product, "quantity": 2, "unitPrice": "12.50"}],
        },
    )
    payment = await create(
        "transactionRecord",
        "TransactionRecordInput",
        "transaction",
        {
            "customerId": customer,
            "kind": "PAYMENT",
            "amount": "5.00",
            "allocations": [{"orderId": order, "amount": "5.00"}],
        },
    )
    return [customer, location, contact, interaction, product, order, payment]
