"""The viewer's company: settings and company-wide lists."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from strawberry import UNSET

from db.enums import RepVisibility
from db.models import Company, PaymentTerms
from resolvers.audit import apply_changes, record
from resolvers.errors import ErrorCollector, UserErrorCode
from resolvers.permissions import Permission
from resolvers.sales_rollup import rebuild_sales_rollup
from resolvers.validation import check_version, clean_text

if TYPE_CHECKING:
    from resolvers.context import Context


async def payment_terms(context: Context) -> list[PaymentTerms]:
    result = await context.session.execute(
        select(PaymentTerms).order_by(PaymentTerms.due_in_days, PaymentTerms.name)
    )
    return list(result.scalars())


async def viewer_company(context: Context) -> Company:
    return await context.session.get(Company, context.viewer.company_id)


def valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


async def company_update(context: Context, input: Any) -> dict[str, Any]:
    viewer = context.viewer
    viewer.require(Permission.MANAGE_COMPANY)
    errors = ErrorCollector()
    values: dict[str, Any] = {}
    if input.name is not UNSET:
        values["name"] = clean_text(errors, "name", input.name, required=True)
    if input.timezone not in (UNSET, None):
        if not valid_timezone(input.timezone):
            errors.add(
                "timezone",
                f"Unknown time zone {input.timezone!r}; use an IANA name like Europe/Paris.",
                UserErrorCode.INVALID,
            )
        values["timezone"] = input.timezone
    if input.allow_partial_payments not in (UNSET, None):
        values["allow_partial_payments"] = input.allow_partial_payments
    if input.rep_visibility not in (UNSET, None):
        values["rep_visibility"] = RepVisibility(input.rep_visibility.value)
    errors.raise_if_any()
    async with context.transaction() as session:
        company = await session.get(Company, viewer.company_id, with_for_update=True)
        assert company is not None  # the viewer's company: a token outlives no company
        await check_version(session, company, input.expected_version, locked=True)
        changes = apply_changes(company, values)
        if changes:
            company.version += 1
            record(session, viewer, "company.update", company, changes)
        if "timezone" in changes:
            # Sales days are local days: recount them in the new zone (the row is locked).
            await rebuild_sales_rollup(session, company.id)
    return {"company": company}
