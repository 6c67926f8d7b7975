"""The operators' pages: Bahasa Indonesia first, English second, charts drawn on the server."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from kerjalokal.auth.web import RateLimit

from . import charts, dlq, erasures, projector, queues, report
from .api import _pool, month_of, today, tracker_for
from .auth import (
    COOKIE,
    FormOperator,
    FormReader,
    LoginRequired,
    PageForbidden,
    PageOperator,
    PageReader,
    csrf_token,
    login,
    session_cookie,
)

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["angka"] = lambda v, d=0: (
    "–" if v is None else f"{v:,.{d}f}".replace(",", "X").replace(".", ",").replace("X", ".")
)


LOGIN_LIMIT = RateLimit("10/minute", name="console-login")
PUBLIC_LIMIT = RateLimit("60/minute", name="console-public")
# The pages each role sees in the menu (the others answer 403).
NAV = (
    ("/", "Ringkasan", "Overview", "operator"),
    ("/tracker", "Target", "Tracker", "reader"),
    ("/laporan", "Laporan bulanan", "Monthly report", "reader"),
    ("/stream", "Event langsung", "Live events", "reader"),
    ("/dead-letters", "Pesan gagal", "Dead letters", "operator"),
    ("/queues", "Antrean", "Queues", "operator"),
    ("/penghapusan", "Penghapusan", "Erasures", "operator"),
)


def render(request: Request, name: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    who = getattr(request.state, "principal", None)
    role = who.role if who else None
    nav = [
        (href, id_, en)
        for href, id_, en, needs in NAV
        if role == "operator" or (role is not None and needs == "reader")
    ]
    return templates.TemplateResponse(
        request,
        name,
        {
            "csrf": csrf_token(request) if who else "",
            "path": request.url.path,
            "nav": nav,
            "who": who,
        }
        | context,
        status_code=status_code,
    )


def _back(path: str, message: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?pesan={quote(message)}", status_code=303)


def _local(next: str) -> str:
    return next if next.startswith("/") and not next.startswith("//") else "/"


@router.get("/login", dependencies=[Depends(PUBLIC_LIMIT)])
async def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", next=_local(next), error=None)


@router.post("/login", dependencies=[Depends(LOGIN_LIMIT)])
async def log_in(request: Request, token: str = Form(""), next: str = Form("/")) -> Response:
    who = await login(request, token)
    if who is None:
        return render(
            request,
            "login.html",
            status_code=401,
            next=_local(next),
            error="Token atau kunci salah, kedaluwarsa atau dicabut /"
            " wrong, expired or revoked token or key",
        )
    value, max_age = await session_cookie(request, who)
    target = _local(next)
    if who.role != "operator" and target == "/":
        target = "/tracker"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
async def logout(who: FormReader) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/")
async def home(request: Request, who: PageReader) -> Response:
    if who.role != "operator":  # the overview shows dead letters and queues
        return RedirectResponse("/tracker", status_code=303)
    tracker = await tracker_for(request, None)
    async with _pool(request).acquire() as conn:
        position = await projector.position(conn)
        waiting = await dlq.counts(conn)
        health = await queues.report(conn)
        settings = request.app.state.settings
        erased = await erasures.listing(
            conn,
            services=settings.erasure_services,
            late_after=settings.erasure_late_minutes,
            now=datetime.now(UTC),
        )
    return render(
        request,
        "index.html",
        tracker=tracker,
        late_erasures=sum(r.status == "late" for r in erased),
        position=position,
        waiting=waiting,
        warnings=[q for q in health if q.warnings],
        progress=charts.progress(
            tracker.progress.placed,
            tracker.progress.target,
            label="Capaian target / progress to target",
        )
        if tracker
        else None,
    )


@router.get("/tracker")
async def tracker(request: Request, who: PageReader, campaign: str | None = None) -> HTMLResponse:
    result = await tracker_for(request, campaign)
    if result is None:
        return render(request, "tracker.html", t=None)
    p = result.progress
    below = [c["below_threshold"] for c in result.companies[:25]]
    return render(
        request,
        "tracker.html",
        t=result,
        p=p,
        progress=charts.progress(p.placed, p.target, label="Capaian target / progress to target"),
        cumulative=charts.cumulative(
            result.daily,
            result.pace,
            target=p.target,
            working_days=p.working_days,
            label="Penempatan kumulatif per hari kerja / cumulative placements per working day",
        ),
        estates=charts.bars(
            [(e["name"], e["local_hires"]) for e in result.estates],
            label="Warga lokal bekerja per kawasan / local hires per estate",
        ),
        kecamatan=charts.bars(
            [(k["name"], k["local_hires"]) for k in result.kecamatan],
            label="Warga lokal bekerja per kecamatan / local hires per district",
        ),
        shares=charts.bars(
            [(c["name"], c["local_share"] or 0.0) for c in result.companies[:25]],
            label="Porsi lokal per perusahaan / local share per company",
            unit="%",
            marker=result.threshold,
            highlight=below,
        ),
        pipeline=charts.stacked(
            [
                ("Siap / ready", result.pipeline["ready"], "#94a3b8"),
                ("Menunggu / waiting", result.pipeline["waiting"], "#f59e0b"),
                ("Pelatihan / in training", result.pipeline["in_training"], "#0f766e"),
                ("Selesai / completed", result.pipeline["completed"], "#1e3a8a"),
            ],
            label="Alur pelatihan / training pipeline",
        ),
    )


@router.get("/laporan")
async def monthly(request: Request, who: PageReader, month: str | None = None) -> HTMLResponse:
    chosen = month_of(month if month and len(month) == 7 else None)
    async with _pool(request).acquire() as conn:
        result = await report.monthly(conn, chosen)
    return render(
        request,
        "laporan.html",
        r=result,
        month=chosen.strftime("%Y-%m"),
        dimensions=report.DIMENSIONS,
        today=today(),
    )


@router.get("/stream")
async def live(request: Request, who: PageReader) -> HTMLResponse:
    return render(request, "stream.html", services=request.app.state.settings.services)


@router.get("/dead-letters")
async def dead_letters(
    request: Request,
    who: PageOperator,
    service: str | None = None,
    status: str = "pending",
    pesan: str | None = None,
) -> HTMLResponse:
    settings = request.app.state.settings
    await dlq.drain(_pool(request), request.app.state.amqp, services=settings.services)
    async with _pool(request).acquire() as conn:
        rows = await dlq.listing(conn, service=service or None, status=status or None)
        waiting = await dlq.counts(conn)
        details = {
            r["dead_letter_id"]: dict(await dlq.get(conn, r["dead_letter_id"])) for r in rows[:50]
        }
    for row in details.values():
        row["headers"] = json.dumps(json.loads(row["headers"]), indent=2, ensure_ascii=False)
        row["body"] = row["body"].decode(errors="replace")
    return render(
        request,
        "dead_letters.html",
        rows=rows,
        details=details,
        waiting=waiting,
        services=(*settings.services, "console"),
        service=service,
        status=status,
        message=pesan,
    )


@router.post("/dead-letters/{dead_letter_id}/replay")
async def replay(dead_letter_id: int, request: Request, who: FormOperator) -> Response:
    try:
        await dlq.replay(_pool(request), request.app.state.amqp, dead_letter_id, actor=who.label)
    except dlq.ReplayFailed as exc:
        return _back("/dead-letters", f"#{dead_letter_id}: {exc}")
    return _back("/dead-letters", f"#{dead_letter_id} dikirim ulang / replayed")


@router.post("/dead-letters/{dead_letter_id}/discard")
async def discard(
    dead_letter_id: int, request: Request, who: FormOperator, note: str = Form("")
) -> Response:
    if len(note.strip()) < 3:
        return _back("/dead-letters", "Catatan wajib diisi / a note is required")
    async with _pool(request).acquire() as conn:
        try:
            await dlq.discard(conn, dead_letter_id, note=note.strip(), actor=who.label)
        except dlq.ReplayFailed as exc:
            return _back("/dead-letters", f"#{dead_letter_id}: {exc}")
    return _back("/dead-letters", f"#{dead_letter_id} dibuang / discarded")


@router.post("/dead-letters/replay-all")
async def replay_all(request: Request, who: FormOperator, service: str = Form("")) -> Response:
    done, failed = await dlq.replay_all(
        _pool(request), request.app.state.amqp, service=service or None, actor=who.label
    )
    return _back(
        "/dead-letters",
        f"{done} dikirim ulang, {len(failed)} gagal / {done} replayed, {len(failed)} failed",
    )


@router.get("/queues")
async def queue_health(request: Request, who: PageOperator) -> HTMLResponse:
    async with _pool(request).acquire() as conn:
        health = await queues.report(conn)
        last = await conn.fetchval("SELECT max(sampled_at) FROM queue_sample")
        position = await projector.position(conn)
    depth = charts.bars(
        [(q.queue, q.messages) for q in health if q.messages],
        label="Kedalaman antrean / queue depth",
        highlight=[bool(q.warnings) for q in health if q.messages],
    )
    return render(request, "queues.html", health=health, last=last, depth=depth, position=position)


@router.post("/projection/rebuild")
async def rebuild(request: Request, who: FormOperator) -> Response:
    await request.app.state.projector.rebuild()
    return _back(
        "/", "Proyeksi dibangun ulang dari awal log / projections rebuilding from the first offset"
    )


@router.get("/penghapusan")
async def erasure_page(request: Request, who: PageOperator) -> HTMLResponse:
    settings = request.app.state.settings
    async with _pool(request).acquire() as conn:
        rows = await erasures.listing(
            conn,
            services=settings.erasure_services,
            late_after=settings.erasure_late_minutes,
            now=datetime.now(UTC),
        )
    return render(
        request,
        "erasures.html",
        rows=rows,
        services=settings.erasure_services,
        late_after=settings.erasure_late_minutes,
        late=sum(r.status == "late" for r in rows),
        wib=report.WIB,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def to_login(_: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(f"/login?next={quote(exc.path)}", status_code=303)

    @app.exception_handler(PageForbidden)
    async def forbidden(request: Request, exc: PageForbidden) -> HTMLResponse:
        request.state.principal = exc.who
        return render(request, "forbidden.html", status_code=403)

    app.include_router(router)
