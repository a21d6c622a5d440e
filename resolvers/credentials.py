"""Passwords (argon2) and bearer tokens (random, stored only as SHA-256 hashes)."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuthToken, Company, Staff, utcnow
from resolvers.permissions import Viewer

_hasher = PasswordHasher()
# One argon2 computation at a time per process, in a thread: it is slow on purpose
# (tens of ms of CPU and 64 MiB each), and a sign-in flood must leave the event loop
# and the other core to everyone else's requests.
_hashing = asyncio.Semaphore(1)


async def hash_password_off_loop(password: str) -> str:
    async with _hashing:
        return await asyncio.to_thread(hash_password, password)


async def verify_password_off_loop(password_hash: str | None, password: str) -> bool:
    async with _hashing:
        return await asyncio.to_thread(verify_password, password_hash, password)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Spend the same time as a real check so missing accounts aren't revealed.
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(session: AsyncSession, staff: Staff, ttl_hours: int) -> str:
    """Creates a bearer token for `staff`; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    session.add(
        AuthToken(
            company_id=staff.company_id,
            staff_id=staff.id,
            token_hash=hash_token(token),
            expires_at=utcnow() + timedelta(hours=ttl_hours),
        )
    )
    await session.flush()
    return token


async def viewer_for_token(session: AsyncSession, token: str) -> Viewer | None:
    """The viewer of a live token of an active staff member, else None. One statement."""
    now: datetime = utcnow()
    row = (
        await session.execute(
            select(AuthToken.id, Staff.id, Staff.company_id, Staff.role, Staff.name, Company)
            .join(Staff, Staff.id == AuthToken.staff_id)
            .join(Company, Company.id == Staff.company_id)
            .where(
                AuthToken.token_hash == hash_token(token),
                AuthToken.revoked_at.is_(None),
                AuthToken.expires_at > now,
                Staff.active.is_(True),
            )
        )
    ).first()
    if row is None:
        return None
    token_id, staff_id, company_id, role, name, company = row
    return Viewer(
        staff_id=staff_id,
        company_id=company_id,
        role=role,
        name=name,
        token_id=token_id,
        company_timezone=company.timezone,
        rep_visibility=company.rep_visibility,
    )


class TokenProblem:
    """Why a request is not signed in: `extensions.reason` of UNAUTHENTICATED errors.

    MISSING: no bearer token (sign in); INVALID: not a token of ours (a bug, or a
    garbled header); EXPIRED: its lifetime ended (sign in again); REVOKED: signed out,
    or the staff member was deactivated.
    """

    MISSING = "MISSING"
    INVALID = "INVALID"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


async def token_problem(session: AsyncSession, token: str) -> str:
    """Why `token` gives no viewer. Read only after a failed sign-in: the valid path
    stays one statement."""
    row = (
        await session.execute(
            select(AuthToken.revoked_at, AuthToken.expires_at, Staff.active)
            .join(Staff, Staff.id == AuthToken.staff_id)
            .where(AuthToken.token_hash == hash_token(token))
        )
    ).first()
    if row is None:
        return TokenProblem.INVALID
    revoked_at, expires_at, active = row
    if revoked_at is not None or not active:
        return TokenProblem.REVOKED
    if expires_at <= utcnow():
        return TokenProblem.EXPIRED
    return TokenProblem.INVALID


# What a client is told, per TokenProblem.
UNAUTHENTICATED_MESSAGES = {
    TokenProblem.MISSING: "Sign in first: send `Authorization: Bearer <token>`.",
    TokenProblem.INVALID: "This is not a valid bearer token: send `Authorization: Bearer "
    "<token>` with a token from `login`.",
    TokenProblem.EXPIRED: "Your sign-in has expired: sign in again.",
    TokenProblem.REVOKED: "This token was revoked (signed out, or the account deactivated): "
    "sign in again.",
}


def unauthenticated_extensions(problem: str) -> dict[str, str]:
    return {"code": "UNAUTHENTICATED", "reason": problem}
