"""The operators' pages: Bahasa Indonesia first, English second, charts drawn on the server."""

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from . import charts, dlq, projector, queues, report
from .api import _pool, month_of, today, tracker_for
from .auth import (
    COOKIE,
    FormOperator,
    LoginRequired,
    PageOperator,
    csrf_token,
    session_cookie,
    token_matches,
)

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["angka"] = lambda v, d=0: (
    "–" if v is None else f"{v:,.{d}f}".replace(",", "X").replace(".", ",").replace("X", ".")
)


def render(request: Request, name: str, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(
        request, name, {"csrf": csrf_token(request), "path": request.url.path} | context
    )


def _back(path: str, message: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?pesan={quote(message)}", status_code=303)


@router.get("/login")
async def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", next=next if next.startswith("/") else "/", error=None)


@router.post("/login")
async def login(request: Request, token: str = Form(""), next: str = Form("/")) -> Response:
    if not token_matches(request, token):
        return templates.TemplateResponse(
            request,
            "login.html",
            {"next": next, "error": "Token salah / wrong token", "csrf": "", "path": "/login"},
            status_code=401,
        )
    value, max_age = session_cookie(request)
    target = next if next.startswith("/") and not next.startswith("//") else "/"
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
async def logout(who: FormOperator) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/")
async def home(request: Request, who: PageOperator) -> HTMLResponse:
    tracker = await tracker_for(request, None)
    async with _pool(request).acquire() as conn:
        position = await projector.position(conn)
        waiting = await dlq.counts(conn)
        health = await queues.report(conn)
    return render(
        request,
        "index.html",
        tracker=tracker,
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
async def tracker(request: Request, who: PageOperator, campaign: str | None = None) -> HTMLResponse:
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
async def monthly(request: Request, who: PageOperator, month: str | None = None) -> HTMLResponse:
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
async def live(request: Request, who: PageOperator) -> HTMLResponse:
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
        await dlq.replay(_pool(request), request.app.state.amqp, dead_letter_id, actor=who)
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
            await dlq.discard(conn, dead_letter_id, note=note.strip(), actor=who)
        except dlq.ReplayFailed as exc:
            return _back("/dead-letters", f"#{dead_letter_id}: {exc}")
    return _back("/dead-letters", f"#{dead_letter_id} dibuang / discarded")


@router.post("/dead-letters/replay-all")
async def replay_all(request: Request, who: FormOperator, service: str = Form("")) -> Response:
    done, failed = await dlq.replay_all(
        _pool(request), request.app.state.amqp, service=service or None, actor=who
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


def install(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def to_login(_: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(f"/login?next={quote(exc.path)}", status_code=303)

    app.include_router(router)
