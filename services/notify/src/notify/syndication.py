"""Feeds and widgets for every government unit: the regency, its 23 kecamatan and 187 desa.
RSS, Atom and JSON Feed with ETag and Last-Modified; widgets are plain HTML for an iframe."""

import hashlib
from collections import OrderedDict
from datetime import UTC, datetime, time
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kerjalokal.reference import desa, kecamatan

from . import repository
from .domain.listing import Listing
from .domain.schedule import WIB, wib_day
from .feeds import MEDIA_TYPES, Feed, render
from .repository import Filters
from .views import page
from .web import FEEDS, Wanted, clock_of, html, listing_of, message, pool_of, settings_of

router = APIRouter(include_in_schema=False)
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


class FeedCache:
    """Rendered feeds by (path, filters, data version, day), least recently used out first."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._items: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        if key in self._items:
            self._items.move_to_end(key)
        return self._items.get(key)

    def put(self, key: tuple[Any, ...], body: bytes) -> None:
        self._items[key] = body
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


# --- feeds and widgets for every government unit ---------------------------------------------


def _unit(level: str, kode: str | None) -> tuple[str, str | None] | None:
    """The unit's name for titles and its code for nearness; None for an unknown code."""
    if level == "kabupaten":
        return "Kabupaten Bekasi", None
    if level == "kecamatan" and kode and (region := kecamatan(kode)):
        return f"Kecamatan {region.nama}", region.kode
    if level == "desa" and kode and (region := desa(kode)):
        district = kecamatan(region.kode.rsplit(".", 1)[0])
        label = "Kelurahan" if region.jenis == "kelurahan" else "Desa"
        return f"{label} {region.nama}, Kec. {district.nama if district else ''}", region.kode
    return None


async def _listings(
    request: Request, wanted: Filters, near: str | None, limit: int
) -> tuple[list[Listing], datetime]:
    async with pool_of(request).acquire() as conn:
        rows = await repository.open_vacancies(
            conn, filters=wanted, today=wib_day(clock_of(request)()), near=near, limit=limit
        )
        changed = await repository.feeds_changed_at(conn)
    return [listing_of(row) for row in rows], changed or EPOCH


def _last_modified(changed: datetime, now: datetime) -> datetime:
    """Content changes with the data and at midnight WIB, when vacancies expire."""
    midnight = datetime.combine(now.astimezone(WIB).date(), time(0), tzinfo=WIB)
    return max(changed, midnight).astimezone(UTC).replace(microsecond=0)


def _not_modified(request: Request, etag: str, last_modified: datetime) -> bool:
    if match := request.headers.get("if-none-match"):
        return etag in {tag.strip().removeprefix("W/") for tag in match.split(",")} or match == "*"
    if since := request.headers.get("if-modified-since"):
        try:
            return last_modified <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


async def _feed(
    request: Request, level: str, kode: str | None, fmt: str, wanted: Filters
) -> Response:
    unit = _unit(level, kode)
    if unit is None or fmt not in MEDIA_TYPES:
        return message(request, 404, "Feed tidak ditemukan / no such feed")
    name, near = unit
    settings, now = settings_of(request), clock_of(request)()
    async with pool_of(request).acquire() as conn:
        changed = await repository.feeds_changed_at(conn) or EPOCH
    key = (request.url.path, wanted.key(), changed.isoformat(), wib_day(now).isoformat())
    etag = '"' + hashlib.sha256(repr(key).encode()).hexdigest()[:32] + '"'
    last_modified = _last_modified(changed, now)
    headers = {
        "ETag": etag,
        "Last-Modified": format_datetime(last_modified, usegmt=True),
        "Cache-Control": "public, max-age=60",
        "Access-Control-Allow-Origin": "*",
    }
    if _not_modified(request, etag, last_modified):
        return Response(status_code=304, headers=headers)
    cache: FeedCache = request.app.state.feed_cache
    body = cache.get(key)
    if body is None:
        listings, _ = await _listings(request, wanted, near, settings.feed_items)
        query = f"?{request.url.query}" if request.url.query else ""
        feed = Feed(
            title=f"Lowongan Kerja · {name}",
            description=f"Lowongan kerja resmi untuk warga {name} dari Disnaker Kabupaten Bekasi."
            " Gratis, tanpa biaya. / Official vacancies, free of charge.",
            home_url=f"{settings.public_url}/",
            self_url=f"{settings.public_url}{request.url.path}{query}",
            updated=changed,
            listings=listings,
            page_url=settings.public_url + "/lowongan/{id}",
        )
        body = render(feed, fmt)
        cache.put(key, body)
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)


@router.get("/feeds/kabupaten.{fmt}", dependencies=[FEEDS])
async def regency_feed(request: Request, fmt: str, wanted: Wanted) -> Response:
    return await _feed(request, "kabupaten", None, fmt, wanted)


@router.get("/feeds/kecamatan/{kode}.{fmt}", dependencies=[FEEDS])
async def kecamatan_feed(request: Request, kode: str, fmt: str, wanted: Wanted) -> Response:
    return await _feed(request, "kecamatan", kode, fmt, wanted)


@router.get("/feeds/desa/{kode}.{fmt}", dependencies=[FEEDS])
async def desa_feed(request: Request, kode: str, fmt: str, wanted: Wanted) -> Response:
    return await _feed(request, "desa", kode, fmt, wanted)


async def _widget(
    request: Request, level: str, kode: str | None, wanted: Filters, limit: int
) -> HTMLResponse:
    unit = _unit(level, kode)
    if unit is None:
        return message(request, 404, "Widget tidak ditemukan / no such widget")
    name, near = unit
    listings, _ = await _listings(request, wanted, near, max(1, min(limit, 20)))
    async with pool_of(request).acquire() as conn:
        total = await repository.count_open(
            conn, filters=wanted, today=wib_day(clock_of(request)())
        )
    base = settings_of(request).public_url
    body = page(
        "widget.html", base=base, unit=name, listings=listings, total=total,
        all_url=f"{base}/?{request.url.query}" if request.url.query else f"{base}/",
    )  # fmt: skip
    return html(
        body,
        headers={
            "Cache-Control": "public, max-age=60",
            "Content-Security-Policy": "frame-ancestors *; default-src 'none'; style-src"
            " 'unsafe-inline'; img-src 'self'",
        },
    )


@router.get("/widget/kabupaten", response_class=HTMLResponse, dependencies=[FEEDS])
async def regency_widget(request: Request, wanted: Wanted, limit: int = 8) -> HTMLResponse:
    return await _widget(request, "kabupaten", None, wanted, limit)


@router.get("/widget/kecamatan/{kode}", response_class=HTMLResponse, dependencies=[FEEDS])
async def kecamatan_widget(
    request: Request, kode: str, wanted: Wanted, limit: int = 8
) -> HTMLResponse:
    return await _widget(request, "kecamatan", kode, wanted, limit)


@router.get("/widget/desa/{kode}", response_class=HTMLResponse, dependencies=[FEEDS])
async def desa_widget(request: Request, kode: str, wanted: Wanted, limit: int = 8) -> HTMLResponse:
    """For OpenSID and any village site: `<iframe src=".../widget/desa/<kode>">`, no script."""
    return await _widget(request, "desa", kode, wanted, limit)
