"""customersImport, locationsImport, contactsImport: rows from CSV files shaped like the
exports (docs/data-in.md)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from db import models
from resolvers import imports as resolvers
from resolvers import (
    imports_children,
    imports_children_revert,  # noqa: F401  (registers the reverters)
)
from resolvers.errors import UserErrorCode as Code
from resolvers.ids import encode_id
from schema.errors import USER_ERRORS, UserError, UserErrorCode, mutate


@strawberry.input(description="The input of customersImport.")
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
    message: str = strawberry.field(description="What is wrong with the cell or row.")


@strawberry.type(
    description="What customersImport did (or would do, in a dry run): created are new "
    "customers, updated the ones matched by id or externalId."
)
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
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)

    @strawberry.field(description="Pass to bulkOperationRevert to undo the import.")
    def bulk_operation_id(self) -> strawberry.ID | None:
        if self.bulk_operation is None:
            return None
        return strawberry.ID(encode_id("BulkOperation", self.bulk_operation.id))


@strawberry.input(description="The input of locationsImport.")
class LocationsImportInput:
    file: Upload = strawberry.field(
        description="A CSV file, UTF-8, with a header row of /export/locations.csv's column "
        "keys (id, customerId or customerExternalId, name, city…); at most "
        "ROLODEX_IMPORT_MAX_BYTES."
    )
    dry_run: bool = strawberry.field(
        default=False, description="Check every row and count; write nothing."
    )


@strawberry.input(description="The input of contactsImport.")
class ContactsImportInput:
    file: Upload = strawberry.field(
        description="A CSV file, UTF-8, with a header row of /export/contacts.csv's column "
        "keys (id, customerId or customerExternalId, name, email…); at most "
        "ROLODEX_IMPORT_MAX_BYTES."
    )
    dry_run: bool = strawberry.field(
        default=False, description="Check every row and count; write nothing."
    )


@strawberry.type(
    description="What locationsImport did (or would do): created are new locations, updated the ones matched by id."
)
class LocationsImportPayload(CustomersImportPayload):
    pass


@strawberry.type(
    description="What contactsImport did (or would do): created are new contacts, updated the ones matched by id."
)
class ContactsImportPayload(CustomersImportPayload):
    pass


def _as_payload(
    values: dict[str, Any], cls: type[CustomersImportPayload] = CustomersImportPayload
) -> Any:
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
    return cls(**{**values, "row_errors": errors}, user_errors=user_errors)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Creates and updates customers from a CSV file (an export imports back "
        "unchanged); every row is checked first, all or nothing, one bulk operation that "
        "bulkOperationRevert undoes. ADMIN and MANAGER."
    )
    async def customers_import(
        self,
        info: Info,
        input: Annotated[
            CustomersImportInput,
            strawberry.argument(description="The file and whether to write it."),
        ],
    ) -> CustomersImportPayload:
        async def action() -> dict[str, Any]:
            return {"payload": _as_payload(await resolvers.customers_import(info.context, input))}

        result = await mutate(lambda **values: values, action)
        if "payload" in result:
            return result["payload"]
        return CustomersImportPayload(user_errors=result["user_errors"])

    @strawberry.mutation(
        description="Creates and updates locations from a CSV file shaped like "
        "/export/locations.csv (an export imports back unchanged); a row names its customer "
        "by customerId or customerExternalId. Every row is checked first, all or nothing, "
        "one bulk operation that bulkOperationRevert undoes. ADMIN and MANAGER."
    )
    async def locations_import(
        self,
        info: Info,
        input: Annotated[
            LocationsImportInput,
            strawberry.argument(description="The file and whether to write it."),
        ],
    ) -> LocationsImportPayload:
        async def action() -> dict[str, Any]:
            values = await imports_children.locations_import(info.context, input)
            return {"payload": _as_payload(values, LocationsImportPayload)}

        result = await mutate(lambda **values: values, action)
        if "payload" in result:
            return result["payload"]
        return LocationsImportPayload(user_errors=result["user_errors"])

    @strawberry.mutation(
        description="Creates and updates contacts from a CSV file shaped like "
        "/export/contacts.csv (an export imports back unchanged); a row names its customer "
        "by customerId or customerExternalId, and a customer's first contact becomes its "
        "primary. Every row is checked first, all or nothing, one bulk operation that "
        "bulkOperationRevert undoes. ADMIN and MANAGER."
    )
    async def contacts_import(
        self,
        info: Info,
        input: Annotated[
            ContactsImportInput,
            strawberry.argument(description="The file and whether to write it."),
        ],
    ) -> ContactsImportPayload:
        async def action() -> dict[str, Any]:
            values = await imports_children.contacts_import(info.context, input)
            return {"payload": _as_payload(values, ContactsImportPayload)}

        result = await mutate(lambda **values: values, action)
        if "payload" in result:
            return result["payload"]
        return ContactsImportPayload(user_errors=result["user_errors"])
