"""Leaky buckets, in this process's memory or in Redis (shared by every worker and machine).

A bucket holds up to `capacity` points and is restored at `rate` points a second.
`take` removes `cost` points from several buckets at once, or from none: the caller's
token and its company are charged together, so neither can be overdrawn by a race. A
negative cost gives points back (a refund once the actual cost is known); a refund
never fills a bucket past its capacity. In Redis one Lua script does the whole step,
atomically, on the server's clock.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis


@dataclass(frozen=True)
class Bucket:
    key: str
    capacity: float
    rate: float  # points restored per second


@dataclass(frozen=True)
class Level:
    """A bucket after a step: its points, and how long until it could pay the cost."""

    available: float
    wait: float  # 0 when the step was taken


@dataclass(frozen=True)
class Outcome:
    taken: bool
    levels: tuple[Level, ...]

    @property
    def retry_after(self) -> float:
        return max((level.wait for level in self.levels), default=0.0)


class BucketStore(Protocol):
    async def take(self, buckets: Sequence[Bucket], cost: float) -> Outcome: ...

    async def close(self) -> None: ...


def _restored(available: float, updated: float, now: float, bucket: Bucket) -> float:
    return min(bucket.capacity, available + max(0.0, now - updated) * bucket.rate)


def _wait(available: float, cost: float, bucket: Bucket) -> float:
    # A cost above the capacity waits for a full bucket: it can never be more.
    need = min(cost, bucket.capacity)
    if available >= need:
        return 0.0
    return (need - available) / bucket.rate if bucket.rate > 0 else float("inf")


class MemoryBuckets:
    """One process's buckets (`--workers 2` means two sets: use Redis to share them)."""

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._state: dict[str, tuple[float, float]] = {}

    def _level(self, bucket: Bucket, now: float) -> float:
        available, updated = self._state.get(bucket.key, (bucket.capacity, now))
        return _restored(available, updated, now, bucket)

    async def take(self, buckets: Sequence[Bucket], cost: float) -> Outcome:
        now = self._clock()
        current = [self._level(b, now) for b in buckets]
        waits = (
            [_wait(a, cost, b) for a, b in zip(current, buckets, strict=True)] if cost > 0 else []
        )
        if any(waits):
            return Outcome(False, tuple(Level(a, w) for a, w in zip(current, waits, strict=True)))
        after = [min(b.capacity, a - cost) for a, b in zip(current, buckets, strict=True)]
        for value, bucket in zip(after, buckets, strict=True):
            self._state[bucket.key] = (value, now)
        return Outcome(True, tuple(Level(a, 0.0) for a in after))

    async def close(self) -> None:
        self._state.clear()


# KEYS: the buckets; ARGV: cost, then capacity and rate of each bucket.
# Returns, per bucket, its points and its wait, as strings (Lua numbers would be cut to integers).
TAKE_SCRIPT = """
local cost = tonumber(ARGV[1])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local levels, waits, refused = {}, {}, false
for i, key in ipairs(KEYS) do
  local capacity, rate = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local state = redis.call('HMGET', key, 'points', 'at')
  local points = tonumber(state[1]) or capacity
  local at = tonumber(state[2]) or now
  points = math.min(capacity, points + math.max(0, now - at) * rate)
  levels[i] = points
  waits[i] = 0
  local need = math.min(cost, capacity)
  if cost > 0 and points < need then
    refused = true
    waits[i] = (need - points) / rate
  end
end
local out = {}
for i, key in ipairs(KEYS) do
  local capacity, rate = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  if not refused then
    levels[i] = math.min(capacity, levels[i] - cost)
    redis.call('HSET', key, 'points', tostring(levels[i]), 'at', tostring(now))
    -- A bucket left alone refills completely: then it may as well not exist.
    redis.call('PEXPIRE', key, math.ceil((capacity - levels[i]) / rate * 1000) + 1000)
  end
  out[2 * i - 1] = tostring(levels[i])
  out[2 * i] = tostring(waits[i])
end
table.insert(out, 1, refused and '0' or '1')
return out
"""


class RedisBuckets:
    """Buckets in Redis: every worker of every machine sees the same ones."""

    def __init__(self, url: str, prefix: str = "rolodex:") -> None:
        self.client = aioredis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix
        self._script = self.client.register_script(TAKE_SCRIPT)

    async def take(self, buckets: Sequence[Bucket], cost: float) -> Outcome:
        arguments: list[float] = [cost]
        for bucket in buckets:
            arguments += [bucket.capacity, bucket.rate]
        reply = await self._script(keys=[self.prefix + b.key for b in buckets], args=arguments)
        taken, values = reply[0] in (b"1", "1"), [float(v) for v in reply[1:]]
        levels = tuple(Level(values[i], values[i + 1]) for i in range(0, len(values), 2))
        return Outcome(taken, levels)

    async def close(self) -> None:
        await self.client.aclose()


def bucket_store(redis_url: str | None, prefix: str) -> BucketStore:
    return RedisBuckets(redis_url, prefix) if redis_url else MemoryBuckets()


__all__ = ["Bucket", "BucketStore", "MemoryBuckets", "Outcome", "RedisBuckets", "bucket_store"]
