"""Follow-up tasks: something to do for a customer, by someone, by a day (issue 18).

A task hangs off its customer (db.models.CUSTOMER_CHILD_MODELS), so the session's
visibility hook shows it to exactly whoever sees the customer: a REP limited to the
book sees only the book's tasks, without code here. `overdue` is OPEN with a due day
before today in the company's time zone.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement, SQLColumnExpression
from strawberry import UNSET

from db.enums import TaskStatus
from db.models import Contact, Customer, Interaction, Location, Staff, Task, utcnow
from resolvers.audit import audit_value, record
from resolvers.errors import BadUserInput, ErrorCollector, UserErrorCode, UserInputError
from resolvers.ids import encode_id, parse_id, parse_ids
from resolvers.loaders import rows_by_id
from resolvers.locations import page_of_list
from resolvers.pagination import Page, PageArgs, SortKey, paginate_for
from resolvers.permissions import Permission
from resolvers.timeline import publish_task_after_commit
from resolvers.validation import check_version, clean_text

if TYPE_CHECKING:
    from resolvers.context import Context

TITLE_MAX_LENGTH = 200
NOTES_MAX_LENGTH = 5_000
# Stands in for "no due day" in sort keys (keyset pagination needs non-null values):
# tasks without one come last when ascending.
NO_DUE_DAY = date(9999, 12, 31)
# Column -> API field and the type of the global id a reference column holds.
API_FIELDS = {
    "title": ("title", None),
    "notes": ("notes", None),
    "due_on": ("dueOn", None),
    "status": ("status", None),
    "assignee_id": ("assigneeId", "Staff"),
    "customer_id": ("customerId", "Customer"),
    "contact_id": ("contactId", "Contact"),
    "location_id": ("locationId", "Location"),
    "completed_at": ("completedAt", None),
}


class TaskSortField(enum.StrEnum):
    DUE_ON = "DUE_ON"
    CREATED_AT = "CREATED_AT"


SORT_EXPRESSIONS: dict[TaskSortField, SQLColumnExpression[Any]] = {
    TaskSortField.DUE_ON: func.coalesce(Task.due_on, NO_DUE_DAY),
    TaskSortField.CREATED_AT: Task.created_at,
}


def company_today(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()


def is_overdue(task: Task, today: date) -> bool:
    return task.status == TaskStatus.OPEN and task.due_on is not None and task.due_on < today


def overdue_condition(today: date) -> ColumnElement[bool]:
    return and_(Task.status == TaskStatus.OPEN, Task.due_on < today)


def api_changes(changes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """field -> [before, after] in API terms: camelCase names, global ids."""
    result: dict[str, list[Any]] = {}
    for name, pair in changes.items():
        field, type_name = API_FIELDS.get(name, (name, None))
        if type_name is not None:
            pair = [encode_id(type_name, v) if v is not None else None for v in pair]
        result[field] = pair
    return result


def _apply(task: Task, values: dict[str, Any]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for name, new in values.items():
        old = getattr(task, name)
        if old != new:
            changes[name] = [audit_value(old), audit_value(new)]
            setattr(task, name, new)
    return changes


# ----------------------------------------------------------------------
# Reads: loaders and the list
# ----------------------------------------------------------------------


async def load_contacts(context: Context, ids: Sequence[int]) -> list[Contact | None]:
    return await rows_by_id(context, Contact, ids)


async def load_locations(context: Context, ids: Sequence[int]) -> list[Location | None]:
    return await rows_by_id(context, Location, ids)


def customer_task_key(task: Task) -> tuple[int, str, int]:
    """A customer's tasks: OPEN first by due day (none last), then the others, by id."""
    due = (task.due_on or NO_DUE_DAY).isoformat()
    return (0 if task.status == TaskStatus.OPEN else 1, due, task.id)


async def load_tasks_of_customers(
    context: Context, customer_ids: Sequence[int]
) -> list[list[Task]]:
    """Every task of each customer: one statement for a whole page of customers."""
    by_customer: dict[int, list[Task]] = {pk: [] for pk in customer_ids}
    result = await context.session.execute(
        select(Task).where(Task.customer_id.in_(set(customer_ids)))
    )
    for task in result.scalars():
        by_customer[task.customer_id].append(task)
    return [by_customer[pk] for pk in customer_ids]


async def load_next_tasks(context: Context, customer_ids: Sequence[int]) -> list[Task | None]:
    """Each customer's earliest OPEN task (by due day, none last, then id): one statement."""
    rank = (
        func.row_number()
        .over(
            partition_by=Task.customer_id,
            order_by=(SORT_EXPRESSIONS[TaskSortField.DUE_ON], Task.id),
        )
        .label("rank")
    )
    ranked = (
        select(Task.id, rank)
        .where(Task.customer_id.in_(set(customer_ids)), Task.status == TaskStatus.OPEN)
        .subquery()
    )
    result = await context.session.execute(
        select(Task).join(ranked, ranked.c.id == Task.id).where(ranked.c.rank == 1)
    )
    first = {task.customer_id: task for task in result.scalars()}
    return [first.get(pk) for pk in customer_ids]


def customer_tasks_page(
    context: Context, tasks: list[Task], statuses: Sequence[Any] | None, args: PageArgs
) -> Page[Task]:
    if statuses is not None:
        wanted = {TaskStatus(getattr(s, "value", s)) for s in statuses}
        tasks = [task for task in tasks if task.status in wanted]
    return page_of_list(context, tasks, customer_task_key, args)


@dataclass(frozen=True)
class TaskFilter:
    assignee_ids: list[int] | None = None
    customer_ids: list[int] | None = None
    statuses: list[TaskStatus] | None = None
    overdue: bool | None = None
    due_from: date | None = None
    due_to: date | None = None


def parse_task_filter(raw: Any) -> TaskFilter:
    """The GraphQL filter as a TaskFilter; bad ids and ranges are request errors."""
    if raw is None:
        return TaskFilter()
    try:
        assignees = (
            parse_ids(raw.assignee_ids, "Staff", ("filter", "assigneeIds"))
            if raw.assignee_ids is not None
            else None
        )
        customers = (
            parse_ids(raw.customer_ids, "Customer", ("filter", "customerIds"))
            if raw.customer_ids is not None
            else None
        )
    except UserInputError as error:
        raise BadUserInput(str(error), code=UserErrorCode.INVALID_ID.value) from error
    if raw.due_from is not None and raw.due_to is not None and raw.due_from > raw.due_to:
        raise BadUserInput("`dueFrom` must not be after `dueTo`.")
    return TaskFilter(
        assignee_ids=assignees,
        customer_ids=customers,
        statuses=[TaskStatus(s.value) for s in raw.statuses] if raw.statuses else None,
        overdue=raw.overdue,
        due_from=raw.due_from,
        due_to=raw.due_to,
    )


def tasks_statement(filter: TaskFilter, today: date) -> Select[Any]:
    """Tasks matching every condition given; OPEN ones unless `statuses` says otherwise."""
    statement = select(Task)
    if filter.assignee_ids is not None:
        statement = statement.where(Task.assignee_id.in_(filter.assignee_ids))
    if filter.customer_ids is not None:
        statement = statement.where(Task.customer_id.in_(filter.customer_ids))
    statement = statement.where(Task.status.in_(filter.statuses or [TaskStatus.OPEN]))
    if filter.overdue is True:
        statement = statement.where(overdue_condition(today))
    elif filter.overdue is False:
        statement = statement.where(~overdue_condition(today) | Task.due_on.is_(None))
    if filter.due_from is not None:
        statement = statement.where(Task.due_on >= filter.due_from)
    if filter.due_to is not None:
        statement = statement.where(Task.due_on <= filter.due_to)
    return statement


def task_sort_keys(sort: Sequence[Any] | None) -> list[SortKey]:
    keys: list[SortKey] = []
    seen: set[TaskSortField] = set()
    for item in sort or []:
        field = TaskSortField(item.field.value)
        if field not in seen:
            seen.add(field)
            keys.append(SortKey(SORT_EXPRESSIONS[field], item.direction.value == "DESC"))
    return keys or [SortKey(SORT_EXPRESSIONS[TaskSortField.DUE_ON])]


async def tasks_page(
    context: Context, args: PageArgs, filter: Any, sort: Sequence[Any] | None
) -> Page[Task]:
    today = company_today(context.viewer.company_timezone)
    statement = tasks_statement(parse_task_filter(filter), today)
    return await paginate_for(context, statement, task_sort_keys(sort), Task.id, args)


# ----------------------------------------------------------------------
# Writes
# ----------------------------------------------------------------------


def _parse(errors: ErrorCollector, value: str, type_name: str, field: str) -> int | None:
    try:
        return parse_id(value, type_name, (*errors.prefix, field))
    except UserInputError as error:
        errors.errors.extend(error.errors)
        return None


async def check_assignee(session: AsyncSession, errors: ErrorCollector, value: str) -> int | None:
    """The pk of an active staff member of the company, else a userError."""
    pk = _parse(errors, value, "Staff", "assigneeId")
    if pk is None:
        return None
    staff = await session.get(Staff, pk)
    if staff is None:
        errors.add("assigneeId", "No such staff member in your company.", UserErrorCode.NOT_FOUND)
    elif not staff.active:
        errors.add(
            "assigneeId",
            f"{staff.name} is inactive and cannot be given tasks.",
            UserErrorCode.INACTIVE_STAFF,
        )
        return None
    return pk


async def check_customer_ref(
    session: AsyncSession,
    errors: ErrorCollector,
    model: type[Contact] | type[Location],
    value: str | None,
    customer_id: int | None,
    field: str,
) -> int | None:
    """A contact or location of `customer_id`, else a userError (None clears it)."""
    if value is None:
        return None
    pk = _parse(errors, value, model.__name__, field)
    if pk is None or customer_id is None:
        return None
    row: Contact | Location | None = await session.get(model, pk)
    if row is None:
        errors.add(field, f"No such {model.__name__.lower()}.", UserErrorCode.NOT_FOUND)
        return None
    if row.customer_id != customer_id:
        errors.add(
            field,
            f"That {model.__name__.lower()} belongs to another customer.",
            UserErrorCode.INVALID,
        )
        return None
    return pk


def _text_values(errors: ErrorCollector, input: Any, *, creating: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    title = getattr(input, "title", UNSET)
    if creating or title is not UNSET:
        values["title"] = clean_text(
            errors, "title", title, required=True, max_length=TITLE_MAX_LENGTH
        )
    notes = getattr(input, "notes", UNSET)
    if notes is not UNSET:
        values["notes"] = clean_text(errors, "notes", notes, max_length=NOTES_MAX_LENGTH)
    due_on = getattr(input, "due_on", UNSET)
    if due_on is not UNSET:
        values["due_on"] = due_on
    return values


async def new_task(
    session: AsyncSession,
    context: Context,
    errors: ErrorCollector,
    customer_id: int,
    input: Any,
    **extra: Any,
) -> Task:
    """A task for `customer_id` from a create or follow-up input (userErrors collected)."""
    viewer = context.viewer
    values = _text_values(errors, input, creating=True)
    assignee = getattr(input, "assignee_id", None)
    values["assignee_id"] = (
        await check_assignee(session, errors, assignee) if assignee else viewer.staff_id
    )
    errors.raise_if_any()
    task = Task(
        company_id=viewer.company_id,
        customer_id=customer_id,
        created_by_id=viewer.staff_id,
        status=TaskStatus.OPEN,
        **values,
        **extra,
    )
    session.add(task)
    await session.flush()
    created = {k: [None, audit_value(v)] for k, v in values.items() if v is not None}
    for name in ("contact_id", "location_id"):
        if extra.get(name) is not None:
            created[name] = [None, extra[name]]
    record(session, viewer, "task.create", task, api_changes(created), customer_id=customer_id)
    return task


async def task_create(context: Context, input: Any) -> dict[str, Any]:
    errors = ErrorCollector()
    customer_pk = _parse(errors, input.customer_id, "Customer", "customerId")
    async with context.transaction() as session:
        if customer_pk is not None and await session.get(Customer, customer_pk) is None:
            errors.add("customerId", "No such customer.", UserErrorCode.NOT_FOUND)
            customer_pk = None
        contact = await check_customer_ref(
            session, errors, Contact, input.contact_id, customer_pk, "contactId"
        )
        location = await check_customer_ref(
            session, errors, Location, input.location_id, customer_pk, "locationId"
        )
        errors.raise_if_any()
        assert customer_pk is not None
        task = await new_task(
            session, context, errors, customer_pk, input, contact_id=contact, location_id=location
        )
    return {"task": task}


async def spoken_to_values(
    session: AsyncSession, customer_id: int, input: Any, current: Interaction | None = None
) -> dict[str, Any]:
    """interactionCreate/Update's contactId and locationId: the customer's own, else
    userErrors. Omitted (UNSET) ones are left out; on an update null clears one."""
    errors = ErrorCollector()
    values: dict[str, Any] = {}
    for name, model in (("contact_id", Contact), ("location_id", Location)):
        value = getattr(input, name, UNSET)
        if value is UNSET or (current is None and value is None):
            continue
        field = "contactId" if model is Contact else "locationId"
        values[name] = await check_customer_ref(session, errors, model, value, customer_id, field)
    errors.raise_if_any()
    return values


async def create_follow_up(
    session: AsyncSession, context: Context, interaction: Interaction, follow_up: Any
) -> Task | None:
    """interactionCreate's `followUp`: a task in the interaction's own transaction,
    for the same customer, contact and location."""
    if follow_up is None:
        return None
    errors = ErrorCollector(("input", "followUp"))
    return await new_task(
        session,
        context,
        errors,
        interaction.customer_id,
        follow_up,
        contact_id=interaction.contact_id,
        location_id=interaction.location_id,
        interaction_id=interaction.id,
    )


async def get_task(session: AsyncSession, id: str) -> Task:
    pk = parse_id(id, "Task", ("id",))
    task = await session.get(Task, pk)
    if task is None:
        raise UserInputError.one(("id",), "No such task.", UserErrorCode.NOT_FOUND)
    return task


def status_values(context: Context, task: Task, status: TaskStatus) -> dict[str, Any]:
    """Columns for a status change: DONE records who and when, other statuses clear it."""
    if status == task.status:
        return {}
    if status == TaskStatus.DONE:
        return {
            "status": status,
            "completed_at": utcnow(),
            "completed_by_id": context.viewer.staff_id,
        }
    return {"status": status, "completed_at": None, "completed_by_id": None}


async def _save(
    context: Context, session: AsyncSession, task: Task, values: dict[str, Any], action: str
) -> None:
    was_done = task.status == TaskStatus.DONE
    changes = _apply(task, values)
    changes.pop("completed_by_id", None)
    if not changes:
        return
    await session.flush()
    record(
        session, context.viewer, action, task, api_changes(changes), customer_id=task.customer_id
    )
    if task.status == TaskStatus.DONE and not was_done:
        await publish_task_after_commit(context, session, task)


async def task_update(context: Context, id: str, input: Any) -> dict[str, Any]:
    errors = ErrorCollector()
    values = _text_values(errors, input, creating=False)
    async with context.transaction() as session:
        task = await get_task(session, id)
        await check_version(session, task, input.expected_version)
        if input.assignee_id is not UNSET:
            if input.assignee_id is None:
                errors.add("assigneeId", "A task needs an assignee.", UserErrorCode.REQUIRED)
            else:
                values["assignee_id"] = await check_assignee(session, errors, input.assignee_id)
        if input.status is not UNSET:
            if input.status is None:
                errors.add("status", "Status cannot be empty.", UserErrorCode.REQUIRED)
            else:
                values.update(status_values(context, task, TaskStatus(input.status.value)))
        errors.raise_if_any()
        await _save(context, session, task, values, "task.update")
    return {"task": task}


async def task_complete(context: Context, id: str) -> dict[str, Any]:
    async with context.transaction() as session:
        task = await get_task(session, id)
        if task.status != TaskStatus.OPEN:
            raise UserInputError.one(
                ("id",),
                f"Only an OPEN task can be completed; this one is {task.status.value}.",
                UserErrorCode.INVALID_TRANSITION,
            )
        await _save(
            context, session, task, status_values(context, task, TaskStatus.DONE), "task.complete"
        )
    return {"task": task}


async def task_delete(context: Context, id: str) -> dict[str, Any]:
    viewer = context.viewer
    async with context.transaction() as session:
        task = await get_task(session, id)
        mine = viewer.staff_id in (task.assignee_id, task.created_by_id)
        if not mine and not viewer.can(Permission.EDIT_ANY_TASK):
            raise UserInputError.one(
                ("id",),
                "Only its assignee, its author, a manager or an admin may delete this task.",
                UserErrorCode.FORBIDDEN,
            )
        gone = {name: [audit_value(getattr(task, name)), None] for name in ("title", "status")}
        record(
            session, viewer, "task.delete", task, api_changes(gone), customer_id=task.customer_id
        )
        await session.flush()
        await session.delete(task)
    return {"deleted_task_id": encode_id("Task", task.id)}
