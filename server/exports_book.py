"""The customer export's cells of issue 18 (tags, next task): correlated subqueries added
to the streamed statement only when their columns are chosen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, literal, select

from db.enums import TaskStatus
from db.models import Customer, CustomerTag, Task
from resolvers.context import Context
from resolvers.tags import ordered
from resolvers.tasks import NO_DUE_DAY

# Joins a customer's tags in SQL; split and sorted again in Python (group_concat keeps
# no order), then joined with TAG_SEPARATOR in the cell.
UNIT_SEPARATOR = "\x1f"
TAG_SEPARATOR = "; "


def _tags(context: Context) -> Any:
    aggregate = (
        func.group_concat(CustomerTag.tag, literal(UNIT_SEPARATOR))
        if context.db.sqlite
        else func.string_agg(CustomerTag.tag, literal(UNIT_SEPARATOR))
    )
    return select(aggregate).where(CustomerTag.customer_id == Customer.id).scalar_subquery()


def _next_task(column: Any) -> Callable[[Context], Any]:
    def build(_context: Context) -> Any:
        return (
            select(column)
            .where(Task.customer_id == Customer.id, Task.status == TaskStatus.OPEN)
            .order_by(func.coalesce(Task.due_on, NO_DUE_DAY), Task.id)
            .limit(1)
            .scalar_subquery()
        )

    return build


EXTRA_CELLS: dict[str, Callable[[Context], Any]] = {
    "tags": _tags,
    "nextTask": _next_task(Task.title),
    "nextTaskDueOn": _next_task(Task.due_on),
}


def tags_cell(joined: str | None) -> str:
    return TAG_SEPARATOR.join(ordered(joined.split(UNIT_SEPARATOR))) if joined else ""
