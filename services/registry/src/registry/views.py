"""Rows to API responses. Personal fields are opened only for operators and the resident's own
village or district admin; the NIK is masked unless the caller asked for it (and was audited)."""

from typing import Any

import asyncpg

from .crypto import PersonalDataCipher
from .domain import parse_nik
from .schemas import AK1Out, PersonalOut, ResidentOut
from .services import Actor

EXPORTED_FIELDS = ("nik", "full_name", "phone", "email", "birth_place", "address", "profile")
"""What a data export reads in clear, as the audit log names it."""


def personal_of(
    row: asyncpg.Record, *, cipher: PersonalDataCipher, reveal_nik: bool = False
) -> PersonalOut:
    personal: dict[str, Any] = cipher.open(row["personal"], resident_id=row["resident_id"])
    nik = personal["nik"] if reveal_nik else parse_nik(personal["nik"]).masked()
    return PersonalOut(
        nik=nik,
        full_name=personal["full_name"],
        phone=personal["phone"],
        email=personal.get("email"),
        birth_place=personal.get("birth_place"),
        address=personal["address"],
    )


def resident_out(
    row: asyncpg.Record,
    *,
    actor: Actor,
    cipher: PersonalDataCipher,
    reveal_nik: bool = False,
) -> ResidentOut:
    return ResidentOut(
        resident_id=row["resident_id"],
        status=row["status"],
        sex=row["sex"],
        birth_date=row["birth_date"],
        domicile={
            "desa_kode": row["desa_kode"],
            "kecamatan_kode": row["kecamatan_kode"],
            "kabkota_kode": row["kabkota_kode"],
            "is_local": row["is_local"],
            "kepmendagri": row["kepmendagri"],
            "evidence": row["domicile_evidence"],
            "since": row["domicile_since"],
        },
        education={
            "level": row["education_level"],
            "band": row["education_band"],
            "track": row["education_track"],
            "major": row["education_major"],
        },
        skills=list(row["skills"]),
        certificates=list(row["certificates"]),
        occupation_interests=list(row["occupation_interests"]),
        disability=row["disability"] if actor.role == "operator" else None,
        consent={"contact": row["contact_consent"], "channels": list(row["contact_channels"])},
        in_training=row["in_training"],
        ak1=AK1Out(
            number=row["ak1_number"],
            issued_on=row["ak1_issued_on"],
            valid_until=row["ak1_valid_until"],
            next_report_due=row["ak1_next_report_due"],
            refusal_reason=row["ak1_refusal_reason"],
        ),
        registered_at=row["registered_at"],
        registered_by_kind=row["registered_by_kind"],
        updated_at=row["updated_at"],
        version=row["version"],
        warnings=list(row["nik_warnings"]),
        personal=personal_of(row, cipher=cipher, reveal_nik=reveal_nik)
        if actor.sees_personal(row["desa_kode"])
        else None,
    )


def export_of(
    row: asyncpg.Record,
    *,
    actor: Actor,
    cipher: PersonalDataCipher,
    history: list[asyncpg.Record],
    enrollments: list[asyncpg.Record],
    accesses: list[asyncpg.Record],
) -> dict[str, Any]:
    """Everything the registry holds about one resident, for their data export (UU 27/2022).
    Disability (health data) is the operator's only, as in every other answer."""
    personal: dict[str, Any] = cipher.open(row["personal"], resident_id=row["resident_id"])
    shown = resident_out(row, actor=actor, cipher=cipher).model_dump(
        mode="json", exclude={"personal", "consent", "ak1", "resident_id"}
    )
    withheld = [] if actor.role == "operator" else ["disability"]
    return {
        "nik": personal["nik"],
        "contact": {
            "full_name": personal["full_name"],
            "phone": personal["phone"],
            "email": personal.get("email"),
            "birth_place": personal.get("birth_place"),
            "address": personal["address"],
        },
        "profile": shown
        | {
            "status_changed_at": row["status_changed_at"].isoformat(),
            "verified_at": row["verified_at"].isoformat() if row["verified_at"] else None,
            "verified_by": row["verified_by"],
            "registered_by": row["registered_by"],
        },
        "consent": {"contact": row["contact_consent"], "channels": list(row["contact_channels"])},
        "ak1": {
            "number": row["ak1_number"],
            "issued_on": _iso(row["ak1_issued_on"]),
            "valid_until": _iso(row["ak1_valid_until"]),
            "next_report_due": _iso(row["ak1_next_report_due"]),
            "refusal_reason": row["ak1_refusal_reason"],
        },
        "status_history": [
            {
                "at": h["at"].isoformat(),
                "actor": h["actor"],
                "action": h["action"],
                "detail": h["detail"],
            }
            for h in history
        ],
        "training_enrollments": [
            {
                "enrollment_id": str(e["enrollment_id"]),
                "session_id": str(e["session_id"]),
                "state": e["state"],
                "updated_at": e["updated_at"].isoformat(),
            }
            for e in enrollments
        ],
        "personal_data_access": [
            {
                "accessed_at": a["accessed_at"].isoformat(),
                "principal": a["principal"],
                "role": a["role"],
                "fields": list(a["fields"]),
                "purpose": a["purpose"],
            }
            for a in accesses
        ],
        "withheld": withheld,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
