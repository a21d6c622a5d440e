"""Attachments: customer files uploaded through the GraphQL multipart request spec."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.file_uploads import Upload
from strawberry.types import Info

from db import models
from resolvers import attachments as resolvers
from resolvers.loaders import load_customer, load_staff
from schema.errors import USER_ERRORS, UserError, mutate
from schema.relay import model_type
from schema.staff import Staff

if TYPE_CHECKING:
    from schema.customers import Customer


@model_type(models.Attachment, description="A file kept with a customer.")
class Attachment(relay.Node):
    id: relay.NodeID[int]
    filename: str = strawberry.field(
        description="The uploader's file name, for display only (no directories)."
    )
    content_type: str = strawberry.field(
        description="Detected from the file's content, not taken from the client."
    )
    size: int = strawberry.field(description="In bytes.")
    sha256: str = strawberry.field(description="Hex SHA-256 of the content.")
    created_at: datetime = strawberry.field(description="When it was uploaded.")

    @strawberry.field(description="The customer the file belongs to.")
    async def customer(
        root: strawberry.Parent[models.Attachment], info: Info
    ) -> Annotated[Customer, strawberry.lazy("schema.customers")] | None:
        return await info.context.loaders[load_customer].load(root.customer_id)

    @strawberry.field(description="The staff member who uploaded it.")
    async def uploaded_by(root: strawberry.Parent[models.Attachment], info: Info) -> Staff | None:
        if root.uploaded_by_id is None:
            return None
        return await info.context.loaders[load_staff].load(root.uploaded_by_id)

    @strawberry.field(
        description="GET it with the bearer token: the file, as a download (Content-Disposition)."
    )
    def download_url(root: strawberry.Parent[models.Attachment]) -> str:
        return resolvers.download_path(root)


async def customer_attachments(root: models.Customer, info: Info) -> list[Attachment]:
    """Customer.attachments, newest first: one statement for all customers of a page."""
    return await info.context.loaders[resolvers.load_customer_attachments].load(root.id)


@strawberry.input(description="The input of `attachmentUpload`.")
class AttachmentUploadInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer the file belongs to.")
    file: Upload = strawberry.field(
        description="The file part of a multipart request (GraphQL multipart request spec)."
    )


@strawberry.type(
    description=(
        "What `attachmentUpload` answers: the affected object, or userErrors when nothing "
        "was written."
    )
)
class AttachmentUploadPayload:
    attachment: Attachment | None = strawberry.field(
        default=None, description="The attachment as it is now; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type(
    description=(
        "What `attachmentDelete` answers: the deleted object's id, or userErrors when nothing "
        "was deleted."
    )
)
class AttachmentDeletePayload:
    deleted_attachment_id: strawberry.ID | None = strawberry.field(
        default=None, description="The global id of the deleted attachment; null when userErrors."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Attaches a file to a customer. Send it as a multipart request with an "
        "`Apollo-Require-Preflight: true` header. The type is checked by content and the size "
        "against the server's limit. The same content uploaded again for the same customer "
        "returns the existing attachment."
    )
    async def attachment_upload(
        self,
        info: Info,
        input: Annotated[AttachmentUploadInput, strawberry.argument(description="What to write.")],
    ) -> AttachmentUploadPayload:
        return await mutate(
            AttachmentUploadPayload, lambda: resolvers.attachment_upload(info.context, input)
        )

    @strawberry.mutation(
        description="Deletes an attachment; its bytes go too when no other attachment has them."
    )
    async def attachment_delete(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The global id of the attachment to change."),
        ],
    ) -> AttachmentDeletePayload:
        return await mutate(
            AttachmentDeletePayload, lambda: resolvers.attachment_delete(info.context, id)
        )
