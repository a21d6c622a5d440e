"""customersImport: customers from a CSV file shaped like the export (docs/data-in.md)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from db import models
from resolvers import imports as resolvers
from resolvers.errors import UserErrorCode as Code
from resolvers.ids import encode_id
from schema.errors import UserError, UserErrorCode, mutate


@strawberry.input
class CustomersImportInput:
    file: Upload = strawberry.field(
        description="A CSV file, UTF-8, with a header row of the customer export's column "
        "keys (id, externalId, name, email…); at most ROLODEX_IMPORT_MAX_BYTES."
    )
    dry_run: bool = strawberry.field(
        default=False, description="Check every row and count; write nothing."
    )


@strawberry.type(description="A row of an import that cannot be written, and why.")
class ImportRowError:
    row: int = strawberry.field(description="Line of the file (the header is line 1).")
    field: str | None = strawberry.field(description="The column at fault, by its key.")
    message: str


@strawberry.type
class CustomersImportPayload:
    row_count: int = strawberry.field(default=0, description="Data rows read.")
    created_count: int = strawberry.field(
        default=0, description="New customers (or that would be, in a dry run)."
    )
    updated_count: int = strawberry.field(
        default=0, description="Existing customers matched by id or externalId."
    )
    row_errors: list[ImportRowError] = strawberry.field(
        default_factory=list,
        description=f"Bad rows, the first {resolvers.MAX_LISTED_ERRORS}; any means nothing "
        "was written.",
    )
    bulk_operation: strawberry.Private[models.BulkOperation | None] = None
    user_errors: list[UserError]

    @strawberry.field(description="Pass to bulkOperationRevert to undo the import.")
    def bulk_operation_id(self) -> strawberry.ID | None:
        if self.bulk_operation is None:
            return None
        return strawberry.ID(encode_id("BulkOperation", self.bulk_operation.id))


def _as_payload(values: dict[str, Any]) -> CustomersImportPayload:
    errors = [
        ImportRowError(row=e.row, field=e.field, message=e.message) for e in values["row_errors"]
    ]
    count = values.pop("error_count")
    user_errors = []
    if count:
        user_errors.append(
            UserError(
                field=["input", "file"],
                message=f"{count} row error{'s' if count != 1 else ''}: nothing was written.",
                code=UserErrorCode(Code.INVALID),
            )
        )
    return CustomersImportPayload(**{**values, "row_errors": errors}, user_errors=user_errors)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Creates and updates customers from a CSV file (an export imports back "
        "unchanged); every row is checked first, all or nothing, one bulk operation that "
        "bulkOperationRevert undoes. ADMIN and MANAGER."
    )
    async def customers_import(
        self, info: Info, input: CustomersImportInput
    ) -> CustomersImportPayload:
        async def action() -> dict[str, Any]:
            return {"payload": _as_payload(await resolvers.customers_import(info.context, input))}

        result = await mutate(lambda **values: values, action)
        if "payload" in result:
            return result["payload"]
        return CustomersImportPayload(user_errors=result["user_errors"])
