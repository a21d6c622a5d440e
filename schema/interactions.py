"""The relationship with a customer: sales rep assignment, the interaction log, its report."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, cast

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from resolvers import interactions as resolvers
from resolvers import interactions_report, localtime, sales_rep, timeline
from resolvers.context import loaded
from resolvers.ids import encode_id
from resolvers.loaders import load_customer, load_staff
from resolvers.pagination import PageArgs
from resolvers.tasks import load_contacts, load_locations
from schema.enums import InteractionKind, graphql_enum
from schema.errors import USER_ERRORS, UserError, mutate
from schema.relay import After, Before, Connection, First, Last, model_type
from schema.staff import Staff

if TYPE_CHECKING:
    from schema.contacts import Contact
    from schema.customers import Customer
    from schema.locations import Location
    from schema.tasks import InteractionFollowUpInput, Task

CustomerRef = Annotated["Customer", strawberry.lazy("schema.customers")]
TaskRef = Annotated["Task", strawberry.lazy("schema.tasks")]
ContactRef = Annotated["Contact", strawberry.lazy("schema.contacts")]
LocationRef = Annotated["Location", strawberry.lazy("schema.locations")]
FollowUpRef = Annotated["InteractionFollowUpInput", strawberry.lazy("schema.tasks")]


@model_type(
    models.Interaction,
    description="A visit, call, email, note... with a customer, written by a staff member.",
)
class Interaction(relay.Node):
    id: relay.NodeID[int]
    kind: InteractionKind = strawberry.field(description="How the contact happened.")
    body: str = strawberry.field(description="What was said or done.")
    created_at: datetime = strawberry.field(
        description="The same instant as occurredAt (kept for clients of the first release)."
    )
    updated_at: datetime = strawberry.field(description="When it was last edited.")
    edited: bool = strawberry.field(description="Whether it was changed after being logged.")
    version: int = strawberry.field(
        description=(
            "Grows by one with every change; pass it as `expectedVersion` to refuse lost updates."
        )
    )

    @strawberry.field(description="The customer it was with.")
    async def customer(root: strawberry.Parent[models.Interaction], info: Info) -> CustomerRef:
        return await info.context.loaders[load_customer].load(root.customer_id)

    @strawberry.field(description="Who wrote it (not necessarily the customer's sales rep).")
    async def author(root: strawberry.Parent[models.Interaction], info: Info) -> Staff:
        return await info.context.loaders[load_staff].load(root.author_id)

    @strawberry.field(description="When it happened, as given in occurredAt (else when logged).")
    def occurred_at(root: strawberry.Parent[models.Interaction]) -> datetime:
        return root.created_at

    @strawberry.field(description="The contact spoken to, if named.")
    def contact(root: strawberry.Parent[models.Interaction], info: Info) -> ContactRef | None:
        return spoken_to(info, root.contact_id, load_contacts)

    @strawberry.field(description="The location it was about or at, if named.")
    def location(root: strawberry.Parent[models.Interaction], info: Info) -> LocationRef | None:
        return spoken_to(info, root.location_id, load_locations)


def spoken_to(info: Info, pk: int | None, batch: Any) -> Any:
    return None if pk is None else loaded(info.context, batch, pk)


# Customer fields of this domain (schema/customers.py, "Interactions (issue 4)").


async def customer_interactions(
    root: models.Customer,
    info: Info,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    kinds: Annotated[
        list[InteractionKind] | None,
        strawberry.argument(description="Only interactions of these kinds."),
    ] = None,
) -> Connection[Interaction]:
    page = await resolvers.customer_interactions_page(
        info.context, root.id, PageArgs(first, after, last, before), kinds
    )
    return Connection.from_page(page)


async def customer_notes(
    root: models.Customer,
    info: Info,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
) -> Connection[Interaction]:
    page = await resolvers.customer_interactions_page(
        info.context,
        root.id,
        PageArgs(first, after, last, before),
        [models.InteractionKind.NOTE],
    )
    return Connection.from_page(page)


def customer_last_interaction_at(root: models.Customer) -> datetime | None:
    return root.last_interaction_at


def customer_days_since_last_interaction(root: models.Customer, info: Info) -> int | None:
    return localtime.days_since(root.last_interaction_at, localtime.company_timezone(info.context))


@strawberry.input(description="Interactions matching all the given conditions.")
class InteractionFilter:
    staff_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Written by any of these staff members."
    )
    customer_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only interactions with these customers."
    )
    kinds: list[InteractionKind] | None = strawberry.field(
        default=None, description="Only interactions of these kinds."
    )
    occurred_from: date | None = strawberry.field(
        default=None,
        description="First day of occurredAt (inclusive, in the company's time zone).",
    )
    occurred_to: date | None = strawberry.field(
        default=None,
        description="Last day of occurredAt (inclusive, in the company's time zone).",
    )
    from_: datetime | None = strawberry.field(
        default=None,
        name="from",
        description="Happened at or after this moment.",
        deprecation_reason="Day ranges are Dates: use occurredFrom (a day, inclusive).",
    )
    to: datetime | None = strawberry.field(
        default=None,
        description="Happened before this moment.",
        deprecation_reason="Day ranges are Dates: use occurredTo (a day, inclusive).",
    )
    search: str | None = strawberry.field(
        default=None, description="Words in the body, case-insensitive."
    )


@strawberry.input(description="The input of `interactionCreate`.")
class InteractionCreateInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer it was with.")
    kind: InteractionKind = strawberry.field(description="How the contact happened.")
    body: str = strawberry.field(description="Required; at most 10,000 characters.")
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it happened, if not now; never in the future."
    )
    contact_id: strawberry.ID | None = strawberry.field(
        default=None, description="The contact spoken to: one of the customer's."
    )
    location_id: strawberry.ID | None = strawberry.field(
        default=None, description="The location concerned: one of the customer's."
    )
    follow_up: FollowUpRef | None = strawberry.field(
        default=None,
        description="A task created in the same transaction (payload `task`), with this "
        "interaction's contact and location.",
    )


@strawberry.input(description="The input of `interactionUpdate`.")
class InteractionUpdateInput:
    kind: InteractionKind | None = strawberry.field(
        default=strawberry.UNSET, description="How the contact happened."
    )
    body: str | None = strawberry.field(
        default=strawberry.UNSET, description="What was said or done."
    )
    occurred_at: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="When it happened (an instant with offset)."
    )
    contact_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="One of the customer's contacts; null clears it."
    )
    location_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="One of the customer's locations; null clears it."
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
        "What `customerSetSalesRep` answers: the affected object, or userErrors when "
        "nothing was written."
    )
)
class CustomerSetSalesRepPayload:
    customer: CustomerRef | None = strawberry.field(
        default=None, description="The customer as it is now; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description=(
        "What `interactionCreate` answers: the affected object, or userErrors when "
        "nothing was written."
    )
)
class InteractionCreatePayload:
    interaction: Interaction | None = strawberry.field(
        default=None, description="The interaction as it is now; null when userErrors."
    )
    task: TaskRef | None = strawberry.field(
        default=None, description="The follow-up created with it, when `followUp` was given."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description=(
        "What `interactionUpdate` answers: the affected object, or userErrors when "
        "nothing was written."
    )
)
class InteractionUpdatePayload:
    interaction: Interaction | None = strawberry.field(
        default=None, description="The interaction as it is now; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description=(
        "What `interactionDelete` answers: the deleted object's id, or userErrors when "
        "nothing was deleted."
    )
)
class InteractionDeletePayload:
    deleted_interaction_id: strawberry.ID | None = strawberry.field(
        default=None, description="The global id of the deleted interaction; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


InteractionReportGroup = interactions_report.ReportGroup
graphql_enum(
    InteractionReportGroup,
    name="InteractionReportGroup",
    description="What to count interactions by; periods are in the company's time zone.",
    value_descriptions={
        InteractionReportGroup.STAFF: "One row per author.",
        InteractionReportGroup.CUSTOMER: "One row per customer.",
        InteractionReportGroup.KIND: "One row per interaction kind.",
        InteractionReportGroup.DAY: "One row per day (company time zone).",
        InteractionReportGroup.WEEK: "One row per ISO week, starting Monday (company time zone).",
        InteractionReportGroup.MONTH: "One row per month (company time zone).",
    },
)


@strawberry.type(description="One group of interactions; fields not grouped by are null.")
class InteractionReportRow:
    kind: InteractionKind | None = strawberry.field(description="The kind (when grouped by KIND).")
    period: date | None = strawberry.field(
        description="The first day of the DAY, WEEK (Monday) or MONTH, in the company's time zone."
    )
    count: int = strawberry.field(description="How many interactions the row holds.")
    last_interaction_at: datetime | None = strawberry.field(
        description="When the row's latest interaction occurred."
    )
    staff_id: strawberry.Private[int | None]
    customer_id: strawberry.Private[int | None]

    @strawberry.field(description="The author, when grouped by STAFF.")
    async def staff(self, info: Info) -> Staff | None:
        if self.staff_id is None:
            return None
        return await info.context.loaders[load_staff].load(self.staff_id)

    @strawberry.field(description="The customer (when grouped by CUSTOMER).")
    async def customer(self, info: Info) -> CustomerRef | None:
        if self.customer_id is None:
            return None
        return await info.context.loaders[load_customer].load(self.customer_id)


@strawberry.type
class Query:
    @strawberry.field(description="Every interaction of your company, newest first.")
    async def interactions(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            InteractionFilter | None, strawberry.argument(description="Which interactions.")
        ] = None,
    ) -> Connection[Interaction]:
        page = await resolvers.interactions_page(
            info.context,
            resolvers.parse_filter(filter, timezone=info.context.viewer.company_timezone),
            PageArgs(first, after, last, before),
        )
        return Connection.from_page(page)

    @strawberry.field(
        description="Who talked to whom, and when: interaction counts grouped in the database, "
        "sorted by period, then count (highest first)."
    )
    async def interactions_report(
        self,
        info: Info,
        group_by: Annotated[
            list[InteractionReportGroup],
            strawberry.argument(description="How to group the rows (several combine)."),
        ],
        filter: Annotated[
            InteractionFilter | None,
            strawberry.argument(description="Which interactions to count."),
        ] = None,
        include_silent_staff: Annotated[
            bool,
            strawberry.argument(
                description="With STAFF grouping: active staff with no matching interaction "
                "appear with count 0, so a manager sees who has gone quiet."
            ),
        ] = False,
    ) -> list[InteractionReportRow]:
        rows = await interactions_report.interactions_report(
            info.context,
            resolvers.parse_filter(filter, timezone=info.context.viewer.company_timezone),
            group_by,
            include_silent_staff,
        )
        return [
            InteractionReportRow(
                kind=row.kind,
                period=row.period,
                count=row.count,
                last_interaction_at=row.last_interaction_at,
                staff_id=row.staff_id,
                customer_id=row.customer_id,
            )
            for row in rows
        ]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Assigns an active staff member as the customer's sales rep; "
        "`staffId: null` leaves the customer unassigned."
    )
    async def customer_set_sales_rep(
        self,
        info: Info,
        customer_id: Annotated[strawberry.ID, strawberry.argument(description="The customer.")],
        staff_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The new rep (active staff); null unassigns."),
        ],
    ) -> CustomerSetSalesRepPayload:
        return await mutate(
            CustomerSetSalesRepPayload,
            lambda: sales_rep.customer_set_sales_rep(info.context, customer_id, staff_id),
        )

    @strawberry.mutation(description="Logs an interaction with a customer; you are its author.")
    async def interaction_create(
        self,
        info: Info,
        input: Annotated[InteractionCreateInput, strawberry.argument(description="What to write.")],
    ) -> InteractionCreatePayload:
        return await mutate(
            InteractionCreatePayload, lambda: resolvers.interaction_create(info.context, input)
        )

    @strawberry.mutation(description="REPs change only their own entries; managers any.")
    async def interaction_update(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The global id of the interaction to change."),
        ],
        input: Annotated[InteractionUpdateInput, strawberry.argument(description="What to write.")],
    ) -> InteractionUpdatePayload:
        return await mutate(
            InteractionUpdatePayload,
            lambda: resolvers.interaction_update(info.context, id, input),
        )

    @strawberry.mutation(
        description="REPs delete only their own entries; the text stays in the audit trail."
    )
    async def interaction_delete(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The global id of the interaction to change."),
        ],
    ) -> InteractionDeletePayload:
        return await mutate(
            InteractionDeletePayload, lambda: resolvers.interaction_delete(info.context, id)
        )


CustomerTimelineEventKind = timeline.TimelineEventKind
graphql_enum(
    CustomerTimelineEventKind,
    name="CustomerTimelineEventKind",
    description="What happened on a customer's timeline.",
    value_descriptions={
        CustomerTimelineEventKind.CREATED: "An interaction was logged.",
        CustomerTimelineEventKind.UPDATED: "An interaction was edited.",
        CustomerTimelineEventKind.DELETED: "An interaction was deleted.",
        CustomerTimelineEventKind.TASK_COMPLETED: "A task of the customer was marked DONE (`task`).",
    },
)


@strawberry.type(
    description="A change to a customer's interaction log, or a task completed, as committed."
)
class CustomerTimelineEvent:
    event: CustomerTimelineEventKind = strawberry.field(description="What happened.")
    interaction: Interaction | None = strawberry.field(
        description="The interaction as committed; null once DELETED and for task events."
    )
    interaction_id: strawberry.ID | None = strawberry.field(
        description="The interaction's id; null for task events."
    )
    task: TaskRef | None = strawberry.field(
        default=None, description="The task completed (TASK_COMPLETED events)."
    )
    task_id: strawberry.ID | None = strawberry.field(
        default=None, description="The task's id (TASK_COMPLETED events)."
    )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Interactions created, edited and deleted on one customer's timeline, "
        "live, and tasks completed. Over WebSocket (graphql-transport-ws); the token goes in connection_init's "
        'payload as {"Authorization": "Bearer <token>"}.'
    )
    async def customer_timeline(
        self,
        info: Info,
        customer_id: Annotated[
            strawberry.ID, strawberry.argument(description="The customer to follow.")
        ],
    ) -> AsyncGenerator[CustomerTimelineEvent, None]:
        async for event, row in timeline.customer_timeline(info.context, customer_id):
            yield timeline_event(event, row)


def timeline_event(event: timeline.TimelineEvent, row: Any) -> CustomerTimelineEvent:
    # The rows stand for their types (Interaction, Task).
    if event.task_id is not None:
        return CustomerTimelineEvent(
            event=event.kind,
            interaction=None,
            interaction_id=None,
            task=row,
            task_id=strawberry.ID(encode_id("Task", event.task_id)),
        )
    assert event.interaction_id is not None
    return CustomerTimelineEvent(
        event=event.kind,
        interaction=cast(Interaction | None, row),
        interaction_id=strawberry.ID(encode_id("Interaction", event.interaction_id)),
    )
