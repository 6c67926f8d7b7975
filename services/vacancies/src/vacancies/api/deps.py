"""Who is calling (the chassis: an API key of this service or the operator's token), and the
connection a request works in (one transaction per request)."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

import asyncpg
from fastapi import Depends, Request

from kerjalokal.auth import Principal
from kerjalokal.auth.fastapi import principal, require

from ..principals import PUBLIC_READERS


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
Who = Annotated[Principal, Depends(principal)]
"""Any principal with a valid key; the use case decides what it sees (public or its own)."""
Operator = Annotated[Principal, Depends(require("operator"))]
Staff = Annotated[Principal, Depends(require("operator", "company"))]
Applicant = Annotated[Principal, Depends(require("operator", "village_admin"))]
Involved = Annotated[Principal, Depends(require("operator", "company", "village_admin"))]
"""Those an application concerns: the office, the company, the resident's village admin."""
Reader = Annotated[Principal, Depends(require("operator", *PUBLIC_READERS))]
"""The office and the readers of public data (not an HR desk: it sees its own company only)."""
