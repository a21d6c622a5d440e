"""The edge of auth: from an HTTP Authorization header to the request's viewer."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.session import Database
from resolvers.credentials import viewer_for_token
from resolvers.permissions import Viewer


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


async def authenticate(db: Database, authorization: str | None) -> Viewer | None:
    token = bearer_token(authorization)
    if token is None:
        return None
    session = db.session(None)
    try:
        return await viewer_for_token(session, token)
    finally:
        await session.close()


async def authenticate_in(session: AsyncSession, authorization: str | None) -> Viewer | None:
    """Like `authenticate`, on a session the caller goes on using for the request."""
    token = bearer_token(authorization)
    return await viewer_for_token(session, token) if token else None
