"""Attachments on an S3-compatible store (several servers share the files), against
moto's S3 server started on a loopback port by the test."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from resolvers.storage import content_key
from server.app import create_app
from server.settings import Settings
from tests.test_attachments import (
    DELETE,
    EXE,
    PDF,
    attachment_rows,
    incoming_files,
    make_customers,
    upload,
)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with pytest.MonkeyPatch.context() as env:
        # moto accepts any credentials; boto3 just needs some.
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.delenv("AWS_PROFILE", raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@pytest.fixture
async def s3_app(database, s3_endpoint, tmp_path) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    bucket = f"rolodex-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    settings = Settings(
        database_url=database.url,
        attachments_dir=tmp_path / "scratch",
        storage_backend="s3",
        s3_bucket=bucket,
        s3_endpoint_url=s3_endpoint,
        s3_region="us-east-1",
        log_level="WARNING",
    )
    transport = httpx.ASGITransport(app=create_app(settings, database))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client, s3, settings


def object_keys(s3, bucket: str) -> list[str]:
    return [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


async def test_upload_download_and_delete_through_s3(s3_app, tenant, database):
    client, s3, settings = s3_app
    bucket = settings.s3_bucket
    first, second = await make_customers(
        database, tenant.company_id, ["Willow Creek Wines", "Evergreen Nursery"]
    )
    key = content_key(tenant.company_id, hashlib.sha256(PDF).hexdigest())
    token = tenant.rep.token
    bearer = {"Authorization": f"Bearer {token}"}

    one = (await upload(client, token, first, PDF, "order form.pdf"))["attachment"]
    two = (await upload(client, token, second, PDF, "order form.pdf"))["attachment"]
    assert (one["contentType"], one["size"]) == ("application/pdf", len(PDF))
    assert object_keys(s3, bucket) == [key]
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == PDF
    assert incoming_files(settings) == []

    refused = await upload(client, token, first, EXE, "setup.pdf")
    assert refused["userErrors"][0]["code"] == "FILE_TYPE_NOT_ALLOWED"
    assert object_keys(s3, bucket) == [key]

    response = await client.get(one["downloadUrl"], headers=bearer)
    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-length"] == str(len(PDF))
    assert response.headers["x-content-type-options"] == "nosniff"

    deleted = await client.post(
        "/graphql", json={"query": DELETE, "variables": {"id": one["id"]}}, headers=bearer
    )
    assert deleted.json()["data"]["attachmentDelete"]["userErrors"] == []
    assert object_keys(s3, bucket) == [key]
    await client.post(
        "/graphql", json={"query": DELETE, "variables": {"id": two["id"]}}, headers=bearer
    )
    assert object_keys(s3, bucket) == []
    assert await attachment_rows(database, tenant.company_id) == []
    response = await client.get(two["downloadUrl"], headers=bearer)
    assert response.status_code == 404


async def test_missing_bytes_in_s3_are_a_404_not_a_crash(s3_app, tenant, database):
    client, s3, settings = s3_app
    (customer_id,) = await make_customers(database, tenant.company_id, ["Coastal Surf Shop"])
    attachment = (await upload(client, tenant.rep.token, customer_id, PDF, "a.pdf"))["attachment"]
    s3.delete_object(
        Bucket=settings.s3_bucket, Key=content_key(tenant.company_id, attachment["sha256"])
    )
    response = await client.get(
        attachment["downloadUrl"], headers={"Authorization": f"Bearer {tenant.rep.token}"}
    )
    assert response.status_code == 404
