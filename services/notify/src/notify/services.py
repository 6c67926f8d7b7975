"""Use cases of notify, one function each, inside the caller's transaction: what an event or a
request changes, the deliveries it causes and the events it stages in the outbox."""

import base64
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from kerjalokal.events.notify import ResidentDataErasedV1, VacancyBroadcastV1
from kerjalokal.events.registry import (
    ResidentContactChangedV1,
    ResidentErasedV1,
    ResidentStatusChangedV1,
)
from kerjalokal.events.training import ResidentEnrolledV1, TrainingCompletedV1
from kerjalokal.events.vacancies import (
    ApplicationStatusChangedV1,
    CandidatesMatchedV1,
    ResidentHiredV1,
    Vacancy,
    VacancyClosedV1,
    VacancyPublishedV1,
    VacancyUpdatedV1,
)
from kerjalokal.messaging import outbox
from kerjalokal.reference import all_desa, all_kecamatan

from . import deliveries, repository
from .crypto import ContactCipher
from .deliveries import Plan
from .domain.listing import CLOSE_REASONS, Listing, tanggal
from .domain.schedule import QuietHours, due_at, wib_day
from .messages import APPLICATION_NEWS, first_name

CHANNEL_EVENTS = {
    "vacancy_published": VacancyPublishedV1.TYPE,
    "vacancy_updated": VacancyUpdatedV1.TYPE,
    "vacancy_closed": VacancyClosedV1.TYPE,
}


SEALED = ("first_name_sealed", "phone_sealed", "email_sealed")


class NotFound(Exception):
    pass


@dataclass(frozen=True)
class Setup:
    """What the use cases need to know of the configuration."""

    channels: tuple[str, ...]
    quiet: QuietHours | None
    daily_cap: int
    public_url: str


def feed_count() -> int:
    """Every feed lists every open vacancy: the regency's, each kecamatan's and each desa's."""
    return 1 + len(all_kecamatan()) + len(all_desa())


# --- residents -------------------------------------------------------------------------------


async def contact_changed(
    conn: asyncpg.Connection,
    *,
    event: ResidentContactChangedV1,
    cipher: ContactCipher,
    now: datetime,
) -> None:
    """Keep what a message needs, sealed; a withdrawn consent cancels what was waiting, at once."""
    clear = {"first_name": first_name(event.full_name), "phone": event.phone, "email": event.email}
    sealed = cipher.seal_contact(clear, resident_id=event.resident_id)
    applied = await repository.upsert_contact(
        conn,
        row={
            "resident_id": event.resident_id,
            "version": event.version,
            **dict(zip(SEALED, sealed, strict=True)),
            "channels": list(event.channels),
            "consent": event.consent,
            "changed_at": event.changed_at,
            "updated_at": now,
        },
    )
    if applied and not event.consent:
        await deliveries.cancel(conn, reason="no_consent", now=now, resident_id=event.resident_id)


async def resident_erased(
    conn: asyncpg.Connection, *, event: ResidentErasedV1, event_id: UUID, now: datetime
) -> None:
    """The resident asked to be forgotten: their contact keeps only its id and version (so that a
    late contact event cannot bring it back), waiting messages are cancelled, and the delivery
    log keeps its counts without the greeting or any other parameter. The confirmation
    `notify.resident_data_erased.v1` leaves through the outbox in the same transaction."""
    await repository.upsert_contact(
        conn,
        row={
            "resident_id": event.resident_id,
            "version": event.version,
            **dict.fromkeys(SEALED),
            "channels": [],
            "consent": False,
            "changed_at": event.erased_at,
            "updated_at": now,
        },
    )
    await conn.execute(
        "UPDATE contact SET first_name_sealed = NULL, phone_sealed = NULL, email_sealed = NULL,"
        " channels = '{}', consent = false, updated_at = $2 WHERE resident_id = $1",
        event.resident_id,
        now,
    )  # also when a newer contact version had arrived first
    await deliveries.cancel(conn, reason="erased", now=now, resident_id=event.resident_id)
    await conn.execute(
        "UPDATE delivery SET params = '{}' WHERE resident_id = $1 AND status <> 'sending'",
        event.resident_id,
    )
    await outbox.add(
        conn,
        ResidentDataErasedV1(
            resident_id=event.resident_id, erasure_event_id=event_id, erased_at=now
        ),
    )


async def status_changed(
    conn: asyncpg.Connection, *, event: ResidentStatusChangedV1, now: datetime
) -> None:
    await repository.upsert_status(
        conn,
        resident_id=event.resident_id,
        version=event.version,
        status=event.status,
        at=event.changed_at,
    )


async def opt_out(conn: asyncpg.Connection, *, resident_id: UUID, now: datetime) -> int:
    """The resident's own opt-out: nothing more is sent, starting with what is waiting."""
    if not await repository.opt_out(conn, resident_id=resident_id, now=now):
        raise NotFound(str(resident_id))
    return await deliveries.cancel(conn, reason="opted_out", now=now, resident_id=resident_id)


def _plan(
    setup: Setup,
    *,
    consumer: str,
    event_id: str,
    event_type: str,
    template: str,
    params: dict[str, Any],
    residents: Sequence[UUID],
    now: datetime,
    vacancy_id: UUID | None = None,
    capped: bool = False,
) -> Plan:
    phones_from = due_at("sms", now, setup.quiet)
    return Plan(
        consumer=consumer,
        event_id=event_id,
        event_type=event_type,
        template=template,
        params=params,
        residents=residents,
        channels=setup.channels,
        now=now,
        phones_from=phones_from,
        day=wib_day(now),
        phones_day=wib_day(phones_from),
        vacancy_id=vacancy_id,
        cap=setup.daily_cap if capped else None,
        skip_statuses=("placed",) if capped else (),
        once_per_vacancy=capped,
    )


_NO_VACANCY = {"title": None, "company": None, "link": None}


async def candidates_matched(
    conn: asyncpg.Connection,
    *,
    event: CandidatesMatchedV1,
    event_id: str,
    setup: Setup,
    now: datetime,
    consumer: str,
) -> tuple[int, int] | None:
    """One job alert per matched resident, by the first of their channels notify can use;
    phones wait out the quiet hours; past the daily cap a resident is skipped (`cap`)."""
    plan = _plan(
        setup, consumer=consumer, event_id=event_id, event_type=event.TYPE,
        template="lowongan_cocok", params={}, residents=[c.resident_id for c in event.candidates],
        now=now, vacancy_id=event.vacancy_id, capped=True,
    )  # fmt: skip
    return await deliveries.plan(conn, plan)


async def resident_enrolled(
    conn: asyncpg.Connection, *, event: ResidentEnrolledV1, event_id: str, setup: Setup,
    now: datetime, consumer: str,
) -> tuple[int, int] | None:  # fmt: skip
    plan = _plan(
        setup, consumer=consumer, event_id=event_id, event_type=event.TYPE,
        template="pelatihan_terdaftar", params={"vocation": event.vocation},
        residents=[event.resident_id], now=now,
    )  # fmt: skip
    return await deliveries.plan(conn, plan)


async def training_completed(
    conn: asyncpg.Connection, *, event: TrainingCompletedV1, event_id: str, setup: Setup,
    now: datetime, consumer: str,
) -> tuple[int, int] | None:  # fmt: skip
    params = {"passed": event.passed, "skills": [s.skill for s in event.certified_skills]}
    plan = _plan(
        setup, consumer=consumer, event_id=event_id, event_type=event.TYPE,
        template="pelatihan_selesai", params=params, residents=[event.resident_id], now=now,
    )  # fmt: skip
    return await deliveries.plan(conn, plan)


async def resident_hired(
    conn: asyncpg.Connection, *, event: ResidentHiredV1, event_id: str, setup: Setup,
    now: datetime, consumer: str,
) -> tuple[int, int] | None:  # fmt: skip
    params = _NO_VACANCY | {"start_date": tanggal(event.start_date)}
    plan = _plan(
        setup, consumer=consumer, event_id=event_id, event_type=event.TYPE,
        template="diterima_kerja", params=params, residents=[event.resident_id], now=now,
        vacancy_id=event.vacancy_id,
    )  # fmt: skip
    return await deliveries.plan(conn, plan)


async def application_status_changed(
    conn: asyncpg.Connection, *, event: ApplicationStatusChangedV1, event_id: str,
    setup: Setup, now: datetime, consumer: str,
) -> tuple[int, int] | None:  # fmt: skip
    """Outcomes only (interview, offer, refusal, cancellation): a hire has its own message and
    the steps in between are the company's desk work."""
    news = APPLICATION_NEWS.get(event.status)
    params = _NO_VACANCY | {"status_text": news, "reason": event.reason}
    plan = _plan(
        setup, consumer=consumer, event_id=event_id, event_type=event.TYPE,
        template="status_lamaran", params=params,
        residents=[event.resident_id] if news else [], now=now, vacancy_id=event.vacancy_id,
    )  # fmt: skip
    return await deliveries.plan(conn, plan)


# --- vacancies: the projection behind the board and feeds, and the agencies' channels --------


async def vacancy_changed(
    conn: asyncpg.Connection,
    *,
    event: VacancyPublishedV1 | VacancyUpdatedV1,
    event_id: str,
    setup: Setup,
    now: datetime,
) -> None:
    """Show the newest version on the board and feeds, pass it to the channels that take it,
    and announce the vacancy's first broadcast once."""
    vacancy = Vacancy.model_validate(event.model_dump())
    version = event.version if isinstance(event, VacancyUpdatedV1) else 1
    row = await repository.upsert_vacancy(conn, vacancy=vacancy, version=version, now=now)
    if row is None:
        return
    if row["inserted"]:
        await deliveries.release(conn, vacancy_id=vacancy.vacancy_id, now=now)
    channels = await _fan_out(
        conn, event=event, event_id=event_id, kecamatan=vacancy.work_kecamatan_kode,
        listing=Listing(vacancy), setup=setup, now=now,
    )  # fmt: skip
    if row["broadcast_at"] is None and await repository.mark_broadcast(
        conn, vacancy_id=vacancy.vacancy_id, at=now
    ):
        broadcast = VacancyBroadcastV1(
            vacancy_id=vacancy.vacancy_id, channels=channels, feeds=feed_count(),
            feeds_updated_at=now, broadcast_at=now,
        )  # fmt: skip
        await outbox.add(conn, broadcast)


async def vacancy_closed(
    conn: asyncpg.Connection, *, event: VacancyClosedV1, event_id: str, setup: Setup,
    now: datetime,
) -> None:  # fmt: skip
    """Gone from every feed and the board at once; alerts still waiting are cancelled."""
    known = await repository.get_vacancy(conn, vacancy_id=event.vacancy_id)
    row = await repository.close_vacancy(
        conn, vacancy_id=event.vacancy_id, reason=event.reason, closed_at=event.closed_at, now=now
    )
    if row is None:
        return
    await deliveries.cancel(
        conn, reason="vacancy_closed", now=now, vacancy_id=event.vacancy_id,
        template="lowongan_cocok",
    )  # fmt: skip
    listing = Listing.of(known["body"]) if known and known["body"] else None
    await _fan_out(
        conn, event=event, event_id=event_id, kecamatan=row["kecamatan_kode"], listing=listing,
        setup=setup, now=now,
    )  # fmt: skip


async def _fan_out(
    conn: asyncpg.Connection,
    *,
    event: VacancyPublishedV1 | VacancyUpdatedV1 | VacancyClosedV1,
    event_id: str,
    kecamatan: str | None,
    listing: Listing | None,
    setup: Setup,
    now: datetime,
) -> int:
    name = event.TYPE.split(".")[1]
    channels = await repository.channels_for(conn, event=name, kecamatan=kecamatan)
    if channels:
        body = webhook_body(event, listing=listing, public_url=setup.public_url, now=now)
        await deliveries.fan_out_webhooks(
            conn, event_id=event_id, event_type=event.TYPE,
            channel_ids=[c["channel_id"] for c in channels], body=body,
            vacancy_id=event.vacancy_id, now=now,
        )  # fmt: skip
    return len(channels)


def webhook_body(
    event: VacancyPublishedV1 | VacancyUpdatedV1 | VacancyClosedV1,
    *,
    listing: Listing | None,
    public_url: str,
    now: datetime,
) -> str:
    """What an agency's system receives: the event, links back to the official page, and a
    ready-to-post text in Bahasa Indonesia (always with "gratis, tanpa biaya")."""
    page = f"{public_url}/lowongan/{event.vacancy_id}"
    return json.dumps(
        {
            "type": event.TYPE,
            "timestamp": now.isoformat(),
            "data": event.model_dump(mode="json"),
            "links": {
                "lowongan": page,
                "poster": f"{page}/poster",
                "laporkan": f"{page}/laporkan",
                "papan": f"{public_url}/",
            },
            "text": social_text(event, listing=listing, page=page, board=f"{public_url}/"),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def social_text(
    event: VacancyPublishedV1 | VacancyUpdatedV1 | VacancyClosedV1,
    *,
    listing: Listing | None,
    page: str,
    board: str,
) -> str:
    if isinstance(event, VacancyClosedV1):
        what = f"Lowongan {listing.headline}" if listing else "Lowongan ini"
        reason = CLOSE_REASONS.get(event.reason, "ditutup")
        return f"{what} sudah ditutup ({reason}). Lowongan lain: {board}"
    assert listing is not None
    verified = " (perusahaan terverifikasi)" if listing.vacancy.company_verified else ""
    return (
        f"LOWONGAN KERJA: {listing.headline}{verified}. {listing.contract}. {listing.wage}."
        f" {listing.education}. Berlaku s.d. {listing.valid_until}."
        f" GRATIS, tanpa biaya: jangan membayar siapa pun. Daftar: {page}"
        " #LokerBekasi #KerjaLokal"
    )


# --- agencies' channels and vacancy reports --------------------------------------------------


def new_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


async def register_channel(
    conn: asyncpg.Connection, *, values: dict[str, Any], now: datetime
) -> tuple[asyncpg.Record, str]:
    secret = new_secret()
    row = await repository.insert_channel(
        conn, values | {"channel_id": uuid4(), "secret": secret, "created_at": now}
    )
    return row, secret


async def set_channel_status(
    conn: asyncpg.Connection, *, channel_id: UUID, status: str, reason: str | None, now: datetime
) -> asyncpg.Record:
    """Pause, resume (a clean slate of failures) or delete (what waits is cancelled)."""
    changes: dict[str, Any] = {"status": status, "paused_reason": reason}
    if status == "active":
        changes["consecutive_failures"] = 0
    row = await repository.update_channel(conn, channel_id=channel_id, changes=changes, now=now)
    if row is None:
        raise NotFound(str(channel_id))
    if status == "deleted":
        await deliveries.cancel(conn, reason="channel_deleted", now=now, channel_id=channel_id)
    else:
        await conn.execute("SELECT pg_notify($1, '')", deliveries.WAKE_CHANNEL)
    return row


async def report_vacancy(
    conn: asyncpg.Connection, *, vacancy_id: UUID, reason: str, details: str, now: datetime
) -> UUID:
    if await repository.get_vacancy(conn, vacancy_id=vacancy_id) is None:
        raise NotFound(str(vacancy_id))
    report_id = uuid4()
    await repository.insert_report(
        conn,
        {
            "report_id": report_id, "vacancy_id": vacancy_id, "reason": reason,
            "details": details, "created_at": now,
        },
    )  # fmt: skip
    return report_id
