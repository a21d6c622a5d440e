"""The buckets each caller draws on: query points per token and company, sign-in attempts.

Shopify's model: a bucket per token holds `rate_limit_points` and is restored at
`rate_limit_restore_per_second`; a request needs its requested cost in the bucket, pays
it before running and gets back what it did not use. Each company has a bucket too
(`company_rate_limit_*`), so one tenant's tokens together cannot take every worker from
the others. Redis trouble never takes the API down: the request is admitted and logged.
"""

from __future__ import annotations

from typing import Any

from redis.exceptions import RedisError

from schema.cost import ThrottleStatus
from server.limits.buckets import Bucket, BucketStore, Outcome
from server.logging import log
from server.settings import Settings


class QueryThrottle:
    def __init__(self, store: BucketStore, settings: Settings) -> None:
        self.store = store
        self.points = settings.rate_limit_points
        self.rate = settings.rate_limit_restore_per_second
        self.company_points = settings.company_rate_limit_points
        self.company_rate = settings.company_rate_limit_restore_per_second

    def buckets(self, context: Any) -> list[Bucket]:
        viewer = context.viewer
        return [
            Bucket(f"token:{viewer.token_id}", self.points, self.rate),
            Bucket(f"company:{viewer.company_id}", self.company_points, self.company_rate),
        ]

    async def _step(self, context: Any, cost: float) -> ThrottleStatus:
        buckets = self.buckets(context)
        try:
            outcome = await self.store.take(buckets, cost)
        except (RedisError, OSError) as error:
            log.warning("throttle.unavailable", error=repr(error))
            return ThrottleStatus(self.points, self.points, self.rate)
        return self._status(outcome)

    def _status(self, outcome: Outcome) -> ThrottleStatus:
        token = outcome.levels[0]
        return ThrottleStatus(
            maximum_available=self.points,
            currently_available=max(0.0, token.available),
            restore_rate=self.rate,
            retry_after=None if outcome.taken else outcome.retry_after,
        )

    async def take(self, context: Any, cost: int) -> ThrottleStatus:
        return await self._step(context, cost)

    async def refund(self, context: Any, points: int) -> ThrottleStatus:
        return await self._step(context, -points)


class LoginThrottle:
    """Each sign-in takes an attempt per e-mail and per address; a success gives it back."""

    def __init__(self, store: BucketStore, settings: Settings) -> None:
        self.store = store
        window = settings.login_attempts_window_seconds
        self.per_email = settings.login_attempts_per_email
        self.per_address = settings.login_attempts_per_address
        self.email_rate = self.per_email / window
        self.address_rate = self.per_address / window

    def buckets(self, email: str, address: str | None) -> list[Bucket]:
        buckets = [Bucket(f"login:email:{email.strip().lower()}", self.per_email, self.email_rate)]
        if address:
            buckets.append(Bucket(f"login:address:{address}", self.per_address, self.address_rate))
        return buckets

    async def attempt(self, email: str, address: str | None) -> float | None:
        try:
            outcome = await self.store.take(self.buckets(email, address), 1)
        except (RedisError, OSError) as error:
            log.warning("throttle.unavailable", error=repr(error))
            return None
        return None if outcome.taken else outcome.retry_after

    async def succeeded(self, email: str, address: str | None) -> None:
        try:
            await self.store.take(self.buckets(email, address), -1)
        except (RedisError, OSError) as error:
            log.warning("throttle.unavailable", error=repr(error))
