"""Staff members, sign-in and the viewer."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers import accounts
from resolvers.pagination import PageArgs
from schema.enums import Role
from schema.errors import USER_ERRORS, UserError, mutate
from schema.relay import After, Before, Connection, First, Last, model_type

if TYPE_CHECKING:
    from schema.customers import Customer


@model_type(models.Staff, description="A staff member (sales rep, manager or admin).")
class Staff(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="The staff member's name.")
    email: str = strawberry.field(description="E-mail address; also their sign-in name.")
    role: Role = strawberry.field(description="What they may do.")
    active: bool = strawberry.field(
        description="False once deactivated: no sign-in, no new assignments."
    )
    created_at: datetime = strawberry.field(description="When they were added.")
    version: int = strawberry.field(
        description=(
            "Grows by one with every change; pass it as `expectedVersion` to refuse lost updates."
        )
    )

    @strawberry.field(description="Customers whose sales rep this staff member is.")
    async def assigned_customers(
        root: strawberry.Parent[models.Staff],
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Annotated[Customer, strawberry.lazy("schema.customers")]]:
        from resolvers.customers import assigned_customers_page

        page = await assigned_customers_page(
            info.context, root.id, PageArgs(first, after, last, before)
        )
        return Connection.from_page(page)


@strawberry.input(description="The input of `login`.")
class LoginInput:
    email: str = strawberry.field(description="The staff member's e-mail address.")
    password: str = strawberry.field(description="Their password.")
    company: str | None = strawberry.field(
        default=None,
        description="The company's slug: needed only when this e-mail and password sign in "
        "to more than one company (an e-mail is unique within a company, not across them).",
    )


@strawberry.type(
    description="What `login` answers: a bearer token and the staff member, or userErrors."
)
class LoginPayload:
    token: str | None = strawberry.field(
        default=None,
        description="Bearer token for `Authorization: Bearer …`; null when userErrors.",
    )
    staff: Staff | None = strawberry.field(default=None, description="The signed-in staff member.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="What `logout` answers: whether the token was revoked.")
class LogoutPayload:
    revoked: bool = strawberry.field(
        default=False,
        description="Whether the token was revoked (it is refused from now on with reason REVOKED).",
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="The input of `staffCreate`.")
class StaffCreateInput:
    name: str = strawberry.field(description="Their name.")
    email: str = strawberry.field(
        description="E-mail address, unique within the company; their sign-in name."
    )
    role: Role = strawberry.field(description="What they may do.")
    password: str | None = strawberry.field(
        default=None, description="At least 10 characters; without one the member cannot sign in."
    )


@strawberry.input(description="The input of `staffUpdate`.")
class StaffUpdateInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Their name.")
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="E-mail address, unique within the company."
    )
    role: Role | None = strawberry.field(default=strawberry.UNSET, description="What they may do.")
    active: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="false deactivates: the member's tokens stop working at once.",
    )
    password: str | None = strawberry.field(
        default=strawberry.UNSET, description="A new password (at least 8 characters)."
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
        "What `staffCreate` answers: the affected object, or userErrors when nothing was written."
    )
)
class StaffCreatePayload:
    staff: Staff | None = strawberry.field(
        default=None, description="The staff as it is now; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description=(
        "What `staffUpdate` answers: the affected object, or userErrors when nothing was written."
    )
)
class StaffUpdatePayload:
    staff: Staff | None = strawberry.field(
        default=None, description="The staff as it is now; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in staff member.")
    async def me(self, info: Info) -> Staff:
        return await info.context.session.get(models.Staff, info.context.viewer.staff_id)

    @strawberry.field(description="Staff of your company, by name; `active: true` for rep pickers.")
    async def staff_members(
        self,
        info: Info,
        active: Annotated[
            bool | None,
            strawberry.argument(
                description="Only active (true) or deactivated (false) staff; null: all."
            ),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Staff]:
        page = await accounts.staff_page(info.context, PageArgs(first, after, last, before), active)
        return Connection.from_page(page)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Signs in; the token goes in `Authorization: Bearer`.")
    async def login(
        self,
        info: Info,
        input: Annotated[LoginInput, strawberry.argument(description="What to write.")],
    ) -> LoginPayload:
        return await mutate(
            LoginPayload,
            lambda: accounts.login(info.context, input.email, input.password, input.company),
        )

    @strawberry.mutation(description="Revokes the token this request was made with.")
    async def logout(self, info: Info) -> LogoutPayload:
        return await mutate(LogoutPayload, lambda: accounts.logout(info.context))

    @strawberry.mutation(description="ADMIN only.")
    async def staff_create(
        self,
        info: Info,
        input: Annotated[StaffCreateInput, strawberry.argument(description="What to write.")],
    ) -> StaffCreatePayload:
        return await mutate(StaffCreatePayload, lambda: accounts.staff_create(info.context, input))

    @strawberry.mutation(description="ADMIN only. Deactivating signs the member out.")
    async def staff_update(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The global id of the staff to change.")
        ],
        input: Annotated[StaffUpdateInput, strawberry.argument(description="What to write.")],
    ) -> StaffUpdatePayload:
        return await mutate(
            StaffUpdatePayload, lambda: accounts.staff_update(info.context, id, input)
        )
