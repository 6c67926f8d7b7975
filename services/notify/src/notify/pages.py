"""Public pages, no login: the job board, vacancy pages with JSON-LD, A4 posters, the report
form, and the residents' opt-out link. Feeds and widgets are in syndication.py."""

import contextlib
from urllib.parse import parse_qs, urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kerjalokal.reference import all_kecamatan, all_levels

from . import repository, services
from .domain.jobposting import job_posting
from .domain.keys import resident_of
from .domain.listing import Listing, closed_because, level_name, tanggal
from .domain.schedule import WIB, wib_day
from .views import REPORT_REASONS, json_ld, page, qr_svg
from .web import ACTIONS, PAGES, Wanted, clock_of, html, listing_of, message, pool_of, settings_of

router = APIRouter(include_in_schema=False)
PAGE = 20


# --- the job board and a vacancy's own pages -------------------------------------------------


@router.get("/", response_class=HTMLResponse, dependencies=[PAGES])
async def board(request: Request, wanted: Wanted, offset: int = 0) -> HTMLResponse:
    settings, offset = settings_of(request), max(offset, 0)
    today = wib_day(clock_of(request)())
    async with pool_of(request).acquire() as conn:
        rows = await repository.open_vacancies(
            conn, filters=wanted, today=today, limit=PAGE + 1, offset=offset
        )
        total = await repository.count_open(conn, filters=wanted, today=today)
    listings = [listing_of(row) for row in rows[:PAGE]]

    def link(at: int) -> str:
        query = {k: v for k, v in request.query_params.items() if k != "offset"}
        return f"{settings.public_url}/?{urlencode(query | {'offset': str(at)})}"

    body = page(
        "board.html", base=settings.public_url, listings=listings, total=total, f=wanted,
        kecamatan=all_kecamatan(), levels=[(e.kode, level_name(e.kode)) for e in all_levels()[2:]],
        prev_url=link(max(offset - PAGE, 0)) if offset else None,
        next_url=link(offset + PAGE) if len(rows) > PAGE else None,
    )  # fmt: skip
    return html(body, headers={"Cache-Control": "public, max-age=60"})


async def _vacancy(request: Request, vacancy_id: UUID) -> Listing | HTMLResponse:
    """The open vacancy, or the page that says why there is none (404, 410)."""
    async with pool_of(request).acquire() as conn:
        row = await repository.get_vacancy(conn, vacancy_id=vacancy_id)
    if row is None:
        return message(request, 404, "Lowongan tidak ditemukan / vacancy not found")
    today = wib_day(clock_of(request)())
    listing = listing_of(row) if row["body"] is not None else None
    if row["closed_at"] is not None or listing is None:
        reason = closed_because(row["close_reason"])
        what = listing.headline if listing else "Lowongan ini"
        when = f" pada {tanggal(row['closed_at'].astimezone(WIB))}" if row["closed_at"] else ""
        return message(
            request, 410, "Lowongan sudah ditutup / this vacancy is closed",
            f"{what} sudah ditutup{when}: {reason}.",
        )  # fmt: skip
    if listing.vacancy.valid_until < today:
        return message(
            request, 410, "Lowongan sudah ditutup / this vacancy is closed",
            f"{listing.headline}: masa berlakunya habis pada {listing.valid_until}.",
        )  # fmt: skip
    return listing


@router.get("/lowongan/{vacancy_id}", response_class=HTMLResponse, dependencies=[PAGES])
async def vacancy_page(request: Request, vacancy_id: UUID) -> HTMLResponse:
    found = await _vacancy(request, vacancy_id)
    if isinstance(found, HTMLResponse):
        return found
    base = settings_of(request).public_url
    posting = job_posting(found, url=f"{base}/lowongan/{vacancy_id}")
    body = page("vacancy.html", base=base, l=found, jsonld=json_ld(posting))
    return html(body, headers={"Cache-Control": "public, max-age=60"})


@router.get("/lowongan/{vacancy_id}/poster", response_class=HTMLResponse, dependencies=[PAGES])
async def poster(request: Request, vacancy_id: UUID) -> HTMLResponse:
    """A4, to print for the village notice board; its QR code opens the vacancy page."""
    found = await _vacancy(request, vacancy_id)
    if isinstance(found, HTMLResponse):
        return found
    base = settings_of(request).public_url
    url = f"{base}/lowongan/{vacancy_id}"
    body = page(
        "poster.html", base=base, l=found, qr=qr_svg(url), page_url=url,
        report_url=f"{url}/laporkan",
    )  # fmt: skip
    return html(body)


# The poster's print button: a script file, since the pages' Content-Security-Policy runs no
# inline script (script-src 'self').
PRINT_SCRIPT = (
    'document.getElementById("cetak").addEventListener("click", function () { window.print(); });\n'
)


@router.get("/static/cetak.js")
async def print_script() -> Response:
    return Response(
        PRINT_SCRIPT, media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=86400"},
    )  # fmt: skip


@router.get("/lowongan/{vacancy_id}/laporkan", response_class=HTMLResponse, dependencies=[PAGES])
async def report_form(request: Request, vacancy_id: UUID) -> HTMLResponse:
    return await _report_page(request, vacancy_id, form={}, errors=[])


async def _report_page(
    request: Request, vacancy_id: UUID, *, form: dict[str, str], errors: list[str]
) -> HTMLResponse:
    async with pool_of(request).acquire() as conn:
        row = await repository.get_vacancy(conn, vacancy_id=vacancy_id)
    if row is None:
        return message(request, 404, "Lowongan tidak ditemukan / vacancy not found")
    listing = listing_of(row) if row["body"] is not None else None
    body = page(
        "report.html", base=settings_of(request).public_url, l=listing, vacancy_id=vacancy_id,
        reasons=REPORT_REASONS, form=form, errors=errors,
    )  # fmt: skip
    return html(body, 422 if errors else 200, headers={"Cache-Control": "no-store"})


@router.post("/lowongan/{vacancy_id}/laporkan", response_class=HTMLResponse, dependencies=[ACTIONS])
async def report(request: Request, vacancy_id: UUID) -> HTMLResponse:
    """Anyone may report a vacancy (asked to pay, fake, discriminatory); operators see it."""
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode(errors="replace")).items()}
    reason, details = form.get("reason", ""), form.get("details", "").strip()
    errors = []
    if reason not in REPORT_REASONS:
        errors.append("reason: pilih salah satu alasan / choose one of the reasons")
    if len(details) > 2000:
        errors.append("details: paling banyak 2.000 huruf / at most 2,000 characters")
    if errors:
        return await _report_page(request, vacancy_id, form=form, errors=errors)
    async with pool_of(request).acquire() as conn:
        try:
            await services.report_vacancy(
                conn, vacancy_id=vacancy_id, reason=reason, details=details,
                now=clock_of(request)(),
            )  # fmt: skip
        except services.NotFound:
            return message(request, 404, "Lowongan tidak ditemukan / vacancy not found")
    return message(
        request, 201, "Terima kasih, laporan Anda kami terima / thank you",
        "Petugas Disnaker akan memeriksanya. Bila lowongan ini palsu atau meminta bayaran,"
        " lowongan akan diturunkan dari semua kanal.",
    )  # fmt: skip


# --- the residents' opt-out link -------------------------------------------------------------


def _opt_out_headers() -> dict[str, str]:
    return {
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }


@router.get("/berhenti/{token}", response_class=HTMLResponse, dependencies=[ACTIONS])
async def opt_out_form(request: Request, token: str) -> HTMLResponse:
    """A page with one button: link previews and mail scanners open links, only people press."""
    settings = settings_of(request)
    if resident_of(settings.opt_out_key.get_secret_value().encode(), token) is None:
        return message(request, 404, "Tautan tidak dikenal / unknown link")
    body = page("opt_out.html", base=settings.public_url, token=token, done=False)
    return html(body, headers=_opt_out_headers())


@router.post("/berhenti/{token}", response_class=HTMLResponse, dependencies=[ACTIONS])
async def opt_out(request: Request, token: str) -> HTMLResponse:
    """Also the one-click `List-Unsubscribe-Post` of our emails (RFC 8058)."""
    settings = settings_of(request)
    resident_id = resident_of(settings.opt_out_key.get_secret_value().encode(), token)
    if resident_id is None:
        return message(request, 404, "Tautan tidak dikenal / unknown link")
    async with pool_of(request).acquire() as conn, conn.transaction():
        # NotFound: nothing of theirs is kept here, so nothing can be sent
        with contextlib.suppress(services.NotFound):
            await services.opt_out(conn, resident_id=resident_id, now=clock_of(request)())
    body = page("opt_out.html", base=settings.public_url, token=token, done=True)
    return html(body, headers=_opt_out_headers())
