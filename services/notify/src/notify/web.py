"""What the public pages and the feeds share: settings, clock and pool of the request, the
filters a reader may set, and small response helpers."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse

from kerjalokal.auth.web import RateLimit
from kerjalokal.reference import kecamatan

from .config import Settings
from .domain.listing import CONTRACTS, Listing
from .repository import Filters
from .views import page


def _invalid(field: str, value: str, message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "value_error", "loc": ("query", field), "msg": message, "input": value}]
    )


def filters(
    kecamatan_kode: str | None = None,
    education: str | None = None,
    occupation: str | None = None,
    contract: str | None = None,
    outsourcing: str | None = None,
) -> Filters:
    """Filters from the query string; an empty value (the board's "Semua") means no filter."""
    values: dict[str, Any] = {}
    if kecamatan_kode:
        if kecamatan(kecamatan_kode) is None:
            raise _invalid("kecamatan", kecamatan_kode, "kecamatan tidak dikenal / unknown")
        values["kecamatan"] = kecamatan_kode
    if education:
        if not education.isdigit() or not 1 <= int(education) <= 10:
            raise _invalid("education", education, "kode pendidikan 1-10 / level 1 to 10")
        values["education"] = int(education)
    if occupation:
        if not occupation.replace(".", "").isdigit() or len(occupation) > 7:
            raise _invalid("occupation", occupation, "kode KBJI, mis. 7212 / a KBJI code")
        values["occupation"] = occupation
    if contract:
        if contract not in CONTRACTS:
            raise _invalid("contract", contract, "pkwt, pkwtt atau magang")
        values["contract"] = contract
    if outsourcing:
        if outsourcing.lower() not in ("true", "false", "1", "0", "ya", "tidak"):
            raise _invalid("outsourcing", outsourcing, "true atau false")
        values["outsourcing"] = outsourcing.lower() in ("true", "1", "ya")
    return Filters(**values)


def _query_filters(request: Request) -> Filters:
    query = request.query_params
    return filters(
        query.get("kecamatan"),
        query.get("education"),
        query.get("occupation"),
        query.get("contract"),
        query.get("outsourcing"),
    )


Wanted = Annotated[Filters, Depends(_query_filters)]


def limited(group: str) -> Callable[[Request], Awaitable[None]]:
    """A dependency: the rate limit of `group` ("pages", "feeds", "actions"), per client address,
    at the rate the settings give it (429 with Retry-After past it)."""

    async def check(request: Request) -> None:
        limits: dict[str, RateLimit] = request.app.state.rate_limits
        await limits[group](request)

    check.__name__ = f"rate_limit_{group}"
    return check


PAGES = Depends(limited("pages"))
FEEDS = Depends(limited("feeds"))
ACTIONS = Depends(limited("actions"))


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def clock_of(request: Request) -> Callable[[], datetime]:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock


def pool_of(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


def html(body: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=headers)


def message(request: Request, status: int, heading: str, *lines: str) -> HTMLResponse:
    base = settings_of(request).public_url
    return html(page("message.html", base=base, heading=heading, lines=lines), status)


def listing_of(row: asyncpg.Record) -> Listing:
    return Listing.of(
        row["body"],
        closed_at=row["closed_at"],
        close_reason=row["close_reason"],
        changed_at=row["changed_at"],
    )
