"""Partner companies, their HR desk's API keys and their MoU with the office."""

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from kerjalokal.auth import keys
from kerjalokal.events import vacancies as ev
from kerjalokal.messaging import outbox

from .. import repository as db
from ..domain.errors import DomainError, Duplicate, FieldError, NotFound
from ..domain.vacancy import location_of
from ..principals import Actor, may_act_for
from ..schemas import CompanyIn, PartnershipChangeIn, PartnershipIn

SERVICE = "vacancies"
HR_KEY_DAYS = 90
"""How long an HR desk's key lives unless the operator says otherwise (then a new one)."""


def hr_scope(company_id: UUID) -> dict[str, str]:
    return {"company_id": str(company_id)}


async def issue_hr_key(
    conn: asyncpg.Connection,
    *,
    company: asyncpg.Record,
    actor: Actor,
    now: datetime,
    revoke: bool,
    days: int = HR_KEY_DAYS,
) -> keys.IssuedKey:
    """A new API key for the company's HR desk (role company, scoped to it), shown once;
    `revoke` ends the desk's other keys first (a lost key, a new officer)."""
    scope = hr_scope(company["company_id"])
    if revoke:
        await keys.revoke_scope(conn, role="company", scope=scope, now=now)
    label = f"HRD {company['name']}"[:100]
    return await keys.issue(
        conn,
        service=SERVICE,
        role="company",
        subject=label,
        scope=scope,
        label=label,
        created_by=actor.label,
        now=now,
        lifetime=timedelta(days=days),
    )


async def issue_token(
    conn: asyncpg.Connection,
    *,
    company_id: UUID,
    actor: Actor,
    now: datetime,
    revoke: bool,
    days: int = HR_KEY_DAYS,
) -> keys.IssuedKey:
    company = await get_visible(conn, company_id, actor=actor, lock=True)
    return await issue_hr_key(conn, company=company, actor=actor, now=now, revoke=revoke, days=days)


async def check_key_scope(conn: asyncpg.Connection, role: str, scope: dict[str, str]) -> str | None:
    """What the chassis' key admin asks before issuing: a company key names an existing company."""
    if role != "company":
        return None
    try:
        company_id = UUID(scope.get("company_id", ""))
    except ValueError:
        return "company_id: bukan UUID / not a UUID"
    if not await conn.fetchval("SELECT 1 FROM company WHERE company_id = $1", company_id):
        return "company_id: perusahaan tidak dikenal / unknown company"
    return None


async def register(
    conn: asyncpg.Connection, *, data: CompanyIn, actor: Actor, now: datetime
) -> tuple[asyncpg.Record, keys.IssuedKey]:
    kecamatan = location_of(data.address.desa_kode, ("address", "desa_kode"))
    existing = await conn.fetchval("SELECT company_id FROM company WHERE nib = $1", data.nib)
    if existing:
        raise Duplicate(
            "NIB ini sudah terdaftar / this NIB is already registered",
            location=f"/companies/{existing}",
        )
    row = await db.insert(
        conn,
        "company",
        {
            "company_id": uuid4(),
            "name": data.name,
            "nib": data.nib,
            "kbli_code": data.kbli_code,
            "kbli_version": data.kbli_version,
            "industrial_estate": data.industrial_estate,
            "street": data.address.street,
            "desa_kode": data.address.desa_kode,
            "kecamatan_kode": kecamatan,
            "hr_name": data.hr_contact.name,
            "hr_phone": data.hr_contact.phone,
            "hr_email": data.hr_contact.email,
            "status": "registered",
            "registered_at": now,
            "registered_by": actor.label,
            "updated_at": now,
        },
    )
    await outbox.add(
        conn,
        ev.CompanyRegisteredV1(
            company_id=row["company_id"],
            company_name=row["name"],
            kbli_code=row["kbli_code"],
            kbli_version=row["kbli_version"],
            industrial_estate=row["industrial_estate"],
            desa_kode=row["desa_kode"],
            kecamatan_kode=row["kecamatan_kode"],
            registered_at=now,
        ),
    )
    return row, await issue_hr_key(conn, company=row, actor=actor, now=now, revoke=False)


async def get_visible(
    conn: asyncpg.Connection, company_id: UUID, *, actor: Actor, lock: bool = False
) -> asyncpg.Record:
    """A company HR desk sees only its own company; any other answers 404 like a missing one."""
    row = await db.get(conn, "company", "company_id", company_id, lock=lock)
    if row is None or not may_act_for(actor, company_id):
        raise NotFound("company")
    return row


async def listing(
    conn: asyncpg.Connection, *, actor: Actor, status: str | None, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    own = actor.company_id if actor.role == "company" else None
    where = "WHERE ($1::uuid IS NULL OR company_id = $1) AND ($2::text IS NULL OR status = $2)"
    total: int = await conn.fetchval(f"SELECT count(*) FROM company {where}", own, status)
    rows = await conn.fetch(
        f"SELECT * FROM company {where} ORDER BY name, company_id LIMIT $3 OFFSET $4",
        own, status, limit, offset,
    )  # fmt: skip
    return rows, total


async def verify(
    conn: asyncpg.Connection, *, company_id: UUID, actor: Actor, now: datetime
) -> asyncpg.Record:
    current = await get_visible(conn, company_id, actor=actor, lock=True)
    if current["status"] == "verified":
        raise DomainError("Perusahaan sudah terverifikasi / the company is already verified")
    row = await db.update(
        conn,
        "company",
        "company_id",
        company_id,
        {"status": "verified", "verified_at": now, "verified_by": actor.label, "updated_at": now},
    )
    await outbox.add(
        conn,
        ev.CompanyVerifiedV1(
            company_id=company_id,
            company_name=row["name"],
            nib=row["nib"],
            kbli_code=row["kbli_code"],
            kbli_version=row["kbli_version"],
            industrial_estate=row["industrial_estate"],
            desa_kode=row["desa_kode"],
            kecamatan_kode=row["kecamatan_kode"],
            verified_at=now,
        ),
    )
    return row


def _commitment(values: dict[str, Any]) -> None:
    if values.get("local_share_percent") is None and values.get("local_hires_committed") is None:
        raise FieldError(
            ("local_hires_committed",),
            "Komitmen butuh persentase dan/atau jumlah warga lokal / a commitment needs a local"
            " share and/or a number of local hires",
        )
    if values["ends_on"] < values["starts_on"]:
        raise FieldError(("ends_on",), "Berakhir sebelum mulai / the MoU ends before it starts")


def _partnership_event(row: asyncpg.Record, now: datetime) -> ev.PartnershipSignedV1:
    return ev.PartnershipSignedV1(
        partnership_id=row["partnership_id"],
        company_id=row["company_id"],
        mou_number=row["mou_number"],
        local_share_percent=row["local_share_percent"],
        local_hires_committed=row["local_hires_committed"],
        starts_on=row["starts_on"],
        ends_on=row["ends_on"],
        status=row["status"],
        recorded_at=now,
    )


async def sign_partnership(
    conn: asyncpg.Connection, *, company_id: UUID, data: PartnershipIn, actor: Actor, now: datetime
) -> asyncpg.Record:
    await get_visible(conn, company_id, actor=actor, lock=True)
    values = data.model_dump()
    _commitment(values)
    if await conn.fetchval("SELECT 1 FROM partnership WHERE mou_number = $1", data.mou_number):
        raise FieldError(("mou_number",), "Nomor MoU sudah dipakai / this MoU number is taken")
    row = await db.insert(
        conn,
        "partnership",
        values
        | {
            "partnership_id": uuid4(),
            "company_id": company_id,
            "recorded_at": now,
            "recorded_by": actor.label,
        },
    )
    await outbox.add(conn, _partnership_event(row, now))
    return row


async def change_partnership(
    conn: asyncpg.Connection,
    *,
    partnership_id: UUID,
    data: PartnershipChangeIn,
    actor: Actor,
    now: datetime,
) -> asyncpg.Record:
    current = await db.get(conn, "partnership", "partnership_id", partnership_id, lock=True)
    if current is None:
        raise NotFound("partnership")
    clearable = ("local_share_percent", "local_hires_committed")
    changes = {
        name: getattr(data, name)
        for name in data.model_fields_set
        if getattr(data, name) is not None or name in clearable
    }
    _commitment(dict(current) | changes)
    row = await db.update(
        conn,
        "partnership",
        "partnership_id",
        partnership_id,
        changes | {"recorded_at": now, "recorded_by": actor.label},
    )
    await outbox.add(conn, _partnership_event(row, now))
    return row


async def partnerships(conn: asyncpg.Connection, *, company_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM partnership WHERE company_id = $1 ORDER BY starts_on, mou_number",
        company_id,
    )
