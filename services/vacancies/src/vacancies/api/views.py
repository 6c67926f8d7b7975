"""Rows to API responses. The HR contact is shown only to operators and to its company."""

from typing import Any

import asyncpg

from ..principals import Actor, may_act_for
from ..schemas import ApplicationOut, CompanyOut, PartnershipOut, VacancyOut
from ..services.vacancies import nested


def company_out(row: asyncpg.Record, *, actor: Actor) -> dict[str, Any]:
    contact = {"name": row["hr_name"], "phone": row["hr_phone"], "email": row["hr_email"]}
    return CompanyOut(
        company_id=row["company_id"],
        name=row["name"],
        nib=row["nib"],
        kbli_code=row["kbli_code"],
        kbli_version=row["kbli_version"],
        industrial_estate=row["industrial_estate"],
        address={
            "street": row["street"],
            "desa_kode": row["desa_kode"],
            "kecamatan_kode": row["kecamatan_kode"],
        },
        status=row["status"],
        registered_at=row["registered_at"],
        verified_at=row["verified_at"],
        hr_contact=contact if may_act_for(actor, row["company_id"]) else None,
    ).model_dump()


def partnership_out(row: asyncpg.Record) -> PartnershipOut:
    return PartnershipOut.model_validate(dict(row))


def vacancy_out(row: asyncpg.Record) -> VacancyOut:
    return VacancyOut.model_validate(nested(row))


def application_out(
    row: asyncpg.Record, transitions: list[dict[str, Any]] | None = None
) -> ApplicationOut:
    values = dict(row)
    return ApplicationOut.model_validate(
        values | {"hire_id": values.get("hire_id"), "transitions": transitions or []}
    )
