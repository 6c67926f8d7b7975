"""Events published by training: programmes and their sessions (angkatan), the ready-for-training
pool, enrollments with their waiting list, completions with certified skills, apprenticeships.

None carries personal data: residents travel by their random id; institutions and host companies
are organisations. Free-text reasons written by people stay in the service; events carry codes.
The first three are consumed by the registry (and the vacancies service): they only gain optional
fields."""

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict

from . import base
from .base import Event, example

_IDS = {
    "enrollment_id": "3e2d1c0b-9a8f-4e7d-6c5b-4a3f2e1d0c9b",
    "resident_id": "7b0f6a6e-2f0e-4d7e-9a57-2f1c1f0b9a01",
    "session_id": "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d",
}
PROGRAMME_ID = "6f5e4d3c-2b1a-4c9d-8e7f-6a5b4c3d2e1f"
INSTITUTION_ID = "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f"
COMPANY_ID = "0c7e2a9d-1b3c-4d5e-8f90-a1b2c3d4e5f6"
ProgrammeKind = Literal["training", "apprenticeship"]
WithdrawalReason = Literal[
    "hired", "withdrawn", "dropped_out", "no_longer_eligible", "session_cancelled"
]
DropoutReason = Literal["work", "health", "family", "distance", "absence", "conduct", "other"]
ApprenticeshipOutcome = Literal["certified", "attended", "hired"]
ReadinessReason = Literal[
    "assessed", "reassessed", "enrolled", "returned", "completed", "hired", "not_eligible",
    "removed",
]  # fmt: skip


class CertifiedSkill(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    skill: str
    scheme: str | None = None
    certificate_number: str | None = None


class ProgrammeOpenedV1(Event):
    """A training institution opened a programme: vocational training (pelatihan berbasis
    kompetensi) or an apprenticeship (pemagangan) hosted by a partner company."""

    TYPE: ClassVar[str] = "training.programme_opened.v1"
    SUBJECT: ClassVar[str] = "programme_id"
    model_config = example(
        {
            "programme_id": PROGRAMME_ID,
            "institution_id": INSTITUTION_ID,
            "institution_type": "blk_uptd",
            "kind": "training",
            "title": "Pengelasan SMAW Angkatan Reguler",
            "vocation": "Pengelasan",
            "kbji_code": "7212.01",
            "competency_scheme": "SKKNI Pengelasan SMAW (Kepmenaker 2016)",
            "skills": ["pengelasan"],
            "hours": 160,
            "capacity": 20,
            "host_company_id": None,
            "opened_at": "2026-10-01T08:00:00+07:00",
        }
    )

    programme_id: UUID
    institution_id: UUID
    institution_type: str
    kind: ProgrammeKind
    title: str
    vocation: str
    kbji_code: str | None = None
    competency_scheme: str | None = None
    skills: tuple[str, ...] = ()
    hours: int
    capacity: int
    host_company_id: UUID | None = None
    opened_at: AwareDatetime


class SessionOpenedV1(Event):
    """A numbered session (angkatan) of a programme opened for enrollment."""

    TYPE: ClassVar[str] = "training.session_opened.v1"
    SUBJECT: ClassVar[str] = "session_id"
    model_config = example(
        {
            "session_id": _IDS["session_id"],
            "programme_id": PROGRAMME_ID,
            "institution_id": INSTITUTION_ID,
            "kind": "training",
            "number": 3,
            "vocation": "Pengelasan",
            "kbji_code": "7212.01",
            "starts_on": "2026-11-10",
            "ends_on": "2026-11-26",
            "capacity": 20,
            "opened_at": "2026-10-20T08:00:00+07:00",
        }
    )

    session_id: UUID
    programme_id: UUID
    institution_id: UUID
    kind: ProgrammeKind
    number: int
    vocation: str
    kbji_code: str | None = None
    starts_on: date
    ends_on: date
    capacity: int
    opened_at: AwareDatetime


class ReadinessAssessedV1(Event):
    """A seeker entered (`ready` true) or left (`ready` false) the pool of seekers the office
    assessed as needing training, with the vocation they want; `reason` says why."""

    TYPE: ClassVar[str] = "training.readiness_assessed.v1"
    SUBJECT: ClassVar[str] = "resident_id"
    model_config = example(
        {
            "resident_id": _IDS["resident_id"],
            "ready": True,
            "vocation": "Pengelasan",
            "kbji_code": "7212.01",
            "reason": "assessed",
            "changed_at": "2026-10-25T09:00:00+07:00",
        }
    )

    resident_id: UUID
    ready: bool
    vocation: str
    kbji_code: str | None = None
    reason: ReadinessReason
    changed_at: AwareDatetime


class ResidentWaitlistedV1(Event):
    """The session was full: the seeker waits in line (`position`, 1 is next); a freed seat
    promotes the first in line, which is then published as `resident_enrolled`."""

    TYPE: ClassVar[str] = "training.resident_waitlisted.v1"
    SUBJECT: ClassVar[str] = "enrollment_id"
    model_config = example(
        _IDS
        | {
            "programme_id": PROGRAMME_ID,
            "institution_id": INSTITUTION_ID,
            "position": 2,
            "waitlisted_at": "2026-11-08T08:00:00+07:00",
        }
    )

    enrollment_id: UUID
    resident_id: UUID
    session_id: UUID
    programme_id: UUID
    institution_id: UUID
    position: int
    waitlisted_at: AwareDatetime


class ResidentEnrolledV1(Event):
    TYPE: ClassVar[str] = "training.resident_enrolled.v1"
    SUBJECT: ClassVar[str] = "enrollment_id"
    model_config = example(
        _IDS
        | {
            "programme_id": PROGRAMME_ID,
            "institution_id": INSTITUTION_ID,
            "vocation": "Pengelasan",
            "enrolled_at": "2026-11-10T08:00:00+07:00",
            "kind": "training",
            "kbji_code": "7212.01",
            "starts_on": "2026-11-10",
            "ends_on": "2026-11-26",
            "from_waitlist": False,
        }
    )

    enrollment_id: UUID
    resident_id: UUID
    session_id: UUID
    programme_id: UUID
    institution_id: UUID
    vocation: str
    enrolled_at: AwareDatetime
    kind: ProgrammeKind | None = None
    kbji_code: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    from_waitlist: bool = False


class EnrollmentWithdrawnV1(Event):
    """An enrollment (or a place on the waiting list) ended before completion: `reason` is one
    of hired, withdrawn, dropped_out, no_longer_eligible, session_cancelled."""

    TYPE: ClassVar[str] = "training.enrollment_withdrawn.v1"
    SUBJECT: ClassVar[str] = "enrollment_id"
    model_config = example(
        _IDS
        | {
            "reason": "hired",
            "withdrawn_at": "2026-11-20T08:00:00+07:00",
            "programme_id": PROGRAMME_ID,
            "institution_id": INSTITUTION_ID,
            "was_waitlisted": False,
            "dropout_reason": None,
        }
    )

    enrollment_id: UUID
    resident_id: UUID
    session_id: UUID
    reason: str
    withdrawn_at: AwareDatetime
    programme_id: UUID | None = None
    institution_id: UUID | None = None
    was_waitlisted: bool = False
    dropout_reason: DropoutReason | None = None


class TrainingCompletedV1(Event):
    """An enrollment completed, passed or not, with the competencies certified (for a passed
    training, each with its certificate number). Also published for an apprenticeship, beside
    `apprenticeship_completed`."""

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
            "programme_id": PROGRAMME_ID,
            "institution_id": INSTITUTION_ID,
            "kind": "training",
            "vocation": "Pengelasan",
            "kbji_code": "7212.01",
            "attendance_rate": 0.94,
        }
    )

    enrollment_id: UUID
    resident_id: UUID
    session_id: UUID
    passed: bool
    certified_skills: tuple[CertifiedSkill, ...] = ()
    completed_at: AwareDatetime
    programme_id: UUID | None = None
    institution_id: UUID | None = None
    kind: ProgrammeKind | None = None
    vocation: str | None = None
    kbji_code: str | None = None
    attendance_rate: float | None = None


class ApprenticeshipStartedV1(Event):
    """A seeker started an apprenticeship (pemagangan) at a partner company: not a placement."""

    TYPE: ClassVar[str] = "training.apprenticeship_started.v1"
    SUBJECT: ClassVar[str] = "enrollment_id"
    model_config = example(
        _IDS
        | {
            "programme_id": PROGRAMME_ID,
            "institution_id": INSTITUTION_ID,
            "company_id": COMPANY_ID,
            "agreement_number": "560/PKS-MAG/014/Disnaker/2026",
            "vocation": "Operator Produksi",
            "kbji_code": "8189.00",
            "starts_on": "2026-11-10",
            "ends_on": "2027-02-09",
            "stipend_basis": "ump_prorata",
            "started_at": "2026-11-10T08:00:00+07:00",
        }
    )

    enrollment_id: UUID
    resident_id: UUID
    session_id: UUID
    programme_id: UUID
    institution_id: UUID
    company_id: UUID
    agreement_number: str
    vocation: str
    kbji_code: str | None = None
    starts_on: date
    ends_on: date
    stipend_basis: str
    started_at: AwareDatetime


class ApprenticeshipCompletedV1(Event):
    """An apprenticeship ended: `certified` (a certificate), `attended` (not completed or not
    passed: a letter of attendance, surat keterangan) or `hired` by the host company."""

    TYPE: ClassVar[str] = "training.apprenticeship_completed.v1"
    SUBJECT: ClassVar[str] = "enrollment_id"
    model_config = example(
        _IDS
        | {
            "programme_id": PROGRAMME_ID,
            "institution_id": INSTITUTION_ID,
            "company_id": COMPANY_ID,
            "outcome": "certified",
            "certificate_number": "MAG-2026-000042",
            "letter_number": None,
            "certified_skills": [{"skill": "operator produksi", "scheme": "SKKNI Operator"}],
            "completed_at": "2027-02-09T15:00:00+07:00",
        }
    )

    enrollment_id: UUID
    resident_id: UUID
    session_id: UUID
    programme_id: UUID
    institution_id: UUID
    company_id: UUID
    outcome: ApprenticeshipOutcome
    certificate_number: str | None = None
    letter_number: str | None = None
    certified_skills: tuple[CertifiedSkill, ...] = ()
    completed_at: AwareDatetime


class ResidentDataErasedV1(base.ResidentDataErased):
    """Training finished erasing what it held about a resident after `registry.resident_erased` (UU
    27/2022): enrollments keep only the resident's random id for the figures, free-text notes
    about the resident are removed. `erasure_event_id` is the id of that event; the console
    shows an erasure as complete once every service has confirmed it."""

    TYPE: ClassVar[str] = "training.resident_data_erased.v1"
