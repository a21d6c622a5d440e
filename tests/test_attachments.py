"""Attachments: a rep files a customer's credit application and price list, and
nobody else's company ever sees them."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from db.enums import CustomerKind
from db.models import Attachment, AuditEvent, Customer
from db.session import Database, Scope
from resolvers.attachments import clean_filename, demo_pdf, spool_upload
from resolvers.errors import UserErrorCode, UserInputError
from resolvers.ids import decode_id, encode_id
from resolvers.storage import CHUNK_BYTES, content_key
from resolvers.text import name_key
from server.app import create_app
from server.downloads import content_disposition
from server.settings import Settings

PREFLIGHT = {"Apollo-Require-Preflight": "true"}
UPLOAD = """mutation($input: AttachmentUploadInput!) { attachmentUpload(input: $input) {
  attachment { id filename contentType size sha256 downloadUrl createdAt
               customer { id name } uploadedBy { id } }
  userErrors { field message code } } }"""
DELETE = """mutation($id: ID!) { attachmentDelete(id: $id) {
  deletedAttachmentId userErrors { field message code } } }"""
CUSTOMER_FILES = """query($id: ID!) { customer(id: $id) {
  attachments { id filename contentType size } } }"""

PDF = demo_pdf("Credit application: Harbor Street Grocers")
# A Windows executable's header: what a renamed .exe starts with.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


# --- Test data factory -------------------------------------------------------------
# Customers are created through customerCreate on another branch; until that merges,
# tests insert them directly (scoped to the tenant like any write).


async def make_customers(
    database: Database, company_id: int, names: list[str], sales_rep_id: int | None = None
) -> list[str]:
    """Customers inserted straight into the database; their global ids."""
    async with database.transaction(Scope(company_id)) as session:
        customers = [
            Customer(
                company_id=company_id,
                kind=CustomerKind.BUSINESS,
                name=name,
                name_key=name_key(name),
                sales_rep_id=sales_rep_id,
            )
            for name in names
        ]
        session.add_all(customers)
        await session.flush()
        return [encode_id("Customer", c.id) for c in customers]


# --- Helpers -------------------------------------------------------------------------


def multipart(customer_id: str, content: bytes, filename: str) -> dict[str, Any]:
    """The `files` of a GraphQL multipart request (operations, map, then the file)."""
    operations = {
        "query": UPLOAD,
        "variables": {"input": {"customerId": customer_id, "file": None}},
    }
    return {
        "operations": (None, json.dumps(operations)),
        "map": (None, json.dumps({"0": ["variables.input.file"]})),
        # The client's content type is deliberately wrong: the server must not trust it.
        "0": (filename, content, "application/octet-stream"),
    }


async def upload(
    client: httpx.AsyncClient,
    token: str,
    customer_id: str,
    content: bytes,
    filename: str,
    headers: dict[str, str] = PREFLIGHT,
) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        files=multipart(customer_id, content, filename),
        headers={"Authorization": f"Bearer {token}", **headers},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]["attachmentUpload"]


async def upload_ok(api, token: str, customer_id: str, content: bytes, filename: str) -> dict:
    payload = await upload(api.client, token, customer_id, content, filename)
    assert payload["userErrors"] == []
    return payload["attachment"]


async def attachment_rows(database: Database, company_id: int) -> list[Attachment]:
    async with database.transaction(Scope(company_id)) as session:
        return list((await session.execute(select(Attachment).order_by(Attachment.id))).scalars())


def stored_path(settings: Settings, company_id: int, content: bytes) -> Path:
    return settings.attachments_dir / content_key(company_id, hashlib.sha256(content).hexdigest())


def incoming_files(settings: Settings) -> list[Path]:
    incoming = settings.attachments_dir / "incoming"
    return list(incoming.iterdir()) if incoming.exists() else []


def zipped(*entries: tuple[str, str, int]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, compression in entries:
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return buffer.getvalue()


# --- Upload, list, download, delete -------------------------------------------------


async def test_a_rep_uploads_lists_downloads_and_deletes_a_pdf(api, tenant, database, settings):
    (customer_id,) = await make_customers(database, tenant.company_id, ["Harbor Street Grocers"])
    sha = hashlib.sha256(PDF).hexdigest()

    attachment = await upload_ok(api, tenant.rep.token, customer_id, PDF, "Credit application.pdf")
    attachment_id = attachment.pop("id")
    assert attachment.pop("createdAt")
    assert attachment == {
        "filename": "Credit application.pdf",
        "contentType": "application/pdf",
        "size": len(PDF),
        "sha256": sha,
        "downloadUrl": f"/attachments/{attachment_id}",
        "customer": {"id": customer_id, "name": "Harbor Street Grocers"},
        "uploadedBy": {"id": tenant.rep.global_id},
    }
    path = stored_path(settings, tenant.company_id, PDF)
    assert path.read_bytes() == PDF
    assert path.relative_to(settings.attachments_dir).as_posix() == (
        f"c{tenant.company_id}/{sha[:2]}/{sha[2:4]}/{sha}"
    )
    assert incoming_files(settings) == []

    listed = await api.ok(CUSTOMER_FILES, {"id": customer_id}, token=tenant.manager.token)
    assert listed["customer"]["attachments"] == [
        {
            "id": attachment_id,
            "filename": "Credit application.pdf",
            "contentType": "application/pdf",
            "size": len(PDF),
        }
    ]

    response = await api.client.get(
        f"/attachments/{attachment_id}", headers={"Authorization": f"Bearer {tenant.admin.token}"}
    )
    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-length"] == str(len(PDF))
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"Credit application.pdf\"; filename*=UTF-8''Credit%20application.pdf"
    )

    deleted = await api.mutate(DELETE, {"id": attachment_id}, token=tenant.rep.token)
    assert deleted["deletedAttachmentId"] == attachment_id
    assert not path.exists()
    assert await attachment_rows(database, tenant.company_id) == []
    listed = await api.ok(CUSTOMER_FILES, {"id": customer_id}, token=tenant.rep.token)
    assert listed["customer"]["attachments"] == []
    response = await api.client.get(
        f"/attachments/{attachment_id}", headers={"Authorization": f"Bearer {tenant.rep.token}"}
    )
    assert response.status_code == 404

    async with database.transaction(Scope(tenant.company_id)) as session:
        events = (
            await session.execute(
                select(AuditEvent).where(AuditEvent.entity_type == "Attachment").order_by("id")
            )
        ).scalars()
        audit = [(e.action, e.actor_id, e.customer_id, e.changes) for e in events]
    customer_pk = decode_id(customer_id)[1]
    assert [a[0] for a in audit] == ["attachment.upload", "attachment.delete"]
    assert [(a[1], a[2]) for a in audit] == [(tenant.rep.id, customer_pk)] * 2
    assert audit[1][3] == {
        "customer_id": [customer_pk, None],
        "filename": ["Credit application.pdf", None],
        "content_type": ["application/pdf", None],
        "size": [len(PDF), None],
        "sha256": [sha, None],
    }


async def test_the_same_file_is_stored_once(api, tenant, database, settings):
    """Twice for one customer: the existing attachment comes back. For a second
    customer: a second row sharing the bytes, which stay until both are deleted."""
    first, second = await make_customers(
        database, tenant.company_id, ["Sunrise Bakery", "Lakeview Diner"]
    )
    price_list = b"sku,price\nNW-1001,18.50\n"
    original = await upload_ok(api, tenant.rep.token, first, price_list, "prices.csv")
    again = await upload_ok(api, tenant.rep2.token, first, price_list, "prices (1).csv")
    assert again == original
    shared = await upload_ok(api, tenant.rep.token, second, price_list, "prices.csv")
    assert shared["id"] != original["id"]
    assert shared["sha256"] == original["sha256"]

    rows = await attachment_rows(database, tenant.company_id)
    assert [(r.customer_id, r.filename) for r in rows] == [
        (decode_id(first)[1], "prices.csv"),
        (decode_id(second)[1], "prices.csv"),
    ]
    assert rows[0].storage_key == rows[1].storage_key
    for index, name in enumerate(["a.txt", "b.txt", "c.txt"]):
        await upload_ok(api, tenant.rep.token, second, f"note {index}\n".encode(), name)
    listed = await api.ok(CUSTOMER_FILES, {"id": second}, token=tenant.rep.token)
    assert [(a["filename"], a["contentType"]) for a in listed["customer"]["attachments"]] == [
        ("c.txt", "text/plain"),
        ("b.txt", "text/plain"),
        ("a.txt", "text/plain"),
        ("prices.csv", "text/csv"),
    ]
    path = stored_path(settings, tenant.company_id, price_list)
    assert [p.name for p in path.parent.iterdir()] == [path.name]

    await api.mutate(DELETE, {"id": original["id"]}, token=tenant.rep.token)
    assert path.read_bytes() == price_list
    response = await api.client.get(
        shared["downloadUrl"], headers={"Authorization": f"Bearer {tenant.rep.token}"}
    )
    assert response.content == price_list
    await api.mutate(DELETE, {"id": shared["id"]}, token=tenant.rep.token)
    assert not path.exists()


ODT_MIME = "application/vnd.oasis.opendocument.text"
ACCEPTED = [
    ("contract.pdf", PDF, "application/pdf"),
    (
        "pixel.png",
        bytes.fromhex(
            "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
            "0000000d4944415478da63f8cfc0f01f0005000201a5dd2d6a0000000049454e44ae426082"
        ),
        "image/png",
    ),
    ("logo.gif", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff;", "image/gif"),
    (
        "photo.jpg",
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\xff\xd9",
        "image/jpeg",
    ),
    (
        "photo.webp",
        b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07",
        "image/webp",
    ),
    (
        "terms.docx",
        zipped(
            ("[Content_Types].xml", "<Types/>", zipfile.ZIP_DEFLATED),
            ("word/document.xml", "<w:document/>", zipfile.ZIP_DEFLATED),
        ),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "stock.xlsx",
        zipped(
            ("[Content_Types].xml", "<Types/>", zipfile.ZIP_DEFLATED),
            ("xl/workbook.xml", "<workbook/>", zipfile.ZIP_DEFLATED),
        ),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "letter.odt",
        zipped(("mimetype", ODT_MIME, zipfile.ZIP_STORED), ("content.xml", "<x/>", 8)),
        ODT_MIME,
    ),
    ("Preisliste Müller.csv", "sku;preis\nA-1;3,50 €\n".encode(), "text/csv"),
    ("notes", b"Call back on Monday.\r\n\tAsk for Jamie.\n", "text/plain"),
]


async def test_allowed_types_are_recognised_by_content(api, tenant, database):
    (customer_id,) = await make_customers(database, tenant.company_id, ["Café Olé"])
    for filename, content, content_type in ACCEPTED:
        attachment = await upload_ok(api, tenant.rep.token, customer_id, content, filename)
        assert (attachment["filename"], attachment["contentType"], attachment["size"]) == (
            filename,
            content_type,
            len(content),
        )


UNKNOWN = "This file is neither a recognised document or image nor plain UTF-8 text."
REFUSED = [
    ("invoice.pdf", EXE, "EXE (application/x-msdownload) files are not allowed."),
    (
        "archive.docx",
        zipped(("evil.js", "alert(1)", zipfile.ZIP_DEFLATED)),
        "ZIP (application/zip) files are not allowed.",
    ),
    ("prices.csv", b"sku,price\n\x00\x01\x02binary", UNKNOWN),
    ("latin1.txt", "Café".encode("latin-1"), UNKNOWN),
]


async def test_refused_types_leave_nothing_behind(api, tenant, database, settings):
    (customer_id,) = await make_customers(database, tenant.company_id, ["Liberty Books"])
    for filename, content, message in REFUSED:
        payload = await upload(api.client, tenant.rep.token, customer_id, content, filename)
        assert payload == {
            "attachment": None,
            "userErrors": [
                {
                    "field": ["input", "file"],
                    "code": "FILE_TYPE_NOT_ALLOWED",
                    "message": f"{message} Allowed: PDF, Word, Excel, PowerPoint, OpenDocument "
                    "text or spreadsheet, plain text, CSV, PNG, JPEG, GIF or WebP.",
                }
            ],
        }
        assert not stored_path(settings, tenant.company_id, content).exists()
    payload = await upload(api.client, tenant.rep.token, customer_id, b"", "empty.pdf")
    assert payload["userErrors"] == [
        {"field": ["input", "file"], "code": "INVALID", "message": "The file is empty."}
    ]
    assert await attachment_rows(database, tenant.company_id) == []
    assert incoming_files(settings) == []


async def test_multipart_needs_a_preflight_header(api, tenant, database, settings):
    """A cross-site HTML form can post multipart without a preflight; such a request is
    refused before it runs. Any of the preflight-forcing headers lets it through."""
    (customer_id,) = await make_customers(database, tenant.company_id, ["Riverside Florist"])
    response = await api.client.post(
        "/graphql",
        files=multipart(customer_id, b"forged\n", "forged.txt"),
        headers={"Authorization": f"Bearer {tenant.rep.token}"},
    )
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert "Apollo-Require-Preflight" in error["message"]
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    response = await api.client.post(
        "/graphql",
        files=multipart(customer_id, b"forged\n", "forged.txt"),
        headers={"Authorization": f"Bearer {tenant.rep.token}", "Apollo-Require-Preflight": ""},
    )
    assert response.status_code == 400
    assert await attachment_rows(database, tenant.company_id) == []

    for header in ("X-Requested-With", "X-Apollo-Operation-Name"):
        payload = await upload(
            api.client,
            tenant.rep.token,
            customer_id,
            f"via {header}\n".encode(),
            "ok.txt",
            headers={header: "XMLHttpRequest"},
        )
        assert payload["userErrors"] == []
    assert len(await attachment_rows(database, tenant.company_id)) == 2
    # JSON requests need no such header: their content type already forces a preflight.
    data = await api.ok(CUSTOMER_FILES, {"id": customer_id}, token=tenant.rep.token)
    assert len(data["customer"]["attachments"]) == 2


@pytest.fixture
async def small_limit_client(
    database, tmp_path
) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    """The app with a 1,000-byte attachment limit and its own storage directory."""
    settings = Settings(
        database_url=database.url,
        attachments_dir=tmp_path / "attachments",
        attachments_max_bytes=1000,
        log_level="WARNING",
    )
    transport = httpx.ASGITransport(app=create_app(settings, database))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client, settings


async def test_oversize_files_are_refused_and_leave_nothing(small_limit_client, tenant, database):
    client, settings = small_limit_client
    (customer_id,) = await make_customers(database, tenant.company_id, ["Granite State Tools"])
    just_right = b"x" * 999 + b"\n"
    payload = await upload(client, tenant.rep.token, customer_id, just_right, "fits.txt")
    assert payload["attachment"]["size"] == 1000

    too_big = b"y" * 20_000
    payload = await upload(client, tenant.rep.token, customer_id, too_big, "big.txt")
    assert payload == {
        "attachment": None,
        "userErrors": [
            {
                "field": ["input", "file"],
                "code": "FILE_TOO_LARGE",
                "message": "The file is larger than the limit of 1,000 bytes.",
            }
        ],
    }
    assert [r.filename for r in await attachment_rows(database, tenant.company_id)] == ["fits.txt"]
    assert incoming_files(settings) == []
    assert not stored_path(settings, tenant.company_id, too_big).exists()

    # Far beyond the limit the body is cut off while it streams in, before any parsing:
    # with a Content-Length, and without one (chunked).
    huge = b"z" * (2 * 1024 * 1024)
    response = await client.post(
        "/graphql",
        files=multipart(customer_id, huge, "huge.txt"),
        headers={"Authorization": f"Bearer {tenant.rep.token}", **PREFLIGHT},
    )
    assert response.status_code == 413
    assert response.json() == {
        "errors": [
            {
                "message": "The upload is far larger than the attachment limit of 1,000 bytes.",
                "extensions": {"code": "PAYLOAD_TOO_LARGE"},
            }
        ]
    }
    request = client.build_request(
        "POST",
        "/graphql",
        files=multipart(customer_id, huge, "huge.txt"),
        headers={"Authorization": f"Bearer {tenant.rep.token}", **PREFLIGHT},
    )
    body = request.read()

    async def chunked() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    response = await client.post(
        "/graphql",
        content=chunked(),
        headers={
            "Authorization": f"Bearer {tenant.rep.token}",
            "Content-Type": request.headers["content-type"],
            **PREFLIGHT,
        },
    )
    assert response.status_code == 413
    assert len(await attachment_rows(database, tenant.company_id)) == 1
    assert incoming_files(settings) == []


class EndlessUpload:
    """An upload of `total` bytes made up on demand, recording how it was read."""

    filename = "endless.txt"

    def __init__(self, total: int) -> None:
        self.remaining = total
        self.reads: list[int] = []

    async def read(self, size: int = -1) -> bytes:
        self.reads.append(size)
        chunk = b"a" * (self.remaining if size < 0 else min(size, self.remaining))
        self.remaining -= len(chunk)
        return chunk


async def test_an_upload_is_read_in_chunks_and_abandoned_at_the_limit(tmp_path):
    """Memory stays at one chunk: reading stops right after the limit is passed."""
    upload_file = EndlessUpload(total=50 * 1024 * 1024)
    with pytest.raises(UserInputError) as refused:
        await spool_upload(upload_file, tmp_path, 1024 * 1024, "endless.txt")
    assert refused.value.errors[0].code == UserErrorCode.FILE_TOO_LARGE
    assert set(upload_file.reads) == {CHUNK_BYTES}
    assert len(upload_file.reads) == 1024 * 1024 // CHUNK_BYTES + 1
    assert list(tmp_path.iterdir()) == []


async def test_downloads_need_a_token_and_stay_in_their_company(
    api, tenant, other_tenant, database
):
    (customer_id,) = await make_customers(database, tenant.company_id, ["Bayfront Seafood"])
    attachment = await upload_ok(api, tenant.rep.token, customer_id, PDF, "menu.pdf")
    url = attachment["downloadUrl"]

    response = await api.client.get(url)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    response = await api.client.get(url, headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401

    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    response = await api.client.get(url, headers=bearer(other_tenant.admin.token))
    assert response.status_code == 404
    # Malformed (or another type's) ids are the client's mistake, as in GraphQL.
    for bad_id in ("not-an-id", customer_id, encode_id("Attachment", 10**12)):
        response = await api.client.get(f"/attachments/{bad_id}", headers=bearer(tenant.rep.token))
        assert response.status_code == 400, bad_id
        assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_ID"

    # Nor can the other company see, upload to, or delete anything of this one.
    node = await api.ok(
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": attachment["id"]},
        token=other_tenant.admin.token,
    )
    assert node == {"node": None}
    payload = await upload(api.client, other_tenant.admin.token, customer_id, PDF, "x.pdf")
    assert payload["userErrors"] == [
        {"field": ["input", "customerId"], "code": "NOT_FOUND", "message": "No such customer."}
    ]
    data = await api.ok(DELETE, {"id": attachment["id"]}, token=other_tenant.admin.token)
    assert data["attachmentDelete"]["userErrors"] == [
        {"field": ["id"], "code": "NOT_FOUND", "message": "No such attachment."}
    ]
    # A number beyond any primary key is a malformed id (resolvers/ids.py).
    data = await api.ok(DELETE, {"id": encode_id("Attachment", 10**12)}, token=tenant.admin.token)
    assert data["attachmentDelete"]["userErrors"][0]["code"] == "INVALID_ID"
    payload = await upload(
        api.client, tenant.rep.token, encode_id("Customer", 10**12), PDF, "x.pdf"
    )
    assert payload["userErrors"][0]["code"] == "INVALID_ID"
    payload = await upload(api.client, tenant.rep.token, "nope", PDF, "a.pdf")
    assert payload == {
        "attachment": None,
        "userErrors": [
            {
                "field": ["input", "customerId"],
                "code": "INVALID_ID",
                "message": "Not a valid Customer id: 'nope'.",
            }
        ],
    }
    # Only a multipart request carries a file: anything else in its place is refused.
    data = await api.ok(
        UPLOAD, {"input": {"customerId": customer_id, "file": "not a file"}}, token=tenant.rep.token
    )
    assert data["attachmentUpload"]["userErrors"] == [
        {
            "field": ["input", "file"],
            "code": "INVALID",
            "message": "Send the file as a part of a multipart request "
            "(GraphQL multipart request spec).",
        }
    ]
    data = await api.ok(DELETE, {"id": customer_id}, token=tenant.admin.token)
    assert data["attachmentDelete"]["userErrors"][0]["code"] == "INVALID_ID"
    assert len(await attachment_rows(database, tenant.company_id)) == 1
    assert await attachment_rows(database, other_tenant.company_id) == []
    response = await api.client.get(url, headers=bearer(tenant.manager.token))
    assert response.content == PDF


async def test_file_names_are_display_only_and_safely_escaped(api, tenant, database, settings):
    (customer_id,) = await make_customers(database, tenant.company_id, ["Prairie Home Goods"])
    content = b"quarterly numbers\n"
    attachment = await upload_ok(
        api, tenant.rep.token, customer_id, content, "../../etc/Q1 final; – Müller's.txt"
    )
    assert attachment["filename"] == "Q1 final; – Müller's.txt"
    # Stored by content hash: the name never reaches the file system.
    assert stored_path(settings, tenant.company_id, content).read_bytes() == content
    response = await api.client.get(
        attachment["downloadUrl"], headers={"Authorization": f"Bearer {tenant.rep.token}"}
    )
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="Q1 final_  Muller_s.txt"; '
        "filename*=UTF-8''Q1%20final%3B%20%E2%80%93%20M%C3%BCller%27s.txt"
    )
    assert content_disposition('a"b\\c\r\nd.pdf') == (
        "attachment; filename=\"a_b_c__d.pdf\"; filename*=UTF-8''a%22b%5Cc%0D%0Ad.pdf"
    )

    long_name = "a" * 300 + ".pdf"
    attachment = await upload_ok(api, tenant.rep.token, customer_id, PDF, long_name)
    assert attachment["filename"] == "a" * 251 + ".pdf"


def test_client_file_names_lose_directories_and_control_characters():
    assert clean_filename('C:\\Users\\jo\\"Q1"\x07\x00 report.pdf') == '"Q1" report.pdf'
    assert clean_filename("/tmp/../..") == "attachment"
    assert clean_filename(None) == "attachment"
    assert clean_filename("\u202egnp.exe") == "gnp.exe"
    assert clean_filename("x" * 400) == "x" * 255


async def test_attachments_of_a_customer_page_take_the_same_statements(api, tenant, database):
    """A rep's customer page of 10 and of 120, each with files: no statement per customer."""
    few_rep, many_rep = tenant.rep, tenant.rep2
    for rep, count in ((few_rep, 10), (many_rep, 120)):
        ids = await make_customers(
            database, tenant.company_id, [f"Store {n:03d}" for n in range(count)], rep.id
        )
        async with database.transaction(Scope(tenant.company_id)) as session:
            for customer_id in ids:
                for n in range(2):
                    session.add(
                        Attachment(
                            company_id=tenant.company_id,
                            customer_id=decode_id(customer_id)[1],
                            filename=f"file {n}.txt",
                            content_type="text/plain",
                            size=3,
                            sha256=f"{n:064d}",
                            storage_key=content_key(tenant.company_id, f"{n:064d}"),
                            uploaded_by_id=rep.id,
                        )
                    )
    query = """query($first: Int!) { me { assignedCustomers(first: $first) { nodes {
      name attachments { filename downloadUrl uploadedBy { name } customer { name } } } } } }"""
    statements = []
    for rep, count in ((few_rep, 10), (many_rep, 120)):
        data = await api.ok(query, {"first": 200}, token=rep.token)
        nodes = data["me"]["assignedCustomers"]["nodes"]
        assert len(nodes) == count
        assert all(len(n["attachments"]) == 2 for n in nodes)
        assert nodes[0]["attachments"][0]["customer"] == {"name": nodes[0]["name"]}
        statements.append(api.last_statements)
    assert statements[0] == statements[1]
