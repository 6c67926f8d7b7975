"""FastAPI dependencies: the caller's principal from `Authorization: Bearer <key>`, and the
checks of its role. Every service sets `app.state.auth = AuthConfig(...)` and `app.state.pool`.

The operator's bootstrap token (`OPERATOR_TOKEN`, from the secret store) is the one key that is
not in the database: it lets the office issue the first keys and is rotated by redeploying with a
new value (docs/security.md). Everything else is an API key of this service (`keys.py`).
"""

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

import asyncpg
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from . import keys
from .principal import OPERATOR, Principal

_bearer = HTTPBearer(auto_error=False, description="An API key (`kl_...`) or the operator token")

UNAUTHENTICATED = "Butuh kunci API yang sah / a valid API key is required"
FORBIDDEN = "Peran ini tidak berwenang / this role is not allowed to do this"
NOT_FOUND = "Tidak ditemukan / not found"

ExtraAuthenticator = Callable[[asyncpg.Connection, str], Awaitable[Principal | None]]


@dataclass(frozen=True)
class AuthConfig:
    service: str
    operator_token: SecretStr
    extra: tuple[ExtraAuthenticator, ...] = field(default=())
    """Service-specific credentials checked after the API keys (none in a new service)."""


async def authenticate(request: Request, token: str) -> Principal | None:
    config: AuthConfig = request.app.state.auth
    if not token:
        return None
    if hmac.compare_digest(token.encode(), config.operator_token.get_secret_value().encode()):
        return OPERATOR
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn:
        if token.startswith("kl_"):
            return await keys.authenticate(
                conn, token, service=config.service, now=datetime.now(UTC)
            )
        for extra in config.extra:
            found = await extra(conn, token)
            if found is not None:
                return found
    return None


async def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    found = await authenticate(request, credentials.credentials if credentials else "")
    if found is None:
        raise HTTPException(401, UNAUTHENTICATED, headers={"WWW-Authenticate": "Bearer"})
    request.state.principal = found
    return found


async def optional_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """For public pages that show more to a known caller; a wrong key is still a 401."""
    if credentials is None:
        return None
    return await principal(request, credentials)


def require(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that lets only `roles` through (403 for the others, 401 without a key)."""

    async def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if who.role not in roles:
            raise HTTPException(403, FORBIDDEN)
        return who

    check.__name__ = "require_" + "_or_".join(roles)
    return check


def not_found() -> HTTPException:
    """What a caller gets for an object that is not there and for one that is not theirs alike."""
    return HTTPException(404, NOT_FOUND)


Caller = Annotated[Principal, Depends(principal)]
OperatorOnly = Annotated[Principal, Depends(require("operator"))]
