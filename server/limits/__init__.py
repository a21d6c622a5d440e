"""Every limit that keeps one caller from exhausting a worker (docs/limits.md)."""

from __future__ import annotations

from dataclasses import dataclass

from server.limits.buckets import BucketStore, bucket_store
from server.limits.throttle import LoginThrottle, QueryThrottle
from server.settings import Settings


@dataclass
class Limits:
    store: BucketStore
    queries: QueryThrottle
    logins: LoginThrottle

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        store = bucket_store(settings.redis_url, settings.redis_key_prefix)
        return cls(store, QueryThrottle(store, settings), LoginThrottle(store, settings))
