"""What the HTTP API reads and returns. Inputs forbid unknown fields: a field a caller may not
set is refused, not silently ignored."""

from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from kerjalokal.events.training import DropoutReason

NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold a NUL character
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NO_NUL)
]
Note = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000, pattern=NO_NUL)
]
Skill = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=2, max_length=80)
]
Kbji = Annotated[str, StringConstraints(pattern=r"^\d{4}(\.\d{2})?$")]
DesaKode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
]
LicenceStatus = Literal["licensed", "accredited", "pending", "suspended", "revoked"]
Accreditation = Literal["A", "B", "C"]
StipendBasis = Literal["ump_prorata", "umk_prorata", "fixed", "transport_only"]
AttendanceStatus = Literal["hadir", "izin", "sakit", "alpa"]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AddressIn(Input):
    street: Text = Field(description="Alamat lembaga / the institution's street address")
    desa_kode: DesaKode = Field(examples=["32.16.05.2006"])


class InstitutionIn(Input):
    type: Text = Field(description="Kode jenis lembaga, see GET /institution-types")
    name: Text
    licence_number: Text | None = Field(default=None, description="Nomor izin / accreditation")
    licence_status: LicenceStatus
    accreditation: Accreditation | None = None
    licence_valid_until: date | None = None
    address: AddressIn


class InstitutionUpdateIn(Input):
    """Only the fields given change."""

    name: Text | None = None
    licence_number: Text | None = None
    licence_status: LicenceStatus | None = None
    accreditation: Accreditation | None = None
    licence_valid_until: date | None = None


class InstitutionOut(BaseModel):
    institution_id: UUID
    type: str
    type_name: str
    name: str
    licence_number: str | None
    licence_status: str
    accreditation: str | None
    licence_valid_until: date | None
    street: str
    desa_kode: str
    kecamatan_kode: str
    registered_at: datetime
    token: str | None = Field(
        default=None,
        description="Shown once, when issued: the institution's API key (`kl_training_...`),"
        " sent as `Authorization: Bearer <key>`",
    )
    key_id: str | None = Field(default=None, description="The key's public id (GET /api-keys)")
    key_expires_at: datetime | None = None


class InstitutionTypeOut(BaseModel):
    kode: str
    name: str
    description: str
    source: str


class RequirementsIn(Input):
    min_age: int | None = Field(default=None, ge=15, le=70)
    max_age: int | None = Field(default=None, ge=15, le=70)
    min_education_level: int | None = Field(default=None, ge=1, le=10)
    education_track: Literal["umum", "kejuruan"] | None = None

    @model_validator(mode="after")
    def _ages(self) -> "RequirementsIn":
        if self.min_age is not None and self.max_age is not None and self.max_age < self.min_age:
            raise ValueError("usia maksimal di bawah usia minimal / max_age below min_age")
        return self


class MentorIn(Input):
    name: Text
    position: Text | None = None


class ApprenticeshipIn(Input):
    host_company_id: UUID = Field(description="A partner company verified by the vacancies service")
    agreement_number: Text = Field(description="Nomor perjanjian pemagangan")
    agreement_signed_on: date
    mentor: MentorIn
    stipend_basis: StipendBasis
    stipend_amount: int | None = Field(default=None, ge=0, description="Rupiah per month")


class ProgrammeIn(Input):
    institution_id: UUID | None = Field(
        default=None, description="Required for operators; an institution opens its own"
    )
    kind: Literal["training", "apprenticeship"] = "training"
    title: Text
    vocation: Text = Field(description="Kejuruan, for example Pengelasan")
    kbji_code: Kbji | None = None
    competency_scheme: Text | None = Field(default=None, examples=["SKKNI Pengelasan SMAW"])
    skills: list[Skill] = Field(default=[], max_length=20)
    hours: int = Field(ge=1, le=5000)
    capacity: int = Field(default=20, ge=1, le=500)
    schedule: Text | None = Field(default=None, examples=["Senin-Jumat 08.00-16.00"])
    requirements: RequirementsIn = RequirementsIn()
    apprenticeship: ApprenticeshipIn | None = None

    @model_validator(mode="after")
    def _kind(self) -> "ProgrammeIn":
        if self.kind == "apprenticeship" and self.apprenticeship is None:
            raise ValueError("pemagangan butuh data perusahaan / apprenticeship details required")
        if self.kind == "training" and self.apprenticeship is not None:
            raise ValueError("data pemagangan hanya untuk pemagangan / only for apprenticeships")
        return self


class ProgrammeOut(BaseModel):
    programme_id: UUID
    institution_id: UUID
    institution_name: str
    kind: str
    title: str
    vocation: str
    kbji_code: str | None
    competency_scheme: str | None
    skills: list[str]
    hours: int
    capacity: int
    schedule: str | None
    requirements: dict[str, object]
    apprenticeship: dict[str, object] | None
    opened_at: datetime


class SessionIn(Input):
    starts_on: date
    ends_on: date
    capacity: int | None = Field(default=None, ge=1, le=500, description="Default: programme's")
    location: Text | None = None

    @model_validator(mode="after")
    def _period(self) -> "SessionIn":
        if self.ends_on < self.starts_on:
            raise ValueError("tanggal selesai sebelum mulai / ends_on before starts_on")
        return self


class SessionOut(BaseModel):
    session_id: UUID
    programme_id: UUID
    institution_id: UUID
    number: int
    starts_on: date
    ends_on: date
    capacity: int
    location: str | None
    enrolled: int
    waitlisted: int
    completed: int
    seats_free: int
    opened_at: datetime


class EnrollmentIn(Input):
    resident_id: UUID


class BulkEnrollmentIn(Input):
    resident_ids: list[UUID] = Field(min_length=1, max_length=200)


class EnrollmentOut(BaseModel):
    enrollment_id: UUID
    session_id: UUID
    programme_id: UUID
    institution_id: UUID
    resident_id: UUID
    state: str
    waitlist_position: int | None = None
    starts_on: date
    ends_on: date
    requested_at: datetime
    enrolled_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    dropout_reason: str | None
    passed: bool | None
    outcome: str | None
    certified_skills: list[dict[str, object]]
    certificate_number: str | None
    letter_number: str | None
    attendance: dict[str, object] = {}


class BulkItemOut(BaseModel):
    resident_id: UUID
    result: Literal["enrolled", "waitlisted", "already", "refused"]
    enrollment_id: UUID | None = None
    field: str | None = None
    reason: str | None = None


class BulkEnrollmentOut(BaseModel):
    items: list[BulkItemOut]
    enrolled: int
    waitlisted: int
    already: int
    refused: int


class WithdrawIn(Input):
    note: Note | None = None


class DropOutIn(Input):
    reason: DropoutReason
    note: Note | None = None


class AttendanceRecordIn(Input):
    day: date
    status: AttendanceStatus


class AttendanceIn(Input):
    records: list[AttendanceRecordIn] = Field(min_length=1, max_length=400)


class CertifiedSkillIn(Input):
    skill: Skill
    scheme: Text | None = None
    certificate_number: Text | None = None


class CompletionIn(Input):
    passed: bool
    certified_skills: list[CertifiedSkillIn] = Field(default=[], max_length=20)
    certificate_number: Text | None = Field(
        default=None, description="The apprenticeship certificate (pemagangan) when passed"
    )


class ReadinessIn(Input):
    resident_id: UUID
    vocation: Text = Field(description="Kejuruan the seeker wants to be trained in")
    kbji_code: Kbji | None = None


class BulkReadinessIn(Input):
    items: list[ReadinessIn] = Field(min_length=1, max_length=500)


class ReadinessOut(BaseModel):
    resident_id: UUID
    vocation: str
    kbji_code: str | None
    state: str
    reason: str
    assessed_at: datetime
    changed_at: datetime


class ExportOut(BaseModel):
    service: Literal["training"]
    resident_id: UUID
    exported_at: datetime
    data: dict[str, Any]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
