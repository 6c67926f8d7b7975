"""Who may use the console, through the shared chassis (`kerjalokal.auth`).

Credentials: the operator's bootstrap token (`OPERATOR_TOKEN`) and the console's API keys
(`kl_console_...`, roles operator, agency and service; issued at /api-keys or with
`kerjalokal keys issue --service console`). The API takes either as `Authorization: Bearer`.
The pages take a session cookie set by the login form, which takes either as well.

The cookie carries the principal (role and key id) and an expiry, signed with HMAC under the
operator token (changing the token logs everyone out). It lives `CONSOLE_SESSION_HOURS` (8 by
default, 12 at most) and never past its key's expiry; the key is looked up again on every
request, so a revoked or expired key ends its sessions at once. HttpOnly, SameSite=Strict. Forms
also carry a CSRF token derived from the cookie.

Roles: operators see and do everything. Agencies and service accounts read public figures only
(tracker, campaigns, the monthly report) and the public event types of the live stream; never
dead letters (they hold payloads), queues, projections, erasures or key administration.
"""

import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated

import asyncpg
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kerjalokal.auth.fastapi import FORBIDDEN, UNAUTHENTICATED, authenticate
from kerjalokal.auth.principal import OPERATOR, Principal

COOKIE = "kerjalokal_console"
READERS = ("operator", "agency", "service")
"""Roles that may read the public figures (tracker, campaigns, report, public events)."""
LOGIN_ROLES = ("operator", "agency")
"""Roles that may log in to the pages (a service account is for programs, not people)."""
_bearer = HTTPBearer(
    auto_error=False, description="A console API key (`kl_console_...`) or the operator token"
)


class LoginRequired(Exception):
    def __init__(self, path: str) -> None:
        self.path = path


class PageForbidden(Exception):
    """A logged-in role that may not open this page."""

    def __init__(self, who: Principal) -> None:
        self.who = who


def _secret(request: Request) -> bytes:
    token: str = request.app.state.settings.operator_token.get_secret_value()
    return token.encode()


def _sign(secret: bytes, message: str) -> str:
    return hmac.new(secret, message.encode(), hashlib.sha256).hexdigest()


async def login(request: Request, token: str) -> Principal | None:
    """The principal of a credential typed into the login form (None: wrong, expired, revoked,
    or a role that does not log in)."""
    found = await authenticate(request, token.strip())
    return found if found is not None and found.role in LOGIN_ROLES else None


async def session_cookie(request: Request, who: Principal) -> tuple[str, int]:
    """The cookie value for `who` and its max-age: the session length, cut at the key's expiry."""
    hours = request.app.state.settings.session_hours
    expires = int(time.time() + hours * 3600)
    if who.key_id:
        key_expires = await request.app.state.pool.fetchval(
            "SELECT expires_at FROM api_key WHERE key_id = $1", who.key_id
        )
        if key_expires is not None:
            expires = min(expires, int(key_expires.timestamp()))
    payload = f"{who.role}.{who.key_id or '-'}.{expires}"
    value = f"{payload}.{_sign(_secret(request), 'session:' + payload)}"
    return value, max(1, expires - int(time.time()))


async def _key_principal(pool: asyncpg.Pool, key_id: str, role: str) -> Principal | None:
    """A live console key of `role` by its id: the check behind every request of a session."""
    row = await pool.fetchrow(
        "SELECT key_id, role, subject, scope FROM api_key WHERE key_id = $1"
        " AND revoked_at IS NULL AND expires_at > $2",
        key_id,
        datetime.now(UTC),
    )
    if row is None or row["role"] != role:
        return None
    return Principal(
        role=row["role"],
        subject=row["subject"],
        key_id=row["key_id"],
        scope=json.loads(row["scope"]),
    )


async def still_valid(pool: asyncpg.Pool, who: Principal) -> bool:
    """Whether `who`'s key is still live (the bootstrap token always is): what a long live
    stream checks now and then."""
    return who.key_id is None or await _key_principal(pool, who.key_id, who.role) is not None


async def cookie_principal(request: Request) -> Principal | None:
    """The principal of a valid session cookie whose key is still live, else None."""
    cached: Principal | None = getattr(request.state, "session_principal", None)
    if cached is not None:
        return cached
    value = request.cookies.get(COOKIE, "")
    parts = value.split(".")
    if len(parts) != 4:
        return None
    role, key_id, expires, signature = parts
    if not expires.isdigit() or int(expires) < time.time():
        return None
    expected = _sign(_secret(request), f"session:{role}.{key_id}.{expires}")
    if not hmac.compare_digest(signature, expected):
        return None
    if key_id == "-":
        found: Principal | None = OPERATOR if role == "operator" else None
    else:
        found = await _key_principal(request.app.state.pool, key_id, role)
    if found is not None:
        request.state.session_principal = found
    return found


def csrf_token(request: Request) -> str:
    return _sign(_secret(request), f"csrf:{request.cookies.get(COOKIE, '')}")


async def api_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The API's caller: a bearer key or token, else a page session (the live stream page)."""
    if credentials is not None:
        found = await authenticate(request, credentials.credentials)
    else:
        found = await cookie_principal(request)
    if found is None:
        raise HTTPException(401, UNAUTHENTICATED, headers={"WWW-Authenticate": "Bearer"})
    request.state.principal = found
    return found


def api_role(*roles: str) -> Callable[..., Awaitable[Principal]]:
    async def check(who: Annotated[Principal, Depends(api_principal)]) -> Principal:
        if who.role not in roles:
            raise HTTPException(403, FORBIDDEN)
        return who

    check.__name__ = "api_" + "_or_".join(roles)
    return check


def page_role(*roles: str) -> Callable[..., Awaitable[Principal]]:
    async def check(request: Request) -> Principal:
        who = await cookie_principal(request)
        if who is None:
            raise LoginRequired(request.url.path)
        if who.role not in roles:
            raise PageForbidden(who)
        request.state.principal = who
        return who

    check.__name__ = "page_" + "_or_".join(roles)
    return check


def form_role(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """A page form post: a live session of one of `roles` and the CSRF token it was rendered
    with."""
    page = page_role(*roles)

    async def check(request: Request) -> Principal:
        who = await page(request)
        form = await request.form()
        if not hmac.compare_digest(str(form.get("csrf", "")), csrf_token(request)):
            raise HTTPException(
                403, "Formulir kedaluwarsa, muat ulang halaman / stale form, reload the page"
            )
        return who

    check.__name__ = "form_" + "_or_".join(roles)
    return check


ApiOperator = Annotated[Principal, Depends(api_role("operator"))]
ApiReader = Annotated[Principal, Depends(api_role(*READERS))]
PageOperator = Annotated[Principal, Depends(page_role("operator"))]
PageReader = Annotated[Principal, Depends(page_role(*LOGIN_ROLES))]
FormOperator = Annotated[Principal, Depends(form_role("operator"))]
FormReader = Annotated[Principal, Depends(form_role(*LOGIN_ROLES))]
