"""Who is calling, and the connection a request works in (one transaction per request)."""

import hmac
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Annotated

import asyncpg
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..config import Settings
from ..principals import Actor
from ..services import companies

_bearer = HTTPBearer(auto_error=False)


async def actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    """Operator token, a village admin's token, or a company HR desk's token (checked by hash)."""
    settings: Settings = request.app.state.settings
    token = credentials.credentials if credentials else ""
    if token and hmac.compare_digest(token, settings.operator_token.get_secret_value()):
        return Actor(role="operator", name="disnaker")
    for admin_token, desa in settings.village_admin_tokens.items():
        if token and hmac.compare_digest(token, admin_token):
            return Actor(role="village_admin", name=desa, desa_kode=desa)
    if token:
        async with request.app.state.pool.acquire() as conn:
            found = await companies.actor_for_token(conn, token)
        if found is not None:
            return found
    raise HTTPException(
        401,
        "Butuh token yang sah / a valid bearer token is required",
        headers={"WWW-Authenticate": "Bearer"},
    )


def _only(*roles: str) -> Callable[[Actor], Actor]:
    def check(who: Annotated[Actor, Depends(actor)]) -> Actor:
        if who.role not in roles:
            raise HTTPException(403, "Tidak berwenang / not allowed for this role")
        return who

    return check


async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn, conn.transaction():
        yield conn


def now() -> datetime:
    return datetime.now(UTC)


# "function": the transaction commits before the response leaves, so a client that got a 201
# can read what it made at once, and a failed commit is an error, never a lost write. (The
# default, "request", would commit after the response was sent.)
Conn = Annotated[asyncpg.Connection, Depends(connection, scope="function")]
Who = Annotated[Actor, Depends(actor)]
Operator = Annotated[Actor, Depends(_only("operator"))]
Staff = Annotated[Actor, Depends(_only("operator", "company"))]
Applicant = Annotated[Actor, Depends(_only("operator", "village_admin"))]
