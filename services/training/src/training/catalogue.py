"""Use cases for institutions, programmes and their sessions (angkatan). Each runs inside the
caller's transaction and stages its events in the outbox."""

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from kerjalokal.auth import Principal, keys
from kerjalokal.events import training as ev
from kerjalokal.messaging import outbox
from kerjalokal.reference import desa, is_in_kabupaten_bekasi, kabkota, parse_kode
from kerjalokal.reference.wilayah import InvalidKode

from . import repository
from .domain import (
    DomainError,
    FieldError,
    NotFound,
    check_licence,
    may_act_for,
    may_read_catalogue,
)
from .schemas import InstitutionIn, InstitutionUpdateIn, ProgrammeIn, SessionIn

SERVICE = "training"
INSTITUTION_KEY_LIFETIME = timedelta(days=365)


async def issue_institution_key(
    conn: asyncpg.Connection, *, institution: asyncpg.Record, by: Principal, now: datetime
) -> keys.IssuedKey:
    """An API key of role `institution` scoped to this institution, shown once."""
    return await keys.issue(
        conn,
        service=SERVICE,
        role="institution",
        subject=institution["name"],
        scope={"institution_id": institution["institution_id"]},
        label=institution["name"],
        created_by=by.label,
        now=now,
        lifetime=INSTITUTION_KEY_LIFETIME,
    )


def _kecamatan_of(desa_kode: str) -> str:
    """A desa of Kabupaten Bekasi must exist; elsewhere (BBPLK in Kota Bekasi) its regency must."""
    loc = ("address", "desa_kode")
    try:
        kode = parse_kode(desa_kode)
    except InvalidKode as error:
        raise FieldError(loc, error.reason) from None
    known = desa(kode.value) if is_in_kabupaten_bekasi(kode.value) else kabkota(kode.value[:5])
    if known is None:
        raise FieldError(loc, f"Kode desa {desa_kode} tidak dikenal / unknown village code")
    return kode.value[:8]


async def register_institution(
    conn: asyncpg.Connection, *, data: InstitutionIn, by: Principal, now: datetime
) -> tuple[asyncpg.Record, keys.IssuedKey]:
    """Register an institution and issue its API key, returned once and stored hashed."""
    if await repository.institution_type(conn, kode=data.type) is None:
        kinds = ", ".join(row["kode"] for row in await repository.institution_types(conn))
        raise FieldError(("type",), f"Jenis lembaga tidak dikenal (pilih {kinds}) / unknown type")
    if await repository.institution_by_name(conn, type_kode=data.type, name=data.name):
        raise DomainError("Lembaga ini sudah terdaftar / this institution is already registered")
    institution_id = uuid4()
    await repository.insert(
        conn,
        "institution",
        {
            "institution_id": institution_id,
            "type_kode": data.type,
            "name": data.name,
            "licence_number": data.licence_number,
            "licence_status": data.licence_status,
            "accreditation": data.accreditation,
            "licence_valid_until": data.licence_valid_until,
            "street": data.address.street,
            "desa_kode": data.address.desa_kode,
            "kecamatan_kode": _kecamatan_of(data.address.desa_kode),
            "registered_at": now,
            "updated_at": now,
        },
    )
    row = await visible_institution(conn, institution_id, actor=None)
    return row, await issue_institution_key(conn, institution=row, by=by, now=now)


async def visible_institution(
    conn: asyncpg.Connection, institution_id: UUID, *, actor: Principal | None
) -> asyncpg.Record:
    row = await repository.get_institution(conn, institution_id=institution_id)
    if row is None or (actor is not None and not may_read_catalogue(actor, institution_id)):
        raise NotFound("institution")
    return row


async def update_institution(
    conn: asyncpg.Connection, *, institution_id: UUID, data: InstitutionUpdateIn, now: datetime
) -> asyncpg.Record:
    await visible_institution(conn, institution_id, actor=None)
    changes: dict[str, Any] = {name: getattr(data, name) for name in data.model_fields_set}
    await repository.update(
        conn, "institution", "institution_id", institution_id, changes | {"updated_at": now}
    )
    return await visible_institution(conn, institution_id, actor=None)


async def reissue_key(
    conn: asyncpg.Connection, *, institution_id: UUID, by: Principal, now: datetime
) -> keys.IssuedKey:
    """A lost or leaked key is replaced: every live key of the institution stops working at once
    and a new one is issued."""
    row = await visible_institution(conn, institution_id, actor=None)
    await keys.revoke_scope(
        conn, role="institution", scope={"institution_id": str(institution_id)}, now=now
    )
    return await issue_institution_key(conn, institution=row, by=by, now=now)


def _owner(data: ProgrammeIn, actor: Principal) -> UUID:
    if actor.role == "institution":
        assert actor.institution_id is not None
        if data.institution_id not in (None, actor.institution_id):
            raise FieldError(
                ("institution_id",),
                "Lembaga hanya membuka programnya sendiri / an institution opens only its own",
            )
        return actor.institution_id
    if data.institution_id is None:
        raise FieldError(("institution_id",), "Wajib diisi operator / required for operators")
    return data.institution_id


async def _host(conn: asyncpg.Connection, data: ProgrammeIn) -> dict[str, Any]:
    if data.apprenticeship is None:
        return {}
    app = data.apprenticeship
    if await repository.get_company(conn, company_id=app.host_company_id) is None:
        raise FieldError(
            ("apprenticeship", "host_company_id"),
            "Perusahaan belum dikenal atau belum diverifikasi Disnaker /"
            " the company is unknown or not verified",
        )
    return {
        "host_company_id": app.host_company_id,
        "agreement_number": app.agreement_number,
        "agreement_signed_on": app.agreement_signed_on,
        "mentor": app.mentor.model_dump(),
        "stipend_basis": app.stipend_basis,
        "stipend_amount": app.stipend_amount,
    }


async def open_programme(
    conn: asyncpg.Connection, *, data: ProgrammeIn, actor: Principal, now: datetime
) -> asyncpg.Record:
    institution_id = _owner(data, actor)
    institution = await repository.get_institution(conn, institution_id=institution_id)
    if institution is None:
        raise FieldError(("institution_id",), "Lembaga tidak ditemukan / institution not found")
    check_licence(institution["licence_status"])
    programme_id = uuid4()
    await repository.insert(
        conn,
        "programme",
        {
            "programme_id": programme_id,
            "institution_id": institution_id,
            "kind": data.kind,
            "title": data.title,
            "vocation": data.vocation,
            "kbji_code": data.kbji_code,
            "competency_scheme": data.competency_scheme,
            "skills": sorted({" ".join(s.split()) for s in data.skills}),
            "hours": data.hours,
            "capacity": data.capacity,
            "schedule": data.schedule,
            **data.requirements.model_dump(),
            **await _host(conn, data),
            "opened_at": now,
        },
    )
    row = await repository.get_programme(conn, programme_id=programme_id)
    assert row is not None
    await outbox.add(
        conn,
        ev.ProgrammeOpenedV1(
            programme_id=programme_id,
            institution_id=institution_id,
            institution_type=row["institution_type"],
            kind=row["kind"],
            title=row["title"],
            vocation=row["vocation"],
            kbji_code=row["kbji_code"],
            competency_scheme=row["competency_scheme"],
            skills=tuple(row["skills"]),
            hours=row["hours"],
            capacity=row["capacity"],
            host_company_id=row["host_company_id"],
            opened_at=now,
        ),
    )
    return row


async def visible_programme(
    conn: asyncpg.Connection,
    programme_id: UUID,
    *,
    actor: Principal,
    lock: bool = False,
    write: bool = False,
) -> asyncpg.Record:
    """The programme if `actor` may see it (or change it, with `write`); 404 alike otherwise."""
    row = await repository.get_programme(conn, programme_id=programme_id, lock=lock)
    allowed = may_act_for if write else may_read_catalogue
    if row is None or not allowed(actor, row["institution_id"]):
        raise NotFound("programme")
    return row


async def open_session(
    conn: asyncpg.Connection,
    *,
    programme_id: UUID,
    data: SessionIn,
    actor: Principal,
    now: datetime,
) -> asyncpg.Record:
    """The next numbered angkatan; the programme row lock keeps numbers unique and gapless."""
    programme = await visible_programme(conn, programme_id, actor=actor, lock=True, write=True)
    check_licence(programme["licence_status"])
    session_id = uuid4()
    number = await repository.next_session_number(conn, programme_id=programme_id)
    capacity = data.capacity or programme["capacity"]
    await repository.insert(
        conn,
        "session",
        {
            "session_id": session_id,
            "programme_id": programme_id,
            "number": number,
            "starts_on": data.starts_on,
            "ends_on": data.ends_on,
            "capacity": capacity,
            "location": data.location,
            "opened_at": now,
        },
    )
    await outbox.add(
        conn,
        ev.SessionOpenedV1(
            session_id=session_id,
            programme_id=programme_id,
            institution_id=programme["institution_id"],
            kind=programme["kind"],
            number=number,
            vocation=programme["vocation"],
            kbji_code=programme["kbji_code"],
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            capacity=capacity,
            opened_at=now,
        ),
    )
    return await visible_session(conn, session_id, actor=actor)


async def visible_session(
    conn: asyncpg.Connection, session_id: UUID, *, actor: Principal
) -> asyncpg.Record:
    row = await repository.session_with_counts(conn, session_id=session_id)
    if row is None or not may_read_catalogue(actor, row["institution_id"]):
        raise NotFound("session")
    return row
