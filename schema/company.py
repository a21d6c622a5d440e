"""The viewer's company and its settings."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from resolvers import company as resolvers
from schema.enums import RepVisibility
from schema.errors import USER_ERRORS, UserError, mutate


@strawberry.type(description="Your company (tenant) and its settings.")
class Company:
    name: str
    slug: str
    timezone: str = strawberry.field(
        description="IANA time zone for report periods and 'days since', e.g. Europe/Paris."
    )
    allow_partial_payments: bool = strawberry.field(
        description="Default for customers whose own setting is null."
    )
    rep_visibility: RepVisibility = strawberry.field(
        description="ASSIGNED_ONLY limits REPs to their own book of customers."
    )
    created_at: datetime
    version: int


@strawberry.input(description="The input of `companyUpdate`.")
class CompanyUpdateInput:
    name: str | None = strawberry.UNSET
    timezone: str | None = strawberry.UNSET
    allow_partial_payments: bool | None = strawberry.UNSET
    rep_visibility: RepVisibility | None = strawberry.UNSET
    expected_version: int | None = None


@strawberry.type(
    description=(
        "What `companyUpdate` answers: the affected object, or userErrors when nothing was written."
    )
)
class CompanyUpdatePayload:
    company: Company | None = None
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in staff member's company.")
    async def company(self, info: Info) -> Company:
        return await resolvers.viewer_company(info.context)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="ADMIN only; audited.")
    async def company_update(self, info: Info, input: CompanyUpdateInput) -> CompanyUpdatePayload:
        return await mutate(
            CompanyUpdatePayload, lambda: resolvers.company_update(info.context, input)
        )
