"""Database rows to API models; the only place that knows both shapes."""

from typing import Any

import asyncpg

from kerjalokal.auth.keys import IssuedKey

from .schemas import EnrollmentOut, InstitutionOut, ProgrammeOut, SessionOut


def institution_out(row: asyncpg.Record, *, issued: IssuedKey | None = None) -> InstitutionOut:
    return InstitutionOut(
        institution_id=row["institution_id"], type=row["type_kode"], type_name=row["type_name"],
        name=row["name"], licence_number=row["licence_number"],
        licence_status=row["licence_status"], accreditation=row["accreditation"],
        licence_valid_until=row["licence_valid_until"], street=row["street"],
        desa_kode=row["desa_kode"], kecamatan_kode=row["kecamatan_kode"],
        registered_at=row["registered_at"], token=issued.key if issued else None,
        key_id=issued.key_id if issued else None,
        key_expires_at=issued.expires_at if issued else None,
    )  # fmt: skip


def programme_out(row: asyncpg.Record) -> ProgrammeOut:
    apprenticeship = None
    if row["kind"] == "apprenticeship":
        apprenticeship = {
            key: row[key]
            for key in (
                "host_company_id", "agreement_number", "agreement_signed_on", "mentor",
                "stipend_basis", "stipend_amount",
            )
        }  # fmt: skip
    requirements = {
        key: row[key] for key in ("min_age", "max_age", "min_education_level", "education_track")
    }
    return ProgrammeOut(
        programme_id=row["programme_id"], institution_id=row["institution_id"],
        institution_name=row["institution_name"], kind=row["kind"], title=row["title"],
        vocation=row["vocation"], kbji_code=row["kbji_code"],
        competency_scheme=row["competency_scheme"], skills=list(row["skills"]),
        hours=row["hours"], capacity=row["capacity"], schedule=row["schedule"],
        requirements=requirements, apprenticeship=apprenticeship, opened_at=row["opened_at"],
    )  # fmt: skip


def session_out(row: asyncpg.Record) -> SessionOut:
    return SessionOut(
        session_id=row["session_id"], programme_id=row["programme_id"],
        institution_id=row["institution_id"], number=row["number"],
        starts_on=row["starts_on"], ends_on=row["ends_on"], capacity=row["capacity"],
        location=row["location"], enrolled=row["enrolled"], waitlisted=row["waitlisted"],
        completed=row["completed"], seats_free=max(row["capacity"] - row["enrolled"], 0),
        opened_at=row["opened_at"],
    )  # fmt: skip


def enrollment_out(
    row: asyncpg.Record,
    *,
    position: int | None = None,
    attendance: asyncpg.Record | None = None,
) -> EnrollmentOut:
    summary: dict[str, Any] = dict(attendance) if attendance else {}
    if summary:
        summary["rate"] = (
            round(summary["present"] / summary["recorded"], 4) if summary["recorded"] else None
        )
    return EnrollmentOut(
        enrollment_id=row["enrollment_id"], session_id=row["session_id"],
        programme_id=row["programme_id"], institution_id=row["institution_id"],
        resident_id=row["resident_id"], state=row["state"], waitlist_position=position,
        starts_on=row["starts_on"], ends_on=row["ends_on"], requested_at=row["requested_at"],
        enrolled_at=row["enrolled_at"], ended_at=row["ended_at"], end_reason=row["end_reason"],
        dropout_reason=row["dropout_reason"], passed=row["passed"], outcome=row["outcome"],
        certified_skills=row["certified_skills"], certificate_number=row["certificate_number"],
        letter_number=row["letter_number"], attendance=summary,
    )  # fmt: skip
