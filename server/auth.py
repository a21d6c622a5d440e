"""The edge of auth: from an HTTP Authorization header to the request's viewer."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from db.session import Database
from resolvers.credentials import TokenProblem, token_problem, viewer_for_token
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


async def sign_in_problem(db: Database, authorization: str | None) -> str:
    """Why `authorization` signs no one in (TokenProblem): after a failed authenticate."""
    token = bearer_token(authorization)
    if token is None:
        # A header that is there but not `Bearer <token>` is the client's bug.
        return TokenProblem.INVALID if authorization else TokenProblem.MISSING
    session = db.session(None)
    try:
        return await token_problem(session, token)
    finally:
        await session.close()
