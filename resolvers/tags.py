"""Tags on customers: trimmed, case-insensitively unique, a few short ones per customer.

Stored one row per tag (db.models.CustomerTag) so the list filters by tag with an index
and `customerTags` counts them in the database. `tag_key` is the lower-cased tag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import UNSET

from db.models import CustomerTag
from resolvers.errors import ErrorCollector, UserErrorCode

if TYPE_CHECKING:
    from resolvers.context import Context

MAX_TAG_LENGTH = 40
MAX_TAGS_PER_CUSTOMER = 20


def tag_key(tag: str) -> str:
    return tag.lower()


def clean_tags(
    errors: ErrorCollector, field: str, values: Sequence[Any] | None, *, limit: int
) -> list[str]:
    """Trimmed tags, first spelling of each kept; userErrors for blank, long or too many.

    The count is checked first, so a list of a million tags is refused without a look
    at each of them.
    """
    if not values:
        return []
    if len(values) > limit:
        errors.add(
            field,
            f"At most {limit} tags ({len(values)} given).",
            UserErrorCode.OUT_OF_RANGE,
        )
        return []
    tags: dict[str, str] = {}
    for index, raw in enumerate(values):
        tag = raw.strip() if isinstance(raw, str) else ""
        if not tag:
            errors.add((field, str(index)), "A tag cannot be blank.", UserErrorCode.REQUIRED)
        elif len(tag) > MAX_TAG_LENGTH:
            errors.add(
                (field, str(index)),
                f"A tag may be at most {MAX_TAG_LENGTH} characters.",
                UserErrorCode.TOO_LONG,
            )
        else:
            tags.setdefault(tag_key(tag), tag)
    return list(tags.values())


def ordered(tags: Sequence[str]) -> list[str]:
    """Tags as Customer.tags shows them: alphabetical, case-insensitively."""
    return sorted(tags, key=lambda tag: (tag_key(tag), tag))


async def tags_by_customer(session: Any, customer_ids: Sequence[int]) -> dict[int, list[str]]:
    by_customer: dict[int, list[str]] = {pk: [] for pk in customer_ids}
    if customer_ids:
        rows = await session.execute(
            select(CustomerTag.customer_id, CustomerTag.tag)
            .where(CustomerTag.customer_id.in_(set(customer_ids)))
            .order_by(CustomerTag.tag_key)
        )
        for customer_id, tag in rows:
            by_customer[customer_id].append(tag)
    return by_customer


async def load_tags(context: Context, customer_ids: Sequence[int]) -> list[list[str]]:
    """Each customer's tags: one statement for a whole page."""
    found = await tags_by_customer(context.session, customer_ids)
    return [found[pk] for pk in customer_ids]


async def write_tags(
    session: AsyncSession, company_id: int, customer_id: int, before: list[str], after: list[str]
) -> None:
    """Replaces one customer's tag rows `before` by `after`, touching only the difference
    (a respelled tag is rewritten)."""
    kept = set(before) & set(after)
    gone = [tag_key(tag) for tag in before if tag not in kept]
    if gone:
        await session.execute(
            delete(CustomerTag).where(
                CustomerTag.customer_id == customer_id, CustomerTag.tag_key.in_(gone)
            )
        )
    new = [tag for tag in after if tag not in kept]
    if new:
        await session.execute(
            insert(CustomerTag),
            [
                {
                    "company_id": company_id,
                    "customer_id": customer_id,
                    "tag": t,
                    "tag_key": tag_key(t),
                }
                for t in new
            ],
        )


async def replace_tags(
    session: AsyncSession, customer: Any, tags: list[str]
) -> dict[str, list[Any]]:
    """Sets a customer's tags (customerCreate/Update `tags`); {"tags": [before, after]}
    when they change, for the audit trail."""
    before = (await tags_by_customer(session, [customer.id]))[customer.id]
    after = ordered(tags)
    if before == after:
        return {}
    await write_tags(session, customer.company_id, customer.id, before, after)
    return {"tags": [before, after]}


def tag_values(errors: ErrorCollector, input: Any) -> list[str] | None:
    """The `tags` of a create or update input, cleaned; None when not given."""
    raw = getattr(input, "tags", None)
    if raw is None or raw is UNSET:
        return None
    return clean_tags(errors, "tags", raw, limit=MAX_TAGS_PER_CUSTOMER)


@dataclass(frozen=True)
class TagCountRow:
    tag: str
    count: int


async def customer_tags(context: Context) -> list[TagCountRow]:
    """Every tag of the company's (visible) customers with how many carry it, most used
    first, then alphabetically."""
    count = func.count(CustomerTag.id)
    rows = await context.session.execute(
        select(func.min(CustomerTag.tag), count)
        .group_by(CustomerTag.tag_key)
        .order_by(count.desc(), CustomerTag.tag_key)
    )
    return [TagCountRow(tag, n) for tag, n in rows]
