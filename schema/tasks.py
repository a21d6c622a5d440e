"""Follow-up tasks: the Task type, the `tasks` list, its mutations, Customer.tasks/nextTask."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from db import models
from db.enums import TaskStatus as _TaskStatus
from resolvers import tasks as resolvers
from resolvers.context import loaded, then
from resolvers.loaders import load_customer, load_staff
from resolvers.pagination import PageArgs
from schema.enums import SortDirection, graphql_enum
from schema.errors import UserError, mutate
from schema.relay import After, Before, Connection, First, Last, model_type
from schema.staff import Staff

if TYPE_CHECKING:
    from schema.contacts import Contact
    from schema.customers import Customer
    from schema.locations import Location

CustomerRef = Annotated["Customer", strawberry.lazy("schema.customers")]
ContactRef = Annotated["Contact", strawberry.lazy("schema.contacts")]
LocationRef = Annotated["Location", strawberry.lazy("schema.locations")]

TaskStatus = _TaskStatus
graphql_enum(
    TaskStatus,
    name="TaskStatus",
    description="Where a follow-up stands.",
    value_descriptions={
        _TaskStatus.OPEN: "Still to do.",
        _TaskStatus.DONE: "Done (completedAt and completedBy say when and by whom).",
        _TaskStatus.CANCELLED: "Not to be done any more.",
    },
)
TaskSortField = resolvers.TaskSortField
graphql_enum(
    TaskSortField,
    name="TaskSortField",
    description="Task sort keys.",
    value_descriptions={
        "DUE_ON": "The due day; tasks without one come last when ascending.",
        "CREATED_AT": "When the task was created.",
    },
)


@model_type(models.Task, description="A follow-up: something to do for a customer by a day.")
class Task(relay.Node):
    id: relay.NodeID[int]
    title: str = strawberry.field(description='What to do, e.g. "Follow up on the quote".')
    notes: str | None = strawberry.field(description="Details, e.g. what was said last time.")
    due_on: date | None = strawberry.field(
        description="The day it is due, in the company's time zone; null: no due day."
    )
    status: TaskStatus = strawberry.field(description="OPEN, DONE or CANCELLED.")
    completed_at: datetime | None = strawberry.field(description="When it was marked DONE.")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    version: int = strawberry.field(description="Grows on every change; see expectedVersion.")

    @strawberry.field(description="OPEN and due before today in the company's time zone.")
    def overdue(root: strawberry.Parent[models.Task], info: Info) -> bool:
        return resolvers.is_overdue(
            root, resolvers.company_today(info.context.viewer.company_timezone)
        )

    @strawberry.field(description="The customer the follow-up is for.")
    def customer(root: strawberry.Parent[models.Task], info: Info) -> CustomerRef:
        return loaded(info.context, load_customer, root.customer_id)

    @strawberry.field(description="The contact to speak to, if any.")
    def contact(root: strawberry.Parent[models.Task], info: Info) -> ContactRef | None:
        if root.contact_id is None:
            return None
        return loaded(info.context, resolvers.load_contacts, root.contact_id)

    @strawberry.field(description="The location concerned, if any.")
    def location(root: strawberry.Parent[models.Task], info: Info) -> LocationRef | None:
        if root.location_id is None:
            return None
        return loaded(info.context, resolvers.load_locations, root.location_id)

    @strawberry.field(description="Who is to do it (an active staff member when assigned).")
    def assignee(root: strawberry.Parent[models.Task], info: Info) -> Staff:
        return loaded(info.context, load_staff, root.assignee_id)

    @strawberry.field(description="Who marked it DONE; null while not done.")
    def completed_by(root: strawberry.Parent[models.Task], info: Info) -> Staff | None:
        if root.completed_by_id is None:
            return None
        return loaded(info.context, load_staff, root.completed_by_id)

    @strawberry.field(description="Who created it; null if that staff record is gone.")
    def created_by(root: strawberry.Parent[models.Task], info: Info) -> Staff | None:
        if root.created_by_id is None:
            return None
        return loaded(info.context, load_staff, root.created_by_id)


@strawberry.input(description="Tasks matching every condition given.")
class TaskFilter:
    assignee_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Assigned to any of these staff members."
    )
    customer_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="For any of these customers."
    )
    statuses: list[TaskStatus] | None = strawberry.field(
        default=None, description="Any of these statuses; omitted: OPEN only."
    )
    overdue: bool | None = strawberry.field(
        default=None, description="true: only overdue tasks; false: only those not overdue."
    )
    due_from: date | None = strawberry.field(default=None, description="Due on or after this day.")
    due_to: date | None = strawberry.field(default=None, description="Due on or before this day.")


@strawberry.input(description="One sort key of the task list.")
class TaskSort:
    field: TaskSortField = strawberry.field(description="What to sort by.")
    direction: SortDirection = strawberry.field(
        default=SortDirection.ASC, description="ASC (the default) or DESC."
    )


@strawberry.input(description="A new follow-up for a customer.")
class TaskCreateInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer it is for.")
    title: str = strawberry.field(description="Required; at most 200 characters.")
    notes: str | None = strawberry.field(default=None, description="At most 5,000 characters.")
    due_on: date | None = strawberry.field(default=None, description="The day it is due.")
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="An active staff member; omitted: you."
    )
    contact_id: strawberry.ID | None = strawberry.field(
        default=None, description="A contact of the same customer."
    )
    location_id: strawberry.ID | None = strawberry.field(
        default=None, description="A location of the same customer."
    )


@strawberry.input(description="Only the fields given change; null clears notes or dueOn.")
class TaskUpdateInput:
    title: str | None = strawberry.field(
        default=strawberry.UNSET, description="Required when given; at most 200 characters."
    )
    notes: str | None = strawberry.field(
        default=strawberry.UNSET, description="At most 5,000 characters; null clears them."
    )
    due_on: date | None = strawberry.field(
        default=strawberry.UNSET, description="The day it is due; null: no due day."
    )
    assignee_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="An active staff member."
    )
    status: TaskStatus | None = strawberry.field(
        default=strawberry.UNSET,
        description="DONE records completedAt and completedBy; OPEN or CANCELLED clears them.",
    )
    expected_version: int | None = strawberry.field(
        default=None, description="The version you edited; another one is STALE."
    )


@strawberry.input(description="A follow-up created with an interaction, in the same transaction.")
class InteractionFollowUpInput:
    title: str = strawberry.field(description="Required; at most 200 characters.")
    due_on: date | None = strawberry.field(default=None, description="The day it is due.")
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="An active staff member; omitted: you."
    )


USER_ERRORS = (
    "Why the input was refused; empty when the mutation succeeded. When not empty, nothing "
    "was written."
)


@strawberry.type(description="What taskCreate did.")
class TaskCreatePayload:
    task: Task | None = strawberry.field(default=None, description="The new task.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="What taskUpdate did.")
class TaskUpdatePayload:
    task: Task | None = strawberry.field(default=None, description="The task as saved.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="What taskComplete did.")
class TaskCompletePayload:
    task: Task | None = strawberry.field(default=None, description="The task, now DONE.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(description="What taskDelete did.")
class TaskDeletePayload:
    deleted_task_id: strawberry.ID | None = strawberry.field(
        default=None, description="The id of the task deleted."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


# Customer fields of this domain (schema/customers.py, "Follow-ups (issue 18)").


def customer_tasks(
    root: models.Customer,
    info: Info,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    statuses: Annotated[
        list[TaskStatus] | None,
        strawberry.argument(description="Any of these statuses; omitted: all."),
    ] = None,
) -> Connection[Task]:
    args = PageArgs(first, after, last, before)
    tasks = loaded(info.context, resolvers.load_tasks_of_customers, root.id)
    return then(
        tasks,
        lambda rows: Connection.from_page(
            resolvers.customer_tasks_page(info.context, rows, statuses, args)
        ),
    )


def customer_next_task(root: models.Customer, info: Info) -> Task | None:
    return loaded(info.context, resolvers.load_next_tasks, root.id)


@strawberry.type
class Query:
    @strawberry.field(
        description="Follow-ups of the customers you can see; by default the OPEN ones by due "
        "day (none last), ties by id."
    )
    async def tasks(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        filter: Annotated[
            TaskFilter | None,
            strawberry.argument(description="Only tasks matching all of it; OPEN by default."),
        ] = None,
        sort: Annotated[
            list[TaskSort] | None,
            strawberry.argument(description="Sort keys in order; default dueOn ascending."),
        ] = None,
    ) -> Connection[Task]:
        page = await resolvers.tasks_page(
            info.context, PageArgs(first, after, last, before), filter, sort
        )
        return Connection.from_page(page)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="A follow-up for a customer; assigned to you by default.")
    async def task_create(
        self,
        info: Info,
        input: Annotated[TaskCreateInput, strawberry.argument(description="The task.")],
    ) -> TaskCreatePayload:
        return await mutate(TaskCreatePayload, lambda: resolvers.task_create(info.context, input))

    @strawberry.mutation(description="`expectedVersion` guards against lost updates (STALE).")
    async def task_update(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The task to change.")],
        input: Annotated[TaskUpdateInput, strawberry.argument(description="What changes.")],
    ) -> TaskUpdatePayload:
        return await mutate(
            TaskUpdatePayload, lambda: resolvers.task_update(info.context, id, input)
        )

    @strawberry.mutation(
        description="Marks an OPEN task DONE (INVALID_TRANSITION otherwise); it appears on the "
        "customer's timeline."
    )
    async def task_complete(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The task.")]
    ) -> TaskCompletePayload:
        return await mutate(TaskCompletePayload, lambda: resolvers.task_complete(info.context, id))

    @strawberry.mutation(
        description="Its assignee, its author, a MANAGER or an ADMIN may delete a task."
    )
    async def task_delete(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The task.")]
    ) -> TaskDeletePayload:
        return await mutate(TaskDeletePayload, lambda: resolvers.task_delete(info.context, id))
