"""Events published by vacancies: partner companies, their commitments, vacancies, matches,
applications and hires. Companies are businesses, not persons: their name, NIB and industrial
estate are public. The company's HR contact (a person) never leaves the service."""

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict

from . import base
from .base import Event, example

COMPANY_ID = "0c7e2a9d-1b3c-4d5e-8f90-a1b2c3d4e5f6"
VACANCY_ID = "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d"
RESIDENT_ID = "7b0f6a6e-2f0e-4d7e-9a57-2f1c1f0b9a01"
ContractType = Literal["pkwt", "pkwtt", "magang"]
VacancyEnd = Literal["closed", "filled", "withdrawn", "expired"]
ApplicationStatus = Literal[
    "submitted", "screening", "interview", "offered", "hired",
    "refused", "withdrawn", "no_show", "cancelled", "obsolete",
]  # fmt: skip


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class CompanyRegisteredV1(Event):
    """A company joined (registered by an operator or by its own HR); not yet verified."""

    TYPE: ClassVar[str] = "vacancies.company_registered.v1"
    SUBJECT: ClassVar[str] = "company_id"
    model_config = example(
        {
            "company_id": COMPANY_ID,
            "company_name": "PT Contoh Manufaktur Indonesia",
            "kbli_code": "29100",
            "kbli_version": "2020",
            "industrial_estate": "Kawasan Industri Jababeka",
            "desa_kode": "32.16.04.2001",
            "kecamatan_kode": "32.16.04",
            "registered_at": "2026-10-30T09:00:00+07:00",
        }
    )

    company_id: UUID
    company_name: str
    kbli_code: str
    kbli_version: str
    industrial_estate: str | None = None
    desa_kode: str
    kecamatan_kode: str
    registered_at: AwareDatetime


class CompanyVerifiedV1(Event):
    """An operator checked a partner company (NIB, KBLI); it may now publish vacancies."""

    TYPE: ClassVar[str] = "vacancies.company_verified.v1"
    SUBJECT: ClassVar[str] = "company_id"
    model_config = example(
        {
            "company_id": COMPANY_ID,
            "company_name": "PT Contoh Manufaktur Indonesia",
            "nib": "9120001234567",
            "kbli_code": "29100",
            "kbli_version": "2020",
            "industrial_estate": "Kawasan Industri Jababeka",
            "desa_kode": "32.16.04.2001",
            "kecamatan_kode": "32.16.04",
            "verified_at": "2026-11-01T09:00:00+07:00",
        }
    )

    company_id: UUID
    company_name: str
    nib: str
    kbli_code: str
    kbli_version: str
    industrial_estate: str | None = None
    desa_kode: str
    kecamatan_kode: str
    verified_at: AwareDatetime


class PartnershipSignedV1(Event):
    """A company's MoU with the office: its local-hire commitment, its period and its status.
    Published when signed and again whenever it changes (suspended, ended, amended): the one
    with the latest `recorded_at` holds."""

    TYPE: ClassVar[str] = "vacancies.partnership_signed.v1"
    SUBJECT: ClassVar[str] = "partnership_id"
    model_config = example(
        {
            "partnership_id": "4b3a2c1d-0e9f-4a8b-7c6d-5e4f3a2b1c0d",
            "company_id": COMPANY_ID,
            "mou_number": "560/MoU-001/Disnaker/2026",
            "local_share_percent": 60,
            "local_hires_committed": 120,
            "starts_on": "2026-10-20",
            "ends_on": "2027-10-19",
            "status": "active",
            "recorded_at": "2026-10-20T10:00:00+07:00",
        }
    )

    partnership_id: UUID
    company_id: UUID
    mou_number: str
    local_share_percent: int | None = None
    local_hires_committed: int | None = None
    starts_on: date
    ends_on: date
    status: Literal["active", "suspended", "ended"]
    recorded_at: AwareDatetime


class Wage(_Frozen):
    minimum: int | None = None
    maximum: int | None = None
    period: Literal["bulan", "minggu", "hari", "jam"] = "bulan"
    currency: Literal["IDR"] = "IDR"


class EducationBand(_Frozen):
    """Education levels as in the registry (reference data pendidikan), both ends included."""

    minimum: int
    maximum: int | None = None
    track: Literal["umum", "kejuruan"] | None = None
    majors: tuple[str, ...] = ()


_VACANCY = {
    "vacancy_id": VACANCY_ID,
    "company_id": COMPANY_ID,
    "company_name": "PT Contoh Manufaktur Indonesia",
    "company_verified": True,
    "industrial_estate": "Kawasan Industri Jababeka",
    "title": "Operator Las (Welder)",
    "description": "Mengelas komponen rangka sesuai gambar kerja.",
    "kbji_code": "7212.01",
    "openings": 10,
    "published_at": "2026-11-05T09:00:00+07:00",
    "valid_until": "2026-12-05",
    "age_min": 18,
    "age_max": 35,
    "age_reason": "Program pemagangan berbatas usia",
    "sex": None,
    "education": {"minimum": 5, "maximum": None, "track": "kejuruan", "majors": []},
    "skills": ["pengelasan"],
    "experience_years": 0,
    "wage": {"minimum": 5558515, "maximum": 6000000, "period": "bulan", "currency": "IDR"},
    "work_desa_kode": "32.16.04.2001",
    "work_kecamatan_kode": "32.16.04",
    "work_address": "Kawasan Industri Jababeka Blok A",
    "contract_type": "pkwt",
    "contract_months": 12,
    "shifts": ["pagi", "malam"],
    "local_share_percent": 60,
    "outsourcing": False,
    "disability_friendly": True,
    "how_to_apply": "Daftar melalui petugas Disnaker atau admin desa.",
}


class Vacancy(BaseModel):
    """The public face of a vacancy, the same in `vacancy_published` and `vacancy_updated`."""

    vacancy_id: UUID
    company_id: UUID
    company_name: str
    company_verified: bool
    industrial_estate: str | None = None
    title: str
    description: str
    kbji_code: str
    openings: int
    published_at: AwareDatetime
    valid_until: date
    age_min: int | None = None
    age_max: int | None = None
    age_reason: str | None = None
    sex: Literal["L", "P"] | None = None
    education: EducationBand
    skills: tuple[str, ...] = ()
    experience_years: int = 0
    wage: Wage
    work_desa_kode: str
    work_kecamatan_kode: str
    work_address: str
    contract_type: ContractType
    contract_months: int | None = None
    shifts: tuple[str, ...] = ()
    local_share_percent: int | None = None
    outsourcing: bool
    disability_friendly: bool
    how_to_apply: str


class VacancyPublishedV1(Vacancy, Event):
    """An operator approved a vacancy: it is open to applications until `valid_until`. Carries
    everything a job board, a feed or a matcher needs (Perpres 57/2023 and the Bekasi fields)."""

    TYPE: ClassVar[str] = "vacancies.vacancy_published.v1"
    SUBJECT: ClassVar[str] = "vacancy_id"
    model_config = example(_VACANCY)


class VacancyUpdatedV1(Vacancy, Event):
    """A published vacancy changed (openings left after a hire, validity extended, text
    corrected after a new review): the whole public vacancy again, as in `vacancy_published`,
    with the names of the changed fields. Job boards replace what they show."""

    TYPE: ClassVar[str] = "vacancies.vacancy_updated.v1"
    SUBJECT: ClassVar[str] = "vacancy_id"
    model_config = example(
        _VACANCY
        | {
            "openings": 9,
            "version": 2,
            "changed": ["openings"],
            "updated_at": "2026-11-12T10:00:00+07:00",
        }
    )

    version: int
    changed: tuple[str, ...]
    updated_at: AwareDatetime


class VacancyClosedV1(Event):
    """A published vacancy stopped taking applications: closed by the company, filled by its
    last hire, withdrawn, or expired at the end of its validity. It leaves every job board."""

    TYPE: ClassVar[str] = "vacancies.vacancy_closed.v1"
    SUBJECT: ClassVar[str] = "vacancy_id"
    model_config = example(
        {
            "vacancy_id": VACANCY_ID,
            "company_id": COMPANY_ID,
            "reason": "filled",
            "hires": 10,
            "closed_at": "2026-11-28T16:00:00+07:00",
        }
    )

    vacancy_id: UUID
    company_id: UUID
    reason: VacancyEnd
    hires: int
    closed_at: AwareDatetime


class Candidate(_Frozen):
    resident_id: UUID
    score: float
    certified: bool
    reasons: tuple[str, ...] = ()


class CandidatesMatchedV1(Event):
    """Eligible seekers ranked for one open vacancy, best first (trained and certified first).
    `trigger` says what caused the match: the vacancy's publication, or a seeker whose profile,
    certified skills or status (verified, active again) changed, announced only for vacancies
    they newly qualify for (then usually one candidate). `eligible` counts every eligible seeker;
    `candidates` holds at most the service's cap (10,000 by default)."""

    TYPE: ClassVar[str] = "vacancies.candidates_matched.v1"
    SUBJECT: ClassVar[str] = "vacancy_id"
    model_config = example(
        {
            "match_id": "8e7d6c5b-4a3f-4e2d-9c1b-0a9f8e7d6c5b",
            "vacancy_id": VACANCY_ID,
            "company_id": COMPANY_ID,
            "trigger": "vacancy_published",
            "matched_at": "2026-11-05T09:00:02+07:00",
            "eligible": 1834,
            "candidates": [
                {
                    "resident_id": RESIDENT_ID,
                    "score": 0.92,
                    "certified": True,
                    "reasons": ["sertifikat:pengelasan", "pendidikan:kejuruan", "kecamatan_sama"],
                }
            ],
        }
    )

    match_id: UUID
    vacancy_id: UUID
    company_id: UUID
    trigger: Literal["vacancy_published", "profile_updated", "training_completed", "status_changed"]
    matched_at: AwareDatetime
    eligible: int
    candidates: tuple[Candidate, ...]


class ApplicationSubmittedV1(Event):
    """A seeker applied (through an operator or their village admin) or an operator referred
    them to a vacancy. One application per seeker per vacancy."""

    TYPE: ClassVar[str] = "vacancies.application_submitted.v1"
    SUBJECT: ClassVar[str] = "application_id"
    model_config = example(
        {
            "application_id": "2f1e0d9c-8b7a-4c6d-5e4f-3a2b1c0d9e8f",
            "vacancy_id": VACANCY_ID,
            "company_id": COMPANY_ID,
            "resident_id": RESIDENT_ID,
            "channel": "referral",
            "submitted_by": "operator",
            "submitted_at": "2026-11-06T10:00:00+07:00",
        }
    )

    application_id: UUID
    vacancy_id: UUID
    company_id: UUID
    resident_id: UUID
    channel: Literal["application", "referral"]
    submitted_by: Literal["operator", "village_admin", "resident"]
    submitted_at: AwareDatetime


class ApplicationStatusChangedV1(Event):
    """An application moved. `reason` is set only when it may be shown to the seeker."""

    TYPE: ClassVar[str] = "vacancies.application_status_changed.v1"
    SUBJECT: ClassVar[str] = "application_id"
    model_config = example(
        {
            "application_id": "2f1e0d9c-8b7a-4c6d-5e4f-3a2b1c0d9e8f",
            "vacancy_id": VACANCY_ID,
            "company_id": COMPANY_ID,
            "resident_id": RESIDENT_ID,
            "channel": "referral",
            "previous_status": "screening",
            "status": "interview",
            "reason": None,
            "changed_at": "2026-11-10T13:00:00+07:00",
        }
    )

    application_id: UUID
    vacancy_id: UUID
    company_id: UUID
    resident_id: UUID
    channel: Literal["application", "referral"]
    previous_status: ApplicationStatus | None = None
    status: ApplicationStatus
    reason: str | None = None
    changed_at: AwareDatetime


class ResidentHiredV1(Event):
    """A seeker was hired, in the system or through a company's placement report."""

    TYPE: ClassVar[str] = "vacancies.resident_hired.v1"
    SUBJECT: ClassVar[str] = "hire_id"
    model_config = example(
        {
            "hire_id": "5d1c3f0e-8a4b-4c2d-9e1f-0a1b2c3d4e5f",
            "resident_id": RESIDENT_ID,
            "company_id": COMPANY_ID,
            "vacancy_id": VACANCY_ID,
            "start_date": "2026-12-01",
            "contract_type": "pkwt",
            "source": "application",
            "is_local": True,
            "hired_at": "2026-11-25T14:00:00+07:00",
        }
    )

    hire_id: UUID
    resident_id: UUID
    company_id: UUID
    vacancy_id: UUID | None = None
    start_date: date
    contract_type: ContractType
    source: Literal["application", "referral", "placement_report"]
    is_local: bool
    hired_at: AwareDatetime


class ResidentDataErasedV1(base.ResidentDataErased):
    """Vacancies finished erasing what it held about a resident after `registry.resident_erased` (UU
    27/2022): its matching projection and the NIK lookup hash are deleted, applications and
    hires keep only the resident's random id for the figures. `erasure_event_id` is the id of
    that event; the console shows an erasure as complete once every service has confirmed it."""

    TYPE: ClassVar[str] = "vacancies.resident_data_erased.v1"
