"""Where attachment bytes live: a small interface by key, on local disk or in S3.

Keys are derived from the content hash (see `content_key`), never from a user's
file name, so no path a client sends ever reaches the file system or bucket.
Both backends are blocking libraries (file I/O, boto3); their calls run in a
worker thread so the event loop keeps serving other requests meanwhile.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from server.settings import Settings

CHUNK_BYTES = 64 * 1024


class MissingObject(LookupError):
    """The storage holds nothing under this key."""


def content_key(company_id: int, sha256: str) -> str:
    """`c<company>/ab/cd/<sha256>`: one object per company and content.

    The company prefix keeps tenants' bytes apart, so deleting one company's
    last reference can never remove a file another company still uses.
    """
    return f"c{company_id}/{sha256[:2]}/{sha256[2:4]}/{sha256}"


class Storage(Protocol):
    async def put(self, key: str, source: Path) -> None:
        """Stores the file at `source` under `key` (it may move the file away)."""

    async def open(self, key: str) -> AsyncIterator[bytes]:
        """The bytes under `key` in chunks; raises MissingObject before yielding anything."""

    async def delete(self, key: str) -> None:
        """Removes `key`; nothing happens when it is already gone."""

    async def exists(self, key: str) -> bool: ...


async def _iterate_in_thread(chunks: Iterator[bytes], close: Any) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(next, chunks, b""):
            yield chunk
    finally:
        await asyncio.to_thread(close)


class LocalStorage:
    """Files under one directory, which must not be served statically."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        # Keys come from content_key; this guards against any other caller's mistake.
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"storage key escapes the storage root: {key!r}")
        return path

    async def put(self, key: str, source: Path) -> None:
        target = self._path(key)

        def move() -> None:
            target.parent.mkdir(parents=True, exist_ok=True)
            # Atomic when source is on the same file system (uploads spool under root).
            os.replace(source, target)

        await asyncio.to_thread(move)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        try:
            handle = await asyncio.to_thread(self._path(key).open, "rb")
        except FileNotFoundError as error:
            raise MissingObject(key) from error
        return _iterate_in_thread(iter(lambda: handle.read(CHUNK_BYTES), b""), handle.close)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)


class S3Storage:
    """Objects in one bucket of an S3-compatible store, for several servers sharing files.

    Credentials come from boto3's usual chain (environment, config files, instance role).
    """

    def __init__(self, bucket: str, *, endpoint_url: str | None, region: str) -> None:
        import boto3

        self.bucket = bucket
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)

    async def put(self, key: str, source: Path) -> None:
        await asyncio.to_thread(self.client.upload_file, str(source), self.bucket, key)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        try:
            response = await asyncio.to_thread(self.client.get_object, Bucket=self.bucket, Key=key)
        except self.client.exceptions.NoSuchKey as error:
            raise MissingObject(key) from error
        body = response["Body"]
        return _iterate_in_thread(body.iter_chunks(CHUNK_BYTES), body.close)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=key)

    async def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            await asyncio.to_thread(self.client.head_object, Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True


# One backend per configuration: a boto3 client is costly to make and safe to share.
_STORAGES: dict[tuple[Any, ...], Storage] = {}


def storage_for(settings: Settings) -> Storage:
    """The storage backend the settings choose (`storage_backend`: local or s3)."""
    if settings.storage_backend == "s3":
        config: tuple[Any, ...] = (
            "s3",
            settings.s3_bucket,
            settings.s3_endpoint_url,
            settings.s3_region,
        )
        if config not in _STORAGES:
            _STORAGES[config] = S3Storage(
                settings.s3_bucket, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region
            )
        return _STORAGES[config]
    if settings.storage_backend != "local":
        raise ValueError(f"Unknown storage_backend {settings.storage_backend!r}: local or s3.")
    return LocalStorage(settings.attachments_dir)


def incoming_dir(settings: Settings) -> Path:
    """Scratch space for uploads in flight, beside the local files so a move is a rename."""
    return Path(settings.attachments_dir) / "incoming"
