"""What the HTTP API reads and returns. Inputs forbid unknown fields: a field a caller may not set
(`status`, `verified`, `hires`) is refused with a 422 that names it, never silently ignored."""

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kerjalokal.events.vacancies import ApplicationStatus, ContractType

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Word = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=2, max_length=80)
]
Kbji = Annotated[str, StringConstraints(pattern=r"^\d{4}(\.\d{2})?$")]
DesaKode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 ()-]{6,19}$")
]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.\w+$")
]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HrContactIn(Input):
    name: Text = Field(description="The HR officer the office deals with (a person)")
    phone: Phone
    email: Email | None = None


class CompanyAddressIn(Input):
    street: Text = Field(description="Street and plot in the industrial estate")
    desa_kode: DesaKode = Field(examples=["32.16.04.2001"])


class CompanyIn(Input):
    name: Text = Field(examples=["PT Contoh Manufaktur Indonesia"])
    nib: Annotated[str, StringConstraints(pattern=r"^\d{13}$")] = Field(
        description="Nomor Induk Berusaha (OSS), 13 digits"
    )
    kbli_code: Annotated[str, StringConstraints(pattern=r"^\d{5}$")] = Field(examples=["29100"])
    kbli_version: Literal["2020", "2025"]
    industrial_estate: Text | None = Field(default=None, examples=["Kawasan Industri Jababeka"])
    address: CompanyAddressIn
    hr_contact: HrContactIn


class PartnershipIn(Input):
    mou_number: Text = Field(examples=["560/MoU-001/Disnaker/2026"])
    local_share_percent: int | None = Field(default=None, ge=0, le=100)
    local_hires_committed: int | None = Field(default=None, ge=1, le=100_000)
    starts_on: date
    ends_on: date
    status: Literal["active", "suspended", "ended"] = "active"


class PartnershipChangeIn(Input):
    """Only the fields given change; the MoU is published again."""

    local_share_percent: int | None = Field(default=None, ge=0, le=100)
    local_hires_committed: int | None = Field(default=None, ge=1, le=100_000)
    ends_on: date | None = None
    status: Literal["active", "suspended", "ended"] | None = None


class EducationIn(Input):
    minimum: int = Field(ge=1, le=10, description="Dukcapil level 1-10 (5 = SLTA: SMA or SMK)")
    maximum: int | None = Field(default=None, ge=1, le=10)
    track: Literal["umum", "kejuruan"] | None = None
    majors: list[Text] = Field(default=[], max_length=20)


class WageIn(Input):
    minimum: int | None = Field(default=None, ge=0, le=1_000_000_000)
    maximum: int | None = Field(default=None, ge=0, le=1_000_000_000)
    period: Literal["bulan", "minggu", "hari", "jam"] = "bulan"


class VacancyIn(Input):
    company_id: UUID | None = Field(
        default=None, description="Required for operators; an HR desk posts for its own company"
    )
    title: Text
    description: LongText
    kbji_code: Kbji = Field(examples=["7212.01"])
    openings: int = Field(ge=1, le=10_000)
    valid_until: date
    age_min: int | None = Field(default=None, ge=15, le=70)
    age_max: int | None = Field(default=None, ge=15, le=70)
    age_reason: Text | None = Field(
        default=None, description="The objective reason of an age limit"
    )
    sex: Literal["L", "P"] | None = None
    education: EducationIn
    skills: list[Word] = Field(default=[], max_length=20)
    experience_years: int = Field(default=0, ge=0, le=40)
    wage: WageIn = WageIn()
    work_desa_kode: DesaKode
    work_address: Text
    contract_type: ContractType
    contract_months: int | None = Field(default=None, ge=1, le=120)
    shifts: list[Text] = Field(default=[], max_length=5)
    local_share_percent: int | None = Field(default=None, ge=0, le=100)
    outsourcing: bool = False
    disability_friendly: bool = False
    how_to_apply: LongText = "Melalui petugas Disnaker atau admin desa. Tanpa biaya apa pun."


class VacancyPatchIn(Input):
    """Only the fields given change. A published vacancy changes only openings and validity."""

    title: Text | None = None
    description: LongText | None = None
    kbji_code: Kbji | None = None
    openings: int | None = Field(default=None, ge=1, le=10_000)
    valid_until: date | None = None
    age_min: int | None = Field(default=None, ge=15, le=70)
    age_max: int | None = Field(default=None, ge=15, le=70)
    age_reason: Text | None = None
    sex: Literal["L", "P"] | None = None
    education: EducationIn | None = None
    skills: list[Word] | None = Field(default=None, max_length=20)
    experience_years: int | None = Field(default=None, ge=0, le=40)
    wage: WageIn | None = None
    work_desa_kode: DesaKode | None = None
    work_address: Text | None = None
    contract_type: ContractType | None = None
    contract_months: int | None = Field(default=None, ge=1, le=120)
    shifts: list[Text] | None = Field(default=None, max_length=5)
    local_share_percent: int | None = Field(default=None, ge=0, le=100)
    outsourcing: bool | None = None
    disability_friendly: bool | None = None
    how_to_apply: LongText | None = None


class ApproveIn(Input):
    acknowledge_flags: bool = Field(
        default=False, description="The operator weighed the check's flags and found them wrong"
    )
    note: Text | None = None


class SendBackIn(Input):
    reasons: list[Text] = Field(min_length=1, max_length=20)


class CloseIn(Input):
    reason: Literal["closed", "withdrawn"]
    note: Text | None = None


class ApplicationIn(Input):
    vacancy_id: UUID
    resident_id: UUID
    channel: Literal["application", "referral"] = Field(
        default="application", description="referral: the office proposes the seeker"
    )


class TransitionIn(Input):
    status: ApplicationStatus
    reason: Text | None = Field(default=None, description="Required to refuse")
    reason_shared: bool = Field(default=False, description="Show the reason to the seeker")
    start_date: date | None = Field(default=None, description="Required to hire")
    contract_type: ContractType | None = Field(default=None, description="Required to hire")


class CompanyOut(BaseModel):
    company_id: UUID
    name: str
    nib: str
    kbli_code: str
    kbli_version: str
    industrial_estate: str | None
    address: dict[str, str]
    status: str
    registered_at: datetime
    verified_at: datetime | None
    hr_contact: dict[str, str | None] | None = Field(
        default=None, description="Only for operators and the company itself"
    )


class CompanyCreatedOut(CompanyOut):
    hr_token: str = Field(description="The HR desk's API key: shown once, keep it safe")
    hr_key_id: str = Field(description="The key's public id (to revoke it at /api-keys)")
    hr_key_expires_at: datetime


class TokenOut(BaseModel):
    company_id: UUID
    hr_token: str = Field(description="The HR desk's API key: shown once, keep it safe")
    key_id: str
    expires_at: datetime


class PartnershipOut(BaseModel):
    partnership_id: UUID
    company_id: UUID
    mou_number: str
    local_share_percent: int | None
    local_hires_committed: int | None
    starts_on: date
    ends_on: date
    status: str
    recorded_at: datetime


class VacancyOut(BaseModel):
    vacancy_id: UUID
    company_id: UUID
    status: str
    title: str
    description: str
    kbji_code: str
    openings: int
    hires: int
    openings_left: int
    valid_until: date
    age_min: int | None
    age_max: int | None
    age_reason: str | None
    sex: str | None
    education: dict[str, Any]
    skills: list[str]
    experience_years: int
    wage: dict[str, Any]
    work_desa_kode: str
    work_kecamatan_kode: str
    work_address: str
    contract_type: str
    contract_months: int | None
    shifts: list[str]
    local_share_percent: int | None
    outsourcing: bool
    disability_friendly: bool
    how_to_apply: str
    review_flags: list[dict[str, Any]]
    review_notes: list[dict[str, Any]]
    version: int
    created_at: datetime
    submitted_at: datetime | None
    published_at: datetime | None
    closed_at: datetime | None


class Page(BaseModel):
    items: list[Any]
    total: int
    limit: int
    offset: int


class ApplicationOut(BaseModel):
    application_id: UUID
    vacancy_id: UUID
    company_id: UUID
    resident_id: UUID
    channel: str
    status: str
    reason: str | None
    reason_shared: bool
    submitted_at: datetime
    updated_at: datetime
    hire_id: UUID | None = None
    transitions: list[dict[str, Any]] = []


class UnknownNik(BaseModel):
    line: int
    nik: str


class PlacementReportOut(BaseModel):
    report_id: UUID
    company_id: UUID
    filename: str
    uploads: int
    rows: int
    hired: int = Field(description="New hires recorded by this upload")
    already_recorded: int = Field(description="Rows whose hire was recorded before")
    unknown: list[UnknownNik] = Field(
        description="NIKs not registered: register them, then upload the file again. Only in this"
        " response: they are not stored."
    )
    errors: list[dict[str, Any]]
    first_uploaded_at: datetime
    last_uploaded_at: datetime
