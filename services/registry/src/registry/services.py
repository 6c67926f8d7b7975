"""Use cases of the registry, one function each. Each runs inside the caller's transaction and
stages the events it causes in the outbox, so state and events commit together."""

import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID, uuid4

import asyncpg
from pydantic_core import to_json

from kerjalokal.auth import Principal
from kerjalokal.events import registry as ev
from kerjalokal.events.training import (
    EnrollmentWithdrawnV1,
    ResidentEnrolledV1,
    TrainingCompletedV1,
)
from kerjalokal.events.vacancies import ResidentHiredV1
from kerjalokal.messaging import RESTRICTED, PermanentError, outbox
from kerjalokal.reference import education_level

from . import repository
from .crypto import PersonalDataCipher
from .domain import (
    Ak1Card,
    DomainError,
    Domicile,
    InvalidTransition,
    ResidentStatus,
    ak1_eligibility,
    issue_ak1,
    nik_warnings,
    normalize_phone,
    parse_nik,
    report_in,
    sweep_status,
    transition,
    validate_domicile,
)
from .schemas import AddressIn, EducationIn, ProfileUpdateIn, RegistrationIn

S = ResidentStatus


@dataclass(frozen=True)
class Actor:
    """Who acts in a use case: an HTTP caller (a chassis `Principal`), a bulk import or the
    system. A village admin acts for one desa, a district admin for every desa of a kecamatan."""

    role: Literal[
        "operator", "village_admin", "agency", "service", "company", "institution",
        "bulk_import", "system",
    ]  # fmt: skip
    name: str
    desa_kode: str | None = None
    kecamatan_kode: str | None = None

    @classmethod
    def of(cls, who: Principal) -> "Actor":
        name = who.subject + (f"[{who.key_id}]" if who.key_id else "")
        return cls(
            role=who.role, name=name, desa_kode=who.desa_kode, kecamatan_kode=who.kecamatan_kode
        )

    @property
    def label(self) -> str:
        return f"{self.role}:{self.name}"

    def covers(self, desa_kode: str | None) -> bool:
        """A village or district admin's own residents (`Principal.covers_desa`)."""
        scope = {"desa_kode": self.desa_kode, "kecamatan_kode": self.kecamatan_kode}
        admin = Principal(
            role="village_admin", subject=self.name, scope={k: v for k, v in scope.items() if v}
        )
        return self.role == "village_admin" and admin.covers_desa(desa_kode)

    def sees_personal(self, desa_kode: str | None) -> bool:
        """NIK, name, phone, email and street address: operators, and the resident's own village
        or district admin."""
        return self.role == "operator" or self.covers(desa_kode)


class FieldError(DomainError):
    """A rule refused one input field; `loc` names it as FastAPI does."""

    def __init__(self, loc: tuple[str, ...], reason: str) -> None:
        super().__init__(reason)
        self.loc = loc


class NotFound(Exception):
    pass


class DuplicateNik(Exception):
    """`existing` is None when the caller may not see the resident who holds the NIK."""

    def __init__(self, existing: UUID | None) -> None:
        super().__init__(str(existing))
        self.existing = existing


def _field(loc: tuple[str, ...], check: Any, *args: Any) -> Any:
    try:
        return check(*args)
    except DomainError as error:
        raise FieldError(loc, error.reason) from None


def education_columns(education: EducationIn, *, loc: tuple[str, ...]) -> dict[str, Any]:
    """The band is derived when absent: SMA or SMK by track for SLTA, else the level's highest."""
    level = education_level(education.level)
    assert level is not None
    bands = level.bands
    if education.band is not None and education.band not in bands:
        raise FieldError(
            (*loc, "band"),
            f"Jenjang {education.band} tidak sesuai tingkat {level.label}"
            f" (pilih {', '.join(bands)})"
            f" / band {education.band} does not fit level {level.kode}",
        )
    band = education.band
    if band is None and bands:
        band = ("SMK" if education.track == "kejuruan" else "SMA") if level.kode == 5 else bands[-1]
    track = education.track or ("kejuruan" if band == "SMK" else None)
    return {
        "education_level": level.kode,
        "education_band": band,
        "education_track": track,
        "education_major": education.major,
    }


@functools.lru_cache(maxsize=8192)
def _domicile(desa_kode: str) -> Domicile:
    """A desa code's domicile depends only on the reference data, which a release fixes: an
    import checks the same few hundred codes again and again. Refusals are not kept."""
    return validate_domicile(desa_kode)


def _domicile_columns(address: AddressIn, *, actor: Actor, loc: tuple[str, ...]) -> dict[str, Any]:
    domicile = _field((*loc, "desa_kode"), _domicile, address.desa_kode)
    if actor.role == "village_admin" and not actor.covers(domicile.kode):
        raise FieldError(
            (*loc, "desa_kode"),
            "Admin desa hanya mendaftarkan warga wilayahnya sendiri /"
            " a village admin registers only residents of their own village or district",
        )
    return {
        "desa_kode": domicile.kode,
        "kecamatan_kode": domicile.kecamatan.kode if domicile.kecamatan else domicile.kode[:8],
        "kabkota_kode": domicile.kabkota.kode,
        "is_local": domicile.is_local,
        "kepmendagri": domicile.kepmendagri,
    }


def _address(address: AddressIn) -> dict[str, Any]:
    return address.model_dump(exclude={"desa_kode"})


def _certificates(items: Any) -> list[dict[str, Any]]:
    return [item.model_dump(exclude_none=True) for item in items]


def profile(row: asyncpg.Record) -> ev.Profile:
    return ev.Profile(
        domicile=ev.Domicile(
            desa_kode=row["desa_kode"],
            kecamatan_kode=row["kecamatan_kode"],
            kabkota_kode=row["kabkota_kode"],
            is_local=row["is_local"],
            kepmendagri=row["kepmendagri"],
        ),
        sex=row["sex"],
        birth_year=row["birth_date"].year,
        education=ev.Education(
            level=row["education_level"],
            band=row["education_band"],
            track=row["education_track"],
            major=row["education_major"],
        ),
        skills=tuple(row["skills"]),
        certificates=tuple(ev.Certificate.model_validate(c) for c in row["certificates"]),
        occupation_interests=tuple(row["occupation_interests"]),
        in_training=row["in_training"],
    )


def contact_event(row: asyncpg.Record, personal: dict[str, Any], at: datetime) -> ev.Event:
    return ev.ResidentContactChangedV1(
        resident_id=row["resident_id"],
        version=row["version"],
        changed_at=at,
        full_name=personal["full_name"],
        phone=personal["phone"],
        email=personal.get("email"),
        consent=row["contact_consent"],
        channels=tuple(row["contact_channels"]),
    )


@dataclass(frozen=True)
class Prepared:
    columns: dict[str, Any]
    personal: dict[str, Any]
    warnings: list[str]
    nik_lookup: str | None = None


def prepare(
    *, cipher: PersonalDataCipher, data: RegistrationIn, actor: Actor, now: datetime
) -> Prepared:
    """Every check of a registration that needs no database, and the row it would insert."""
    nik = _field(("nik",), parse_nik, data.nik)
    phone = _field(("phone",), normalize_phone, data.phone)
    if data.birth_date > now.date():
        raise FieldError(("birth_date",), "Tanggal lahir di masa depan / birth date in the future")
    columns = _domicile_columns(data.address, actor=actor, loc=("address",))
    columns |= education_columns(data.education, loc=("education",))
    warnings = nik_warnings(nik, sex=data.sex, birth_date=data.birth_date)
    resident_id = uuid4()
    personal = {
        "nik": nik.value,
        "full_name": data.full_name,
        "phone": phone,
        "email": data.email,
        "birth_place": data.birth_place,
        "address": _address(data.address),
    }
    columns |= {
        "resident_id": resident_id,
        "nik_hmac": cipher.nik_lookup(nik.value),
        "key_id": cipher.key_id,
        "personal": cipher.seal(personal, resident_id=resident_id),
        "sex": data.sex,
        "birth_date": data.birth_date,
        "domicile_evidence": "ktp",
        "domicile_since": now.date(),
        "skills": sorted(set(data.skills)),
        "certificates": _certificates(data.certificates),
        "occupation_interests": list(dict.fromkeys(data.occupation_interests)),
        "disability": data.disability.model_dump() if data.disability else None,
        "contact_consent": data.consent.contact,
        "contact_channels": list(dict.fromkeys(data.consent.channels)),
        "status": S.REGISTERED.value,
        "status_changed_at": now,
        "nik_warnings": warnings,
        "registered_at": now,
        "registered_by_kind": actor.role,
        "registered_by": actor.label,
        "updated_at": now,
    }
    return Prepared(
        columns=columns,
        personal=personal,
        warnings=warnings,
        nik_lookup=cipher.partner_lookup(nik.value),
    )


def registered_events(
    row: Any, personal: dict[str, Any], *, now: datetime, nik_lookup: str | None
) -> list[ev.Event]:
    """What a registration publishes: the public profile, the contact details for notify, and
    the NIK's partner lookup for vacancies (the two last on the restricted exchange)."""
    kind = row["registered_by_kind"]
    events: list[ev.Event] = [
        ev.ResidentRegisteredV1(
            resident_id=row["resident_id"],
            version=row["version"],
            registered_at=now,
            registered_by=kind,
            status=row["status"],
            profile=profile(row),
        ),
        contact_event(row, personal, now),
    ]
    if nik_lookup is not None:
        events.append(
            ev.ResidentIdentityRecordedV1(
                resident_id=row["resident_id"],
                version=row["version"],
                recorded_at=now,
                nik_lookup=nik_lookup,
                is_local=row["is_local"],
            )
        )
    return events


def registered_payloads(
    row: Any, personal: dict[str, Any], *, now: datetime, nik_lookup: str | None
) -> list[outbox.Serialised]:
    """`registered_events` serialised without building and validating the event models: for the
    bulk import, whose rows were validated as registrations already and where building three
    models per row cost more than validating the row. The same JSON byte for byte (the same
    pydantic-core encoder, the models' field order); tests/unit compare the two, so a field
    added to one of these events fails them until it is added here too."""
    subject = str(row["resident_id"])
    common = {"resident_id": row["resident_id"], "version": row["version"]}
    public = common | {
        "registered_at": now,
        "registered_by": row["registered_by_kind"],
        "status": row["status"],
        "profile": {
            "domicile": {
                "desa_kode": row["desa_kode"],
                "kecamatan_kode": row["kecamatan_kode"],
                "kabkota_kode": row["kabkota_kode"],
                "is_local": row["is_local"],
                "kepmendagri": row["kepmendagri"],
            },
            "sex": row["sex"],
            "birth_year": row["birth_date"].year,
            "education": {
                "level": row["education_level"],
                "band": row["education_band"],
                "track": row["education_track"],
                "major": row["education_major"],
            },
            "skills": row["skills"],
            "certificates": [
                {key: c.get(key) for key in ("name", "issuer", "scheme", "year")}
                for c in row["certificates"]
            ],
            "occupation_interests": row["occupation_interests"],
            "in_training": row["in_training"],
        },
    }
    contact = common | {
        "changed_at": now,
        "full_name": personal["full_name"],
        "phone": personal["phone"],
        "email": personal.get("email"),
        "consent": row["contact_consent"],
        "channels": row["contact_channels"],
    }
    events: list[outbox.Serialised] = [
        (ev.ResidentRegisteredV1, subject, to_json(public).decode()),
        (ev.ResidentContactChangedV1, subject, to_json(contact).decode()),
    ]
    if nik_lookup is not None:
        identity = common | {
            "recorded_at": now,
            "nik_lookup": nik_lookup,
            "is_local": row["is_local"],
        }
        events.append((ev.ResidentIdentityRecordedV1, subject, to_json(identity).decode()))
    return events


async def register(
    conn: asyncpg.Connection,
    *,
    cipher: PersonalDataCipher,
    data: RegistrationIn,
    actor: Actor,
    now: datetime,
) -> tuple[asyncpg.Record, list[str]]:
    prepared = prepare(cipher=cipher, data=data, actor=actor, now=now)
    nik_hmac = prepared.columns["nik_hmac"]
    if existing := await repository.id_by_nik(conn, nik_hmac=nik_hmac):
        raise DuplicateNik(await _pointer(conn, existing, actor=actor))
    try:
        async with conn.transaction():
            await repository.insert(conn, prepared.columns)
    except asyncpg.UniqueViolationError:
        raced = await repository.id_by_nik(conn, nik_hmac=nik_hmac)
        raise DuplicateNik(raced and await _pointer(conn, raced, actor=actor)) from None
    resident_id = prepared.columns["resident_id"]
    await repository.add_history(
        conn, resident_id=resident_id, at=now, actor=actor.label, action="registered"
    )
    row = await _get(conn, resident_id)
    events = registered_events(row, prepared.personal, now=now, nik_lookup=prepared.nik_lookup)
    await outbox.add(conn, *events)
    return row, prepared.warnings


async def _pointer(conn: asyncpg.Connection, resident_id: UUID, *, actor: Actor) -> UUID | None:
    """The holder of a NIK registered twice, if the caller may see them (a village admin is not
    told which resident of another village holds it)."""
    try:
        await get_visible(conn, resident_id, actor=actor)
    except NotFound:
        return None
    return resident_id


async def _get(
    conn: asyncpg.Connection, resident_id: UUID, *, lock: bool = False
) -> asyncpg.Record:
    row = await repository.get(conn, resident_id=resident_id, for_update=lock)
    if row is None:
        raise NotFound(str(resident_id))
    return row


async def get_visible(
    conn: asyncpg.Connection, resident_id: UUID, *, actor: Actor
) -> asyncpg.Record:
    """A village admin sees only the residents of their own village (a district admin those of
    their kecamatan); a foreign resident answers the same 404 as a missing one."""
    row = await _get(conn, resident_id)
    if actor.role != "operator" and not actor.covers(row["desa_kode"]):
        raise NotFound(str(resident_id))
    return row


async def _status_event(
    conn: asyncpg.Connection, row: asyncpg.Record, *, previous: str, reason: str, at: datetime
) -> None:
    await outbox.add(
        conn,
        ev.ResidentStatusChangedV1(
            resident_id=row["resident_id"],
            version=row["version"],
            changed_at=at,
            previous_status=previous,
            status=row["status"],
            reason=reason,
        ),
    )


async def _profile_event(
    conn: asyncpg.Connection, row: asyncpg.Record, *, changed: list[str], at: datetime
) -> None:
    await outbox.add(
        conn,
        ev.ResidentProfileUpdatedV1(
            resident_id=row["resident_id"],
            version=row["version"],
            updated_at=at,
            changed=tuple(changed),
            status=row["status"],
            profile=profile(row),
        ),
    )


_PROFILE_FIELDS = ("skills", "certificates", "occupation_interests", "disability")


async def update_profile(
    conn: asyncpg.Connection,
    *,
    cipher: PersonalDataCipher,
    resident_id: UUID,
    data: ProfileUpdateIn,
    actor: Actor,
    now: datetime,
) -> asyncpg.Record:
    current = await get_visible(conn, resident_id, actor=actor)
    current = await _get(conn, resident_id, lock=True)
    given = data.model_fields_set
    changes: dict[str, Any] = {}
    if data.education is not None:
        changes |= education_columns(data.education, loc=("education",))
    if data.skills is not None:
        changes["skills"] = sorted(set(data.skills))
    if data.certificates is not None:
        changes["certificates"] = _certificates(data.certificates)
    if data.occupation_interests is not None:
        changes["occupation_interests"] = list(dict.fromkeys(data.occupation_interests))
    if "disability" in given:
        changes["disability"] = data.disability.model_dump() if data.disability else None
    if data.consent is not None:
        changes["contact_consent"] = data.consent.contact
        changes["contact_channels"] = list(dict.fromkeys(data.consent.channels))
    personal = cipher.open(current["personal"], resident_id=resident_id)
    personal_changes = {
        "full_name": data.full_name,
        "email": data.email,
        "phone": _field(("phone",), normalize_phone, data.phone) if data.phone else None,
    }
    personal |= {k: v for k, v in personal_changes.items() if k in given and v is not None}
    if "email" in given and data.email is None:
        personal["email"] = None
    channels = changes.get("contact_channels", current["contact_channels"])
    if "email" in channels and not personal.get("email"):
        raise FieldError(
            ("email",), "Saluran email butuh alamat email / the email channel needs an email"
        )
    contact_changed = bool({"full_name", "phone", "email", "consent"} & given)
    if contact_changed:
        changes["personal"] = cipher.seal(personal, resident_id=resident_id)
    row = await repository.update(conn, resident_id=resident_id, changes=changes, at=now)
    changed = sorted(given)
    await repository.add_history(
        conn,
        resident_id=resident_id,
        at=now,
        actor=actor.label,
        action="profile_updated",
        detail={"fields": changed},
    )
    public = [f for f in changed if f in ("education", *_PROFILE_FIELDS) and f != "disability"]
    if public:
        await _profile_event(conn, row, changed=public, at=now)
    if contact_changed:
        await outbox.add(conn, contact_event(row, personal, now))
    return row


async def change_domicile(
    conn: asyncpg.Connection,
    *,
    cipher: PersonalDataCipher,
    resident_id: UUID,
    address: AddressIn,
    evidence: str,
    effective_on: date,
    actor: Actor,
    now: datetime,
) -> asyncpg.Record:
    await get_visible(conn, resident_id, actor=actor)
    current = await _get(conn, resident_id, lock=True)
    changes = _domicile_columns(address, actor=actor, loc=("address",))
    personal = cipher.open(current["personal"], resident_id=resident_id)
    personal["address"] = _address(address)
    changes |= {
        "domicile_evidence": evidence,
        "domicile_since": effective_on,
        "personal": cipher.seal(personal, resident_id=resident_id),
    }
    row = await repository.update(conn, resident_id=resident_id, changes=changes, at=now)
    await repository.add_history(
        conn,
        resident_id=resident_id,
        at=now,
        actor=actor.label,
        action="domicile_changed",
        detail={
            "from": current["desa_kode"],
            "to": row["desa_kode"],
            "evidence": evidence,
            "effective_on": effective_on.isoformat(),
            "is_local": row["is_local"],
        },
    )
    await _profile_event(conn, row, changed=["domicile"], at=now)
    return row


def _card(row: asyncpg.Record) -> Ak1Card:
    return Ak1Card(
        number=row["ak1_number"],
        issued_on=row["ak1_issued_on"],
        valid_until=row["ak1_valid_until"],
        next_report_due=row["ak1_next_report_due"],
        kecamatan_kode=None,
    )


async def _issue_card(
    conn: asyncpg.Connection, row: asyncpg.Record, *, today: date
) -> dict[str, Any]:
    refusal = ak1_eligibility(row["birth_date"], today)
    if refusal is not None:
        return {"ak1_refusal_reason": refusal}
    card = issue_ak1(
        sequence=await repository.next_ak1_sequence(conn), issued_on=today, kecamatan_kode=None
    )
    return {
        "ak1_number": card.number,
        "ak1_issued_on": card.issued_on,
        "ak1_valid_until": card.valid_until,
        "ak1_next_report_due": card.next_report_due,
        "ak1_refusal_reason": None,
        "status": S.ACTIVE.value,
    }


async def verify(
    conn: asyncpg.Connection, *, resident_id: UUID, officer: str, actor: Actor, now: datetime
) -> asyncpg.Record:
    """The pengantar kerja checked the documents; the AK/1 card is issued unless refused."""
    current = await _get(conn, resident_id, lock=True)
    transition(S(current["status"]), S.VERIFIED)
    changes = {"status": S.VERIFIED.value, "verified_at": now, "verified_by": officer}
    changes |= await _issue_card(conn, current, today=now.date())
    changes["status_changed_at"] = now
    row = await repository.update(conn, resident_id=resident_id, changes=changes, at=now)
    await repository.add_history(
        conn,
        resident_id=resident_id,
        at=now,
        actor=actor.label,
        action="verified",
        detail={
            "officer": officer,
            "ak1_number": row["ak1_number"],
            "ak1_refusal_reason": row["ak1_refusal_reason"],
        },
    )
    await outbox.add(
        conn,
        ev.ResidentVerifiedV1(
            resident_id=resident_id,
            version=row["version"],
            verified_at=now,
            status=row["status"],
            ak1_issued=row["ak1_number"] is not None,
            ak1_valid_until=row["ak1_valid_until"],
            ak1_refusal_reason=row["ak1_refusal_reason"],
        ),
    )
    await _status_event(conn, row, previous=current["status"], reason="verified", at=now)
    return row


async def issue_card(
    conn: asyncpg.Connection, *, resident_id: UUID, actor: Actor, now: datetime
) -> asyncpg.Record:
    """For a verified resident whose card was refused (under 18) and who is now eligible."""
    current = await _get(conn, resident_id, lock=True)
    transition(S(current["status"]), S.ACTIVE)
    changes = await _issue_card(conn, current, today=now.date())
    if "ak1_number" not in changes:
        raise InvalidTransition(changes["ak1_refusal_reason"])
    row = await repository.update(
        conn, resident_id=resident_id, changes=changes | {"status_changed_at": now}, at=now
    )
    await repository.add_history(
        conn,
        resident_id=resident_id,
        at=now,
        actor=actor.label,
        action="ak1_issued",
        detail={"ak1_number": row["ak1_number"]},
    )
    await _status_event(conn, row, previous=current["status"], reason="ak1_issued", at=now)
    return row


async def report(
    conn: asyncpg.Connection, *, resident_id: UUID, actor: Actor, now: datetime
) -> asyncpg.Record:
    """The seeker reports in (every 6 months); a lapsed seeker becomes active again."""
    await get_visible(conn, resident_id, actor=actor)
    current = await _get(conn, resident_id, lock=True)
    status = S(current["status"])
    if status not in (S.ACTIVE, S.LAPSED):
        raise InvalidTransition(
            f"Lapor diri hanya untuk pencari kerja aktif atau tertunda, bukan {status} /"
            f" only active or lapsed seekers report in, not {status}"
        )
    card = report_in(_card(current), today=now.date())
    changes: dict[str, Any] = {"ak1_next_report_due": card.next_report_due}
    if status is S.LAPSED:
        changes |= {"status": transition(status, S.ACTIVE).value, "status_changed_at": now}
    row = await repository.update(conn, resident_id=resident_id, changes=changes, at=now)
    await repository.add_history(
        conn,
        resident_id=resident_id,
        at=now,
        actor=actor.label,
        action="reported_in",
        detail={"next_report_due": card.next_report_due.isoformat()},
    )
    if status is S.LAPSED:
        await _status_event(conn, row, previous=status.value, reason="reported_in", at=now)
    return row


async def mark_placed(conn: asyncpg.Connection, *, event: ResidentHiredV1, now: datetime) -> None:
    hire = event
    current = await repository.get(conn, resident_id=hire.resident_id, for_update=True)
    if current is None:
        if await repository.exists(conn, resident_id=hire.resident_id):
            return  # erased meanwhile: nothing of them is kept to update
        raise PermanentError("the hired resident is not registered here")
    status = S(current["status"])
    detail = {
        "hire_id": str(hire.hire_id),
        "company_id": str(hire.company_id),
        "start_date": hire.start_date.isoformat(),
        "source": hire.source,
    }
    if status is S.PLACED or S.PLACED not in _targets(status):
        await repository.add_history(
            conn,
            resident_id=hire.resident_id,
            at=now,
            actor="event:resident_hired",
            action="hired_unchanged",
            detail=detail | {"status": status.value},
        )
        return
    row = await repository.update(
        conn,
        resident_id=hire.resident_id,
        changes={"status": S.PLACED.value, "status_changed_at": now},
        at=now,
    )
    await repository.add_history(
        conn,
        resident_id=hire.resident_id,
        at=now,
        actor="event:resident_hired",
        action="placed",
        detail=detail,
    )
    await _status_event(conn, row, previous=status.value, reason="hired", at=now)


async def erase(
    conn: asyncpg.Connection, *, resident_id: UUID, reason: str, actor: Actor, now: datetime
) -> datetime:
    """Erase a resident's personal data at their request (UU 27/2022) and tell every service.
    Erasing again changes nothing and publishes nothing; answers when it happened."""
    version = await repository.erase(conn, resident_id=resident_id, at=now)
    if version is None:
        erased_at = await repository.erased_at(conn, resident_id=resident_id)
        if erased_at is None:
            raise NotFound(str(resident_id))
        return erased_at
    await repository.erase_history(conn, resident_id=resident_id)
    await repository.erase_events(conn, resident_id=resident_id, exchange=RESTRICTED.name)
    await repository.add_history(
        conn, resident_id=resident_id, at=now, actor=actor.label, action="erased",
        detail={"reason": reason},
    )  # fmt: skip
    await outbox.add(
        conn, ev.ResidentErasedV1(resident_id=resident_id, version=version, erased_at=now)
    )
    return now


def _targets(status: ResidentStatus) -> frozenset[ResidentStatus]:
    from .domain import allowed_targets

    return allowed_targets(status)


async def _training_changed(
    conn: asyncpg.Connection,
    *,
    resident_id: UUID,
    enrollment_id: UUID,
    session_id: UUID,
    state: str,
    skills: tuple[Any, ...] = (),
    now: datetime,
) -> None:
    current = await repository.get(conn, resident_id=resident_id, for_update=True)
    if current is None:
        if await repository.exists(conn, resident_id=resident_id):
            return  # erased meanwhile: nothing of them is kept to update
        raise PermanentError("the trained resident is not registered here")
    await repository.record_enrollment(
        conn,
        enrollment_id=enrollment_id,
        resident_id=resident_id,
        session_id=session_id,
        state=state,
        at=now,
    )
    changes: dict[str, Any] = {}
    changed = ["in_training"]
    if skills:
        certificates = list(current["certificates"])
        known = {(c.get("name"), c.get("number")) for c in certificates}
        for item in skills:
            cert = {
                "name": item.skill,
                "scheme": item.scheme,
                "number": item.certificate_number,
                "issuer": "pelatihan",
            }
            if (item.skill, item.certificate_number) not in known:
                certificates.append({k: v for k, v in cert.items() if v is not None})
        changes = {
            "skills": sorted(set(current["skills"]) | {s.skill.lower() for s in skills}),
            "certificates": certificates,
        }
        changed += ["skills", "certificates"]
    row = await repository.update(conn, resident_id=resident_id, changes=changes, at=now)
    await repository.add_history(
        conn,
        resident_id=resident_id,
        at=now,
        actor="event:training",
        action=f"training_{state}",
        detail={"enrollment_id": str(enrollment_id), "skills": [s.skill for s in skills]},
    )
    await _profile_event(conn, row, changed=changed, at=now)


async def training_enrolled(
    conn: asyncpg.Connection, *, event: ResidentEnrolledV1, now: datetime
) -> None:
    await _training_changed(
        conn,
        resident_id=event.resident_id,
        enrollment_id=event.enrollment_id,
        session_id=event.session_id,
        state="enrolled",
        now=now,
    )


async def training_withdrawn(
    conn: asyncpg.Connection, *, event: EnrollmentWithdrawnV1, now: datetime
) -> None:
    await _training_changed(
        conn,
        resident_id=event.resident_id,
        enrollment_id=event.enrollment_id,
        session_id=event.session_id,
        state="withdrawn",
        now=now,
    )


async def training_completed(
    conn: asyncpg.Connection, *, event: TrainingCompletedV1, now: datetime
) -> None:
    await _training_changed(
        conn,
        resident_id=event.resident_id,
        enrollment_id=event.enrollment_id,
        session_id=event.session_id,
        state="completed",
        skills=event.certified_skills if event.passed else (),
        now=now,
    )


async def sweep(conn: asyncpg.Connection, *, now: datetime) -> int:
    """Lapse seekers who missed their report, expire cards past validity; returns how many."""
    moved = 0
    for resident_id in await repository.due_for_sweep(conn, today=now.date()):
        async with conn.transaction():
            current = await _get(conn, resident_id, lock=True)
            target = sweep_status(
                status=S(current["status"]),
                next_report_due=current["ak1_next_report_due"],
                valid_until=current["ak1_valid_until"],
                today=now.date(),
            )
            if target is None:
                continue
            row = await repository.update(
                conn,
                resident_id=resident_id,
                changes={"status": target.value, "status_changed_at": now},
                at=now,
            )
            reason = "card_expired" if target is S.EXPIRED else "report_overdue"
            await repository.add_history(
                conn, resident_id=resident_id, at=now, actor="system:sweep", action=reason
            )
            await _status_event(conn, row, previous=current["status"], reason=reason, at=now)
            moved += 1
    return moved
