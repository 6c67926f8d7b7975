"""The operators' endpoints for a service's API keys: issue (the key is in the answer, once),
list (never the secret), revoke. `install_key_admin(app, service=..., roles=...)` mounts them."""

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from . import keys
from .fastapi import OperatorOnly, not_found
from .principal import Role, ScopeError

ScopeCheck = Callable[[asyncpg.Connection, str, dict[str, str]], Awaitable[str | None]]


class KeyScope(BaseModel):
    model_config = ConfigDict(extra="forbid")
    company_id: UUID | None = None
    institution_id: UUID | None = None
    desa_kode: str | None = Field(default=None, pattern=r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
    kecamatan_kode: str | None = Field(default=None, pattern=r"^\d{2}\.\d{2}\.\d{2}$")


class KeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    label: str = Field(min_length=3, max_length=100, description="Who holds it, e.g. `HRD PT X`")
    scope: KeyScope = Field(default_factory=KeyScope)
    expires_in_days: int = Field(default=90, ge=1, le=keys.MAX_LIFETIME.days)


class KeyOut(BaseModel):
    key_id: str
    role: str
    label: str
    scope: dict[str, str]
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class IssuedKeyOut(KeyOut):
    key: str = Field(description="The whole key. Shown this once; only its hash is kept.")


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": ("body", field), "msg": message, "type": "value_error", "input": None}]
    )


def key_admin_router(
    *, service: str, roles: tuple[str, ...], check_scope: ScopeCheck | None = None
) -> APIRouter:
    router = APIRouter(prefix="/api-keys", tags=["api keys"])

    async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
        async with request.app.state.pool.acquire() as conn, conn.transaction():
            yield conn

    Conn = Annotated[asyncpg.Connection, Depends(connection, scope="function")]

    @router.post("", status_code=201, response_model=IssuedKeyOut)
    async def issue_key(body: KeyRequest, conn: Conn, who: OperatorOnly) -> IssuedKeyOut:
        """Issue a key for a role of this service; the answer is the only place it appears."""
        if body.role not in roles:
            raise _invalid("role", f"{service} has no role {body.role}; roles: {', '.join(roles)}")
        scope: dict[str, Any] = body.scope.model_dump(exclude_none=True)
        if check_scope is not None:
            problem = await check_scope(conn, body.role, {k: str(v) for k, v in scope.items()})
            if problem:
                raise _invalid("scope", problem)
        now = datetime.now(UTC)
        try:
            issued = await keys.issue(
                conn,
                service=service,
                role=body.role,
                subject=body.label,
                scope=scope,
                label=body.label,
                created_by=who.label,
                now=now,
                lifetime=timedelta(days=body.expires_in_days),
            )
        except ScopeError as exc:
            raise _invalid("scope", str(exc)) from exc
        row = await conn.fetchrow("SELECT * FROM api_key WHERE key_id = $1", issued.key_id)
        return IssuedKeyOut(key=issued.key, **_out(keys.KeyRecord.of(row)).model_dump())

    @router.get("", response_model=list[KeyOut])
    async def list_keys(conn: Conn, who: OperatorOnly, include_ended: bool = False) -> list[KeyOut]:
        """This service's keys (live ones; `include_ended` adds expired and revoked)."""
        records = await keys.listing(conn, include_ended=include_ended, now=datetime.now(UTC))
        return [_out(r) for r in records]

    @router.delete("/{key_id}", status_code=204)
    async def revoke_key(key_id: str, conn: Conn, who: OperatorOnly) -> Response:
        """End a key at once."""
        if not await keys.revoke(conn, key_id, now=datetime.now(UTC)):
            raise not_found()
        return Response(status_code=204)

    return router


def _out(record: keys.KeyRecord) -> KeyOut:
    return KeyOut(
        key_id=record.key_id,
        role=record.role,
        label=record.label,
        scope=record.scope,
        created_by=record.created_by,
        created_at=record.created_at,
        expires_at=record.expires_at,
        revoked_at=record.revoked_at,
        last_used_at=record.last_used_at,
    )


def install_key_admin(
    app: FastAPI, *, service: str, roles: tuple[str, ...], check_scope: ScopeCheck | None = None
) -> None:
    app.include_router(key_admin_router(service=service, roles=roles, check_scope=check_scope))
