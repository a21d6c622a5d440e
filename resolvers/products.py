"""Products: the catalogue, exclusive products and who may see (and so order) what."""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import UNSET

from db.enums import ProductDisplay
from db.models import Customer, Product, ProductExclusiveCustomer
from resolvers.audit import apply_changes, record
from resolvers.errors import BadUserInput, ErrorCollector, UserErrorCode, UserInputError
from resolvers.ids import decode_id, parse_id, parse_ids
from resolvers.loaders import rows_by_id
from resolvers.money import decimal_to_cents
from resolvers.pagination import PageArgs, SortKey, paginate_for
from resolvers.permissions import Permission
from resolvers.text import like_pattern
from resolvers.validation import check_version, clean_text, search_term

if TYPE_CHECKING:
    from resolvers.context import Context
    from resolvers.demo import DemoWorld

MAX_SKU_LENGTH = 64


def visible_to(customer: Customer) -> ColumnElement[bool]:
    """Which products `customer` may see and order: the one rule for lists and orderCreate.

    Only active products. STANDARD_AND_EXCLUSIVE: public (non-exclusive) products
    plus the exclusive ones granted to the customer; EXCLUSIVE_ONLY: only those granted.
    """
    granted = exists().where(
        ProductExclusiveCustomer.product_id == Product.id,
        ProductExclusiveCustomer.customer_id == customer.id,
    )
    if customer.product_display == ProductDisplay.EXCLUSIVE_ONLY:
        return and_(Product.active.is_(True), Product.exclusive.is_(True), granted)
    return and_(Product.active.is_(True), or_(Product.exclusive.is_(False), granted))


# ---------------------------------------------------------------------------
# Loaders
# ---------------------------------------------------------------------------


async def load_product(context: Context, ids: Sequence[int]) -> list[Product | None]:
    return await rows_by_id(context, Product, ids)


async def load_exclusive_customers(
    context: Context, product_ids: Sequence[int]
) -> list[list[Customer]]:
    """The customers granted each product, by name."""
    result = await context.session.execute(
        select(ProductExclusiveCustomer.product_id, Customer)
        .join(Customer, Customer.id == ProductExclusiveCustomer.customer_id)
        .where(ProductExclusiveCustomer.product_id.in_(set(product_ids)))
        .order_by(Customer.name_key, Customer.id)
    )
    granted: dict[int, list[Customer]] = {}
    for product_id, customer in result.all():
        granted.setdefault(product_id, []).append(customer)
    return [granted.get(product_id, []) for product_id in product_ids]


# ---------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------


async def products_page(
    context: Context,
    args: PageArgs,
    *,
    visible_to_id: str | None,
    search: str | None,
    include_inactive: bool,
) -> Any:
    """The catalogue by name; `visible_to_id` narrows it to what that customer may order."""
    statement = select(Product)
    if visible_to_id is not None:
        customer = await _customer(context.session, visible_to_id)
        statement = statement.where(visible_to(customer))
    elif not include_inactive:
        statement = statement.where(Product.active.is_(True))
    term = (search_term(search) or "").strip().lower()
    if term:
        pattern = like_pattern(term)
        statement = statement.where(
            or_(
                func.lower(Product.name).like(pattern, escape="\\"),
                func.lower(Product.sku).like(pattern, escape="\\"),
            )
        )
    return await paginate_for(context, statement, [SortKey(Product.name)], Product.id, args)


async def _customer(session: Any, global_id: str) -> Customer:
    decoded = decode_id(global_id)
    if decoded is None or decoded[0] != "Customer":
        raise BadUserInput(f"Not a valid Customer id: {global_id!r}.", code="INVALID_ID")
    customer = await session.get(Customer, decoded[1])
    if customer is None:
        raise BadUserInput(f"No customer {global_id!r} in your company.", code="NOT_FOUND")
    return customer


# ---------------------------------------------------------------------------
# Mutations
# ---------------------------------------------------------------------------


def _product_values(errors: ErrorCollector, input: Any, *, creating: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if creating or input.sku is not UNSET:
        values["sku"] = clean_text(
            errors, "sku", input.sku, required=True, max_length=MAX_SKU_LENGTH, label="SKU"
        )
    if creating or input.name is not UNSET:
        values["name"] = clean_text(errors, "name", input.name, required=True)
    if input.description is not UNSET:
        values["description"] = clean_text(
            errors, "description", input.description, max_length=5000
        )
    if creating or input.price is not UNSET:
        if input.price is None:
            errors.add("price", "Price is required.", UserErrorCode.REQUIRED)
        else:
            price_cents = errors.collect(
                decimal_to_cents,
                input.price,
                ("input", "price"),
                minimum=decimal.Decimal(0),
                label="Price",
            )
            if price_cents is not None:
                values["price_cents"] = price_cents
    for flag in ("active", "exclusive"):
        value = getattr(input, flag)
        if value not in (UNSET, None):
            values[flag] = value
    return values


async def _sku_taken(session: AsyncSession, sku: str, except_id: int | None = None) -> bool:
    statement = select(Product.id).where(func.lower(Product.sku) == sku.lower())
    if except_id is not None:
        statement = statement.where(Product.id != except_id)
    return (await session.execute(statement)).first() is not None


def _taken() -> UserInputError:
    return UserInputError.one(
        ("input", "sku"), "Another product already has this SKU.", UserErrorCode.TAKEN
    )


async def product_create(context: Context, input: Any) -> dict[str, Any]:
    viewer = context.viewer
    viewer.require(Permission.MANAGE_PRODUCTS)
    errors = ErrorCollector()
    values = _product_values(errors, input, creating=True)
    errors.raise_if_any()
    async with context.transaction() as session:
        if await _sku_taken(session, values["sku"]):
            raise _taken()
        product = Product(company_id=viewer.company_id, **values)
        session.add(product)
        try:
            await session.flush()
        except IntegrityError as error:  # a concurrent create took the SKU after our check
            raise _taken() from error
        record(session, viewer, "product.create", product, {"sku": [None, product.sku]})
    return {"product": product}


async def product_update(context: Context, id: str, input: Any) -> dict[str, Any]:
    viewer = context.viewer
    viewer.require(Permission.MANAGE_PRODUCTS)
    pk = parse_id(id, "Product", "id")
    errors = ErrorCollector()
    values = _product_values(errors, input, creating=False)
    errors.raise_if_any()
    async with context.transaction() as session:
        product = await session.get(Product, pk)
        if product is None:
            raise UserInputError.one("id", "No such product.", UserErrorCode.NOT_FOUND)
        await check_version(session, product, input.expected_version)
        if "sku" in values and await _sku_taken(session, values["sku"], product.id):
            raise _taken()
        changes = apply_changes(product, values)
        if changes:
            try:
                await session.flush()
            except IntegrityError as error:
                raise _taken() from error
            record(session, viewer, "product.update", product, changes)
    return {"product": product}


async def product_set_exclusive_customers(context: Context, input: Any) -> dict[str, Any]:
    """Replaces the set of customers granted a product (they matter while it is exclusive)."""
    viewer = context.viewer
    viewer.require(Permission.MANAGE_PRODUCTS)
    product_id = parse_id(input.product_id, "Product", ("input", "productId"))
    customer_ids = parse_ids(input.customer_ids, "Customer", ("input", "customerIds"))
    async with context.transaction() as session:
        product = await session.get(Product, product_id)
        if product is None:
            raise UserInputError.one(
                ("input", "productId"), "No such product.", UserErrorCode.NOT_FOUND
            )
        found = set(
            (
                await session.execute(select(Customer.id).where(Customer.id.in_(customer_ids)))
            ).scalars()
        )
        errors = ErrorCollector()
        for index, value in enumerate(input.customer_ids):
            decoded = decode_id(value)
            if decoded is not None and decoded[1] not in found:
                errors.add(
                    ("customerIds", str(index)), f"No customer {value!r}.", UserErrorCode.NOT_FOUND
                )
        errors.raise_if_any()
        before = set(
            (
                await session.execute(
                    select(ProductExclusiveCustomer.customer_id).where(
                        ProductExclusiveCustomer.product_id == product.id
                    )
                )
            ).scalars()
        )
        await session.execute(
            delete(ProductExclusiveCustomer).where(
                ProductExclusiveCustomer.product_id == product.id
            )
        )
        if customer_ids:
            await session.execute(
                insert(ProductExclusiveCustomer),
                [
                    {"company_id": viewer.company_id, "product_id": product.id, "customer_id": c}
                    for c in customer_ids
                ],
            )
        if before != set(customer_ids):
            record(
                session,
                viewer,
                "product.set_exclusive_customers",
                product,
                {"exclusiveCustomerIds": [sorted(before), sorted(customer_ids)]},
            )
    return {"product": product}


# ---------------------------------------------------------------------------
# Demo story
# ---------------------------------------------------------------------------

# (sku, name, price in cents, exclusive)
CATALOGUE: tuple[tuple[str, str, int, bool], ...] = (
    ("COF-ESP-1KG", "Espresso beans, 1 kg", 2450, False),
    ("COF-HOU-1KG", "House blend beans, 1 kg", 1990, False),
    ("COF-DEC-500", "Decaf beans, 500 g", 1275, False),
    ("TEA-EAR-100", "Earl Grey tea bags, 100", 899, False),
    ("TEA-GRN-100", "Green tea bags, 100", 849, False),
    ("TEA-CHA-1KG", "Chai concentrate, 1 L", 1150, False),
    ("CUP-PAP-12", "Paper cups 12 oz, 1000", 6800, False),
    ("CUP-PAP-16", "Paper cups 16 oz, 1000", 7450, False),
    ("CUP-LID-12", "Cup lids 12 oz, 1000", 3100, False),
    ("NAP-WHT-5K", "White napkins, 5000", 4200, False),
    ("STR-PAP-5K", "Paper straws, 5000", 3900, False),
    ("SUG-CAN-25", "Cane sugar sticks, 2500", 2875, False),
    ("MLK-OAT-12", "Oat milk barista, 12 × 1 L", 3600, False),
    ("MLK-ALM-12", "Almond milk, 12 × 1 L", 3450, False),
    ("SYR-VAN-1L", "Vanilla syrup, 1 L", 1099, False),
    ("SYR-CAR-1L", "Caramel syrup, 1 L", 1099, False),
    ("SYR-HAZ-1L", "Hazelnut syrup, 1 L", 1099, False),
    ("CHO-DRK-2KG", "Dark hot chocolate, 2 kg", 3299, False),
    ("BAK-CRO-48", "Butter croissants, frozen, 48", 5400, False),
    ("BAK-MUF-24", "Blueberry muffins, frozen, 24", 3150, False),
    ("BAK-BAG-36", "Plain bagels, frozen, 36", 2700, False),
    ("CLN-SAN-5L", "Food-safe sanitiser, 5 L", 2199, False),
    ("CLN-DSH-5L", "Dish detergent, 5 L", 1599, False),
    ("CLN-GLV-M", "Nitrile gloves M, 1000", 8900, False),
    ("CLN-GLV-L", "Nitrile gloves L, 1000", 8900, False),
    ("BAG-KRF-500", "Kraft carrier bags, 500", 4599, False),
    ("BOX-PST-100", "Pastry boxes, 100", 3825, False),
    ("LBL-THM-10", "Thermal labels, 10 rolls", 2350, False),
    ("RCT-PAP-50", "Receipt paper, 50 rolls", 4175, False),
    ("OIL-CAN-20L", "Canola frying oil, 20 L", 5650, False),
    ("SAL-SEA-5KG", "Sea salt, 5 kg", 1425, False),
    ("PEP-BLK-1KG", "Black pepper, ground, 1 kg", 2290, False),
    ("FLR-ALL-25", "All-purpose flour, 25 kg", 3175, False),
    ("BUT-UNS-10", "Unsalted butter, 10 kg", 8450, False),
    ("EGG-LRG-360", "Large eggs, 360", 7999, False),
    ("CHE-CHD-5KG", "Aged cheddar, 5 kg", 6425, False),
    ("COF-RES-GEI", "Reserve Geisha beans, 250 g", 4800, True),
    ("COF-RES-KEN", "Reserve Kenya AA beans, 1 kg", 3950, True),
    ("WIN-PIN-12", "House pinot noir, case of 12", 18000, True),
    ("OIL-OLV-EVO", "Estate olive oil, 5 L", 9500, True),
)


async def seed_demo_story(session: AsyncSession, world: DemoWorld) -> None:
    """The demo catalogue; the exclusive products are granted to a few customers."""
    rng = world.rng
    products = [
        Product(
            company_id=world.company.id,
            sku=sku,
            name=name,
            description=f"{name}. Wholesale pack.",
            price_cents=price,
            exclusive=exclusive,
            # One discontinued public product, kept for order history.
            active=sku != "COF-DEC-500",
        )
        for sku, name, price, exclusive in CATALOGUE
    ]
    session.add_all(products)
    await session.flush()
    for product in products:
        if product.exclusive:
            for customer in rng.sample(world.customers, 3):
                session.add(
                    ProductExclusiveCustomer(
                        company_id=world.company.id, product_id=product.id, customer_id=customer.id
                    )
                )
    await session.flush()
