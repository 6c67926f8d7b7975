"""Rows to API responses. Personal fields are opened only for operators."""

from typing import Any

import asyncpg

from .crypto import PersonalDataCipher
from .domain import parse_nik
from .schemas import AK1Out, PersonalOut, ResidentOut
from .services import Actor


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
        if actor.role == "operator"
        else None,
    )
