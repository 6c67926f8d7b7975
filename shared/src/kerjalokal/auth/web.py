"""Security headers on every response and rate limits for public pages, feeds and logins."""

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import HTTPException, Request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]

# Pages are served from the service itself: no inline scripts, no third-party origins, never
# framed. The documentation pages (Swagger UI, ReDoc, AsyncAPI) load their bundles from a CDN.
STRICT_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data: https://fastapi.tiangolo.com; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://unpkg.com; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://unpkg.com; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc", "/asyncapi")

_ALWAYS = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"strict-origin-when-cross-origin",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=(), payment=()",
    b"cross-origin-opener-policy": b"same-origin",
    b"strict-transport-security": b"max-age=31536000; includeSubDomains",
}


class SecurityHeaders:
    """ASGI middleware. Every answer gets `_ALWAYS`; HTML answers also a Content-Security-Policy
    and `X-Frame-Options: DENY`, except the paths in `embeddable` (a widget village websites put
    in an iframe: `frame-ancestors *`) and `csp` overrides by path prefix."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        csp: str = STRICT_CSP,
        by_prefix: dict[str, str] | None = None,
        embeddable: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.csp = csp
        self.by_prefix = {prefix: DOCS_CSP for prefix in DOCS_PATHS} | (by_prefix or {})
        self.embeddable = embeddable

    def _policy(self, path: str) -> tuple[str, bool]:
        csp = next((v for k, v in self.by_prefix.items() if path.startswith(k)), self.csp)
        framed = any(path.startswith(prefix) for prefix in self.embeddable)
        if framed:
            csp = csp.replace("frame-ancestors 'none'", "frame-ancestors *")
        return csp, framed

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in _ALWAYS.items():
                    if name not in present:
                        headers.append((name, value))
                content_type = dict(headers).get(b"content-type", b"")
                if content_type.startswith(b"text/html"):
                    csp, framed = self._policy(path)
                    if b"content-security-policy" not in present:
                        headers.append((b"content-security-policy", csp.encode()))
                    if not framed and b"x-frame-options" not in present:
                        headers.append((b"x-frame-options", b"DENY"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


_storage = MemoryStorage()
_limiter = MovingWindowRateLimiter(_storage)

TOO_MANY = "Terlalu banyak permintaan, coba lagi nanti / too many requests, try again later"


def client_address(request: Request) -> str:
    """The caller's address. Behind the office's reverse proxy, uvicorn's `--forwarded-allow-ips`
    makes this the real client from X-Forwarded-For; the header is never trusted here directly."""
    return request.client.host if request.client else "unknown"


class RateLimit:
    """A FastAPI dependency: at most `limit` (e.g. `"120/minute"`) requests per client address for
    the endpoints that share `name`; the next one gets 429 with Retry-After. Counted in memory per
    process (a replica counts its own share)."""

    def __init__(self, limit: str, *, name: str) -> None:
        self.item: RateLimitItem = parse(limit)
        self.name = name

    async def __call__(self, request: Request) -> None:
        key = (self.name, client_address(request))
        if not _limiter.hit(self.item, *key):
            reset, _remaining = _limiter.get_window_stats(self.item, *key)
            retry = max(1, int(reset - _now()))
            raise HTTPException(429, TOO_MANY, headers={"Retry-After": str(retry)})


def _now() -> float:
    return time.time()


def reset_rate_limits() -> None:
    """Tests start from empty counters."""
    _storage.reset()
