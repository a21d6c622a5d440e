"""The viewer's company and its settings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers import company as resolvers
from schema.enums import RepVisibility
from schema.errors import USER_ERRORS, UserError, mutate
from schema.relay import model_type


@model_type(models.Company, description="Your company (tenant) and its settings.")
class Company(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="The company's name.")
    slug: str = strawberry.field(
        description="Short unique name, used by the CLI (`staff create --company SLUG`)."
    )
    timezone: str = strawberry.field(
        description="IANA time zone for report periods and 'days since', e.g. Europe/Paris."
    )
    allow_partial_payments: bool = strawberry.field(
        description="Default for customers whose own setting is null."
    )
    rep_visibility: RepVisibility = strawberry.field(
        description="ASSIGNED_ONLY limits REPs to their own book of customers."
    )
    created_at: datetime = strawberry.field(description="When the company was created.")
    version: int = strawberry.field(
        description=(
            "Grows by one with every change; pass it as `expectedVersion` to refuse lost updates."
        )
    )


@strawberry.input(description="The input of `companyUpdate`.")
class CompanyUpdateInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="The company's name.")
    timezone: str | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            'IANA time zone, e.g. "America/Chicago": days, months and "today" are counted in it.'
        ),
    )
    allow_partial_payments: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "Whether customers may pay an order in part unless their own setting says otherwise."
        ),
    )
    rep_visibility: RepVisibility | None = strawberry.field(
        default=strawberry.UNSET, description="Which customers REPs see."
    )
    expected_version: int | None = strawberry.field(
        default=None,
        description=(
            "The version you read; when it is not the current one the change is refused with "
            "STALE and nothing is written."
        ),
    )


@strawberry.type(
    description=(
        "What `companyUpdate` answers: the affected object, or userErrors when nothing was written."
    )
)
class CompanyUpdatePayload:
    company: Company | None = strawberry.field(
        default=None, description="The company as it is now; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in staff member's company.")
    async def company(self, info: Info) -> Company:
        # The row stands for the type (schema/relay.py model_type).
        return cast(Company, await resolvers.viewer_company(info.context))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="ADMIN only; audited.")
    async def company_update(
        self,
        info: Info,
        input: Annotated[CompanyUpdateInput, strawberry.argument(description="What to write.")],
    ) -> CompanyUpdatePayload:
        return await mutate(
            CompanyUpdatePayload, lambda: resolvers.company_update(info.context, input)
        )
