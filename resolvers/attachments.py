"""Attachments: customer files, checked by content, stored once per content hash.

An upload is streamed in chunks to a scratch file, hashed and measured as it
goes, and refused as soon as it passes the size limit or shows a type that is
not allowed; only then is it moved into storage and given a row. Bytes are
stored once per company and content (`storage.content_key`), so a file uploaded
for several customers shares one object, removed with its last row.

Uploading the same bytes again for the same customer returns the attachment
that already exists (no second row), so a retried upload never duplicates.
"""

from __future__ import annotations

import asyncio
import codecs
import hashlib
import os
import re
import tempfile
import unicodedata
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import filetype
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Attachment, Customer
from resolvers.audit import record, snapshot
from resolvers.errors import UserErrorCode, UserInputError
from resolvers.ids import encode_id, parse_id, query_id
from resolvers.storage import (
    CHUNK_BYTES,
    Storage,
    content_key,
    incoming_dir,
    storage_for,
)

if TYPE_CHECKING:
    from resolvers.context import Context, ReadSession
    from resolvers.demo import DemoWorld

# Content types recognised from magic bytes that may be stored, by filetype's MIME name.
ALLOWED_MAGIC_TYPES = frozenset(
    {
        "application/pdf",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
    }
)
ALLOWED_DESCRIPTION = (
    "PDF, Word, Excel, PowerPoint, OpenDocument text or spreadsheet, plain text, CSV, "
    "PNG, JPEG, GIF or WebP"
)
# filetype looks at no more than the first 8 KiB.
MAGIC_BYTES = 8192
# Text may hold tabs, line breaks and form feeds, but no other control characters (NUL...).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
MAX_FILENAME_LENGTH = 255
AUDITED_FIELDS = ("customer_id", "filename", "content_type", "size", "sha256")


class UploadedFile(Protocol):
    """What a multipart upload gives the resolver (Starlette's UploadFile)."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


@dataclass
class SpooledFile:
    path: Path
    size: int
    sha256: str
    content_type: str


def clean_filename(name: str | None) -> str:
    """The client's file name as display metadata: no directories, no control characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip().strip(".")
    if not base:
        return "attachment"
    if len(base) > MAX_FILENAME_LENGTH:
        stem, dot, extension = base.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            base = stem[: MAX_FILENAME_LENGTH - len(extension) - 1] + "." + extension
        else:
            base = base[:MAX_FILENAME_LENGTH]
    return base


def too_large(max_bytes: int) -> UserInputError:
    return UserInputError.one(
        ("input", "file"),
        f"The file is larger than the limit of {max_bytes:,} bytes.",
        UserErrorCode.FILE_TOO_LARGE,
    )


def not_allowed(detected: str | None) -> UserInputError:
    problem = (
        f"{detected} files are not allowed."
        if detected
        else "This file is neither a recognised document or image nor plain UTF-8 text."
    )
    return UserInputError.one(
        ("input", "file"),
        f"{problem} Allowed: {ALLOWED_DESCRIPTION}.",
        UserErrorCode.FILE_TYPE_NOT_ALLOWED,
    )


class ContentCheck:
    """Decides a file's type from its content while it streams past, chunk by chunk."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.head = bytearray()
        self.magic_type: str | None = None
        self.decided = False
        self.text = codecs.getincrementaldecoder("utf-8")("strict")

    def feed(self, chunk: bytes) -> None:
        """Raises FILE_TYPE_NOT_ALLOWED as soon as the content shows it is not allowed."""
        if self.decided:
            if self.magic_type is None:
                self._feed_text(chunk)
            return
        taken = MAGIC_BYTES - len(self.head)
        self.head += chunk[:taken]
        if len(self.head) >= MAGIC_BYTES:
            self._decide()
            if self.magic_type is None:
                self._feed_text(chunk[taken:])

    def finish(self) -> str:
        """The content type to store."""
        if not self.decided:
            self._decide()
        if self.magic_type is not None:
            return self.magic_type
        self._feed_text(b"", final=True)
        return "text/csv" if self.filename.lower().endswith(".csv") else "text/plain"

    def _decide(self) -> None:
        """By magic bytes once the head is known; without any, the content must be text."""
        self.decided = True
        kind = filetype.guess(bytes(self.head))
        if kind is None:
            self._feed_text(bytes(self.head))
            return
        if kind.mime not in ALLOWED_MAGIC_TYPES:
            raise not_allowed(f"{kind.extension.upper()} ({kind.mime})")
        self.magic_type = kind.mime

    def _feed_text(self, chunk: bytes, final: bool = False) -> None:
        try:
            decoded = self.text.decode(chunk, final)
        except UnicodeDecodeError as error:
            raise not_allowed(None) from error
        if CONTROL_CHARACTERS.search(decoded):
            raise not_allowed(None)


async def spool_upload(
    upload: UploadedFile, directory: Path, max_bytes: int, filename: str
) -> SpooledFile:
    """Copies the upload to a scratch file in `directory`, checking it on the way.

    Never holds more than one chunk in memory; stops reading as soon as the file
    passes `max_bytes` or shows a refused type, and then leaves no file behind.
    """
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=directory, prefix="upload-")
    path = Path(name)
    digest = hashlib.sha256()
    check = ContentCheck(filename)
    size = 0
    try:
        with os.fdopen(descriptor, "wb") as scratch:
            while chunk := await upload.read(CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise too_large(max_bytes)
                check.feed(chunk)
                digest.update(chunk)
                await asyncio.to_thread(scratch.write, chunk)
        if size == 0:
            raise UserInputError.one(("input", "file"), "The file is empty.", UserErrorCode.INVALID)
        content_type = check.finish()
    except BaseException:
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise
    return SpooledFile(path, size, digest.hexdigest(), content_type)


async def lock_content(session: AsyncSession, key: str) -> None:
    """Serialises uploads and deletes of one stored object until the transaction ends.

    Without it a delete could remove bytes that a concurrent upload of the same
    content has just decided to reuse. SQLite writers are serialised already.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
        )


async def _customer_in_scope(session: AsyncSession | ReadSession, pk: int) -> Customer:
    customer = await session.get(Customer, pk)
    if customer is None:
        raise UserInputError.one(
            ("input", "customerId"), "No such customer.", UserErrorCode.NOT_FOUND
        )
    return customer


async def attachment_upload(context: Context, input: Any) -> dict[str, Any]:
    customer_pk = parse_id(input.customer_id, "Customer", ("input", "customerId"))
    # Refuse an unknown customer before streaming a whole file for nothing.
    await _customer_in_scope(context.session, customer_pk)
    if not callable(getattr(input.file, "read", None)):
        # A JSON request can put any value where the file goes; only multipart carries files.
        raise UserInputError.one(
            ("input", "file"),
            "Send the file as a part of a multipart request (GraphQL multipart request spec).",
            UserErrorCode.INVALID,
        )
    settings = context.settings
    filename = clean_filename(getattr(input.file, "filename", None))
    spooled = await spool_upload(
        input.file, incoming_dir(settings), settings.attachments_max_bytes, filename
    )
    storage = storage_for(settings)
    try:
        attachment = await _store(context, storage, customer_pk, filename, spooled)
    finally:
        # Still there when the content was stored already (or the transaction failed).
        await asyncio.to_thread(spooled.path.unlink, missing_ok=True)
    return {"attachment": attachment}


async def _store(
    context: Context, storage: Storage, customer_pk: int, filename: str, spooled: SpooledFile
) -> Attachment:
    viewer = context.viewer
    key = content_key(viewer.company_id, spooled.sha256)
    async with context.transaction() as session:
        await _customer_in_scope(session, customer_pk)
        await lock_content(session, key)
        existing = await session.scalar(
            select(Attachment).where(
                Attachment.customer_id == customer_pk, Attachment.sha256 == spooled.sha256
            )
        )
        if existing is not None:
            return existing
        # Inside the transaction, under the content lock (see lock_content); with SQLite
        # this holds the write lock for the copy, a rename on local disk.
        if not await storage.exists(key):
            await storage.put(key, spooled.path)
        attachment = Attachment(
            company_id=viewer.company_id,
            customer_id=customer_pk,
            filename=filename,
            content_type=spooled.content_type,
            size=spooled.size,
            sha256=spooled.sha256,
            storage_key=key,
            uploaded_by_id=viewer.staff_id,
        )
        session.add(attachment)
        await session.flush()
        record(
            session,
            viewer,
            "attachment.upload",
            attachment,
            {name: [None, getattr(attachment, name)] for name in AUDITED_FIELDS},
            customer_id=customer_pk,
        )
    return attachment


async def attachment_delete(context: Context, id: str) -> dict[str, Any]:
    viewer = context.viewer
    pk = parse_id(id, "Attachment", ("id",))
    storage = storage_for(context.settings)
    async with context.transaction() as session:
        attachment = await session.get(Attachment, pk)
        if attachment is None:
            raise UserInputError.one(("id",), "No such attachment.", UserErrorCode.NOT_FOUND)
        key = attachment.storage_key
        await lock_content(session, key)
        record(
            session,
            viewer,
            "attachment.delete",
            attachment,
            snapshot(attachment, AUDITED_FIELDS),
            customer_id=attachment.customer_id,
        )
        await session.delete(attachment)
        await session.flush()
        still_used = await session.scalar(
            select(Attachment.id).where(Attachment.storage_key == key).limit(1)
        )
        if still_used is None:
            # Last step before commit, under the content lock: no upload can reuse it meanwhile.
            await storage.delete(key)
    return {"deleted_attachment_id": id}


async def load_customer_attachments(
    context: Context, customer_ids: Sequence[int]
) -> list[list[Attachment]]:
    """Each customer's attachments, newest first, in one statement for any number of customers."""
    by_customer: dict[int, list[Attachment]] = defaultdict(list)
    result = await context.session.execute(
        select(Attachment)
        .where(Attachment.customer_id.in_(set(customer_ids)))
        .order_by(Attachment.created_at.desc(), Attachment.id.desc())
    )
    for attachment in result.scalars():
        by_customer[attachment.customer_id].append(attachment)
    return [by_customer.get(customer_id, []) for customer_id in customer_ids]


def download_path(attachment: Attachment) -> str:
    return f"/attachments/{encode_id('Attachment', attachment.id)}"


async def attachment_for_download(context: Context, id: str) -> Attachment | None:
    """The viewer's company's attachment with this global id, else None; a malformed id
    is an INVALID_ID error."""
    return await context.session.get(Attachment, query_id(id, "Attachment", "id"))


async def open_attachment(context: Context, attachment: Attachment) -> AsyncIterator[bytes]:
    """The attachment's bytes in chunks; storage.MissingObject when the storage lost them."""
    return await storage_for(context.settings).open(attachment.storage_key)


# ---------------------------------------------------------------------------
# Demo story: a price list and a signed credit application for a few customers.
# ---------------------------------------------------------------------------

DEMO_PRICE_LIST = (
    "sku,product,unit,price\n"
    "NW-1001,Arabica coffee beans 1 kg,bag,18.50\n"
    "NW-1002,Oat milk 1 l,carton,2.40\n"
    "NW-1003,Paper cups 12 oz,sleeve of 50,6.75\n"
    "NW-1004,Cane sugar sticks,box of 1000,21.00\n"
)


def demo_pdf(title: str) -> bytes:
    """A tiny valid one-page PDF showing `title`, with a correct cross-reference table."""
    safe_title = re.sub(r"[()\\]", "", title)
    stream = f"BT /F1 18 Tf 72 720 Td ({safe_title}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def _write_scratch(directory: Path, content: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=directory, prefix="demo-")
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    return Path(name)


async def store_bytes(
    session: AsyncSession,
    storage: Storage,
    scratch: Path,
    *,
    customer: Customer,
    uploaded_by_id: int | None,
    filename: str,
    content: bytes,
) -> Attachment:
    """Stores small generated content through the storage interface and adds its row.

    The content goes through the same type check as an upload.
    """
    check = ContentCheck(filename)
    check.feed(content)
    content_type = check.finish()
    sha256 = hashlib.sha256(content).hexdigest()
    key = content_key(customer.company_id, sha256)
    if not await storage.exists(key):
        scratch_file = await asyncio.to_thread(_write_scratch, scratch, content)
        try:
            await storage.put(key, scratch_file)
        finally:
            await asyncio.to_thread(scratch_file.unlink, missing_ok=True)
    attachment = Attachment(
        company_id=customer.company_id,
        customer_id=customer.id,
        filename=filename,
        content_type=content_type,
        size=len(content),
        sha256=sha256,
        storage_key=key,
        uploaded_by_id=uploaded_by_id,
    )
    session.add(attachment)
    return attachment


async def seed_demo_story(session: AsyncSession, world: DemoWorld) -> None:
    storage = storage_for(world.settings)
    price_list = DEMO_PRICE_LIST.encode()
    uploader = world.staff[1].id if len(world.staff) > 1 else None
    for customer in world.customers[:4]:
        await store_bytes(
            session,
            storage,
            incoming_dir(world.settings),
            customer=customer,
            uploaded_by_id=uploader,
            filename="Price list 2026.csv",
            content=price_list,
        )
    for customer in world.customers[:2]:
        await store_bytes(
            session,
            storage,
            incoming_dir(world.settings),
            customer=customer,
            uploaded_by_id=uploader,
            filename=f"Credit application – {customer.name}.pdf",
            content=demo_pdf(f"Credit application: {customer.name}"),
        )
    await session.flush()
