"""The viewer's company and its settings."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.types import Info

from resolvers import company as resolvers
from schema.enums import RepVisibility
from schema.errors import UserError, mutate


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


@strawberry.input
class CompanyUpdateInput:
    name: str | None = strawberry.UNSET
    timezone: str | None = strawberry.UNSET
    allow_partial_payments: bool | None = strawberry.UNSET
    rep_visibility: RepVisibility | None = strawberry.UNSET
    expected_version: int | None = None


@strawberry.type
class CompanyUpdatePayload:
    company: Company | None = None
    user_errors: list[UserError]


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in staff member's company.")
    async def company(self, info: Info) -> Company:
        # The row stands for the type (schema/relay.py model_type).
        return cast(Company, await resolvers.viewer_company(info.context))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="ADMIN only; audited.")
    async def company_update(self, info: Info, input: CompanyUpdateInput) -> CompanyUpdatePayload:
        return await mutate(
            CompanyUpdatePayload, lambda: resolvers.company_update(info.context, input)
        )
