"""What sign-in needs of the server's rate limits (server/limits implements it)."""

from __future__ import annotations

from typing import Protocol


class LoginAttempts(Protocol):
    """Failed sign-ins counted per e-mail and per client address."""

    async def attempt(self, email: str, address: str | None) -> float | None:
        """Takes one attempt; None when allowed, else the seconds until one is."""
        ...

    async def succeeded(self, email: str, address: str | None) -> None:
        """Gives the attempt back: only failures count."""
        ...
