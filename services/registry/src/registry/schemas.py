"""What the HTTP API reads and returns. Inputs forbid unknown fields: a field a caller may not
set is refused, not silently ignored."""

import re
from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from email_validator.rfc_constants import (
    CASE_INSENSITIVE_MAILBOX_NAMES,
    DNS_LABEL_LENGTH_LIMIT,
    EMAIL_MAX_LENGTH,
)
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic.networks import validate_email

# The common address: ASCII letters and digits, single . _ + - between them before the @, a
# lower-case domain of letter-and-digit labels with single hyphens and a letter TLD. For these
# email-validator (behind pydantic's EmailStr) answers the address unchanged unless one of the
# checks below refuses it or the mailbox is one it lower-cases (postmaster, ...): no quoting,
# display name, Unicode, IDNA, "--" label, or case to normalise. It costs a regular expression
# instead of email-validator's per-character Unicode passes; tests/unit compare both on many
# addresses, so an email-validator upgrade that answers otherwise fails them.
_PLAIN_EMAIL = re.compile(
    r"([A-Za-z0-9]+(?:[._+-][A-Za-z0-9]+)*)@((?:[a-z0-9]+(?:-[a-z0-9]+)*\.)+[a-z]+)"
)
_SPECIAL_USE = frozenset(SPECIAL_USE_DOMAIN_NAMES)


def _is_plain_email(value: str) -> bool:
    if len(value) > EMAIL_MAX_LENGTH:
        return False
    plain = _PLAIN_EMAIL.fullmatch(value)
    if plain is None:
        return False
    local, domain = plain.groups()
    labels = domain.split(".")
    return (
        local.lower() not in CASE_INSENSITIVE_MAILBOX_NAMES
        and all(len(label) <= DNS_LABEL_LENGTH_LIMIT for label in labels)
        # the domain is none of them and ends in none of them after a dot
        and not any(".".join(labels[i:]) in _SPECIAL_USE for i in range(len(labels)))
    )


def email_address(value: str) -> str:
    """What pydantic's EmailStr answers (the normalised address, or its error), cheaper for
    the common address."""
    if _is_plain_email(value):
        return value
    return validate_email(value)[1]


Email = Annotated[
    str, AfterValidator(email_address), WithJsonSchema({"type": "string", "format": "email"})
]

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Skill = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=2, max_length=80)
]
Kbji = Annotated[str, StringConstraints(pattern=r"^\d{4}(\.\d{2})?$")]
Channel = Literal["whatsapp", "sms", "email"]
DisabilityCategory = Literal[
    "fisik", "intelektual", "mental", "sensorik_netra", "sensorik_rungu", "sensorik_wicara"
]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AddressIn(Input):
    street: Text = Field(description="Jalan, kampung, nomor rumah, as on the KTP")
    rt: Annotated[str, StringConstraints(pattern=r"^\d{1,3}$")] | None = None
    rw: Annotated[str, StringConstraints(pattern=r"^\d{1,3}$")] | None = None
    desa_kode: Annotated[str, StringConstraints(strip_whitespace=True)] = Field(
        description="Kemendagri code of the desa/kelurahan on the KTP, PP.KK.CC.DDDD",
        examples=["32.16.09.2004"],
    )
    postal_code: Annotated[str, StringConstraints(pattern=r"^\d{5}$")] | None = None


class EducationIn(Input):
    level: int = Field(ge=1, le=10, description="Dukcapil education level 1-10")
    track: Literal["umum", "kejuruan"] | None = None
    band: str | None = Field(
        default=None, description="SD, SMP, SMA, SMK, D1..S3; derived if absent"
    )
    major: Text | None = None
    graduation_year: int | None = Field(default=None, ge=1950, le=2100)


class CertificateIn(Input):
    name: Text
    issuer: Text | None = None
    scheme: Text | None = None
    number: Text | None = None
    year: int | None = Field(default=None, ge=1950, le=2100)


class DisabilityIn(Input):
    categories: list[DisabilityCategory] = Field(min_length=1)
    accommodation: Text | None = None


class ConsentIn(Input):
    contact: bool = Field(description="The resident agrees to be contacted about vacancies")
    channels: list[Channel] = []

    @model_validator(mode="after")
    def _channels_need_consent(self) -> "ConsentIn":
        if self.channels and not self.contact:
            raise ValueError(
                "saluran kontak butuh persetujuan / channels need consent to be contacted"
            )
        return self


class RegistrationIn(Input):
    nik: Annotated[str, StringConstraints(strip_whitespace=True)] = Field(
        description="16-digit NIK from the KTP"
    )
    full_name: Text
    sex: Literal["L", "P"]
    birth_date: date
    birth_place: Text | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)]
    email: Email | None = None
    address: AddressIn
    education: EducationIn
    skills: list[Skill] = Field(default=[], max_length=50)
    certificates: list[CertificateIn] = Field(default=[], max_length=30)
    occupation_interests: list[Kbji] = Field(default=[], max_length=10)
    disability: DisabilityIn | None = None
    consent: ConsentIn

    @model_validator(mode="after")
    def _email_channel_needs_email(self) -> "RegistrationIn":
        if "email" in self.consent.channels and self.email is None:
            raise ValueError("saluran email butuh alamat email / the email channel needs an email")
        return self


class ProfileUpdateIn(Input):
    """Only the fields given change."""

    full_name: Text | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None
    email: Email | None = None
    education: EducationIn | None = None
    skills: list[Skill] | None = Field(default=None, max_length=50)
    certificates: list[CertificateIn] | None = Field(default=None, max_length=30)
    occupation_interests: list[Kbji] | None = Field(default=None, max_length=10)
    disability: DisabilityIn | None = None
    consent: ConsentIn | None = None


class DomicileChangeIn(Input):
    address: AddressIn
    evidence: Literal["ktp", "surat_pindah", "surat_keterangan_domisili"] = Field(
        description="The document that shows the new KTP address"
    )
    effective_on: date


class VerificationIn(Input):
    officer: Text = Field(description="The pengantar kerja who checked the documents")


class ErasureIn(Input):
    reason: Text = Field(
        description="Why: the resident's written request (its reference), as UU 27/2022 asks"
    )


class ErasureOut(BaseModel):
    resident_id: UUID
    erased_at: datetime


class Warning_(BaseModel):
    field: str
    message: str


class AK1Out(BaseModel):
    number: str | None
    issued_on: date | None
    valid_until: date | None
    next_report_due: date | None
    refusal_reason: str | None


class PersonalOut(BaseModel):
    nik: str
    full_name: str
    phone: str
    email: str | None
    birth_place: str | None
    address: dict[str, str | None]


class ResidentOut(BaseModel):
    resident_id: UUID
    status: str
    sex: str
    birth_date: date
    domicile: dict[str, object]
    education: dict[str, object]
    skills: list[str]
    certificates: list[dict[str, object]]
    occupation_interests: list[str]
    disability: dict[str, object] | None
    consent: dict[str, object]
    in_training: bool
    ak1: AK1Out
    registered_at: datetime
    registered_by_kind: str
    updated_at: datetime
    version: int
    warnings: list[str]
    personal: PersonalOut | None = Field(
        default=None, description="Only for operators; the NIK is masked unless asked for"
    )


class ResidentPage(BaseModel):
    items: list[ResidentOut]
    total: int
    limit: int
    offset: int


class ImportOut(BaseModel):
    import_id: UUID
    filename: str
    status: str
    total_rows: int
    processed_rows: int
    imported: int
    already_registered: int
    errors: list[dict[str, object]]
    started_at: datetime
    finished_at: datetime | None
