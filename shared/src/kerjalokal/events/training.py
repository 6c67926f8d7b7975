"""Events published by training (the ones other services already consume)."""

from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict

from .base import Event, example

_IDS = {
    "enrollment_id": "3e2d1c0b-9a8f-4e7d-6c5b-4a3f2e1d0c9b",
    "resident_id": "7b0f6a6e-2f0e-4d7e-9a57-2f1c1f0b9a01",
    "session_id": "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d",
}


class CertifiedSkill(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    skill: str
    scheme: str | None = None
    certificate_number: str | None = None


class ResidentEnrolledV1(Event):
    TYPE: ClassVar[str] = "training.resident_enrolled.v1"
    SUBJECT: ClassVar[str] = "enrollment_id"
    model_config = example(
        _IDS
        | {
            "programme_id": "6f5e4d3c-2b1a-4c9d-8e7f-6a5b4c3d2e1f",
            "institution_id": "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
            "vocation": "Pengelasan",
            "enrolled_at": "2026-11-10T08:00:00+07:00",
        }
    )

    enrollment_id: UUID
    resident_id: UUID
    session_id: UUID
    programme_id: UUID
    institution_id: UUID
    vocation: str
    enrolled_at: AwareDatetime


class EnrollmentWithdrawnV1(Event):
    TYPE: ClassVar[str] = "training.enrollment_withdrawn.v1"
    SUBJECT: ClassVar[str] = "enrollment_id"
    model_config = example(_IDS | {"reason": "hired", "withdrawn_at": "2026-11-20T08:00:00+07:00"})

    enrollment_id: UUID
    resident_id: UUID
    session_id: UUID
    reason: str
    withdrawn_at: AwareDatetime


class TrainingCompletedV1(Event):
    TYPE: ClassVar[str] = "training.training_completed.v1"
    SUBJECT: ClassVar[str] = "enrollment_id"
    model_config = example(
        _IDS
        | {
            "passed": True,
            "certified_skills": [
                {
                    "skill": "pengelasan",
                    "scheme": "SKKNI Pengelasan SMAW",
                    "certificate_number": "BNSP-LSP-2026-000123",
                }
            ],
            "completed_at": "2026-11-26T15:00:00+07:00",
        }
    )

    enrollment_id: UUID
    resident_id: UUID
    session_id: UUID
    passed: bool
    certified_skills: tuple[CertifiedSkill, ...] = ()
    completed_at: AwareDatetime
