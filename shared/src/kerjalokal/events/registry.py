"""Events published by the registry. None carries a NIK, name, phone, email or street address,
except the restricted ones: `ResidentContactChangedV1` (contact details, for notify) and
`ResidentIdentityRecordedV1` (a keyed hash of the NIK, for vacancies' placement reports)."""

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict

from .base import Event, example

RESIDENT_ID = "7b0f6a6e-2f0e-4d7e-9a57-2f1c1f0b9a01"
Status = Literal["registered", "verified", "active", "lapsed", "placed", "expired"]


class Domicile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    desa_kode: str
    kecamatan_kode: str
    kabkota_kode: str
    is_local: bool
    kepmendagri: str


class Education(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    level: int
    band: str | None = None
    track: Literal["umum", "kejuruan"] | None = None
    major: str | None = None


class Certificate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str
    issuer: str | None = None
    scheme: str | None = None
    year: int | None = None


class Profile(BaseModel):
    """What matching and statistics need about a seeker; no personal data."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    domicile: Domicile
    sex: Literal["L", "P"]
    birth_year: int
    education: Education
    skills: tuple[str, ...] = ()
    certificates: tuple[Certificate, ...] = ()
    occupation_interests: tuple[str, ...] = ()
    in_training: bool = False


_PROFILE = {
    "domicile": {
        "desa_kode": "32.16.09.2004",
        "kecamatan_kode": "32.16.09",
        "kabkota_kode": "32.16",
        "is_local": True,
        "kepmendagri": "Kepmendagri No 300.2.2-2138 Tahun 2025",
    },
    "sex": "P",
    "birth_year": 2001,
    "education": {"level": 5, "band": "SMK", "track": "kejuruan", "major": "Teknik Mesin"},
    "skills": ["pengelasan", "operator cnc"],
    "certificates": [{"name": "Juru Las Tingkat 1", "issuer": "BNSP", "year": 2024}],
    "occupation_interests": ["7212.01"],
    "in_training": False,
}


class ResidentRegisteredV1(Event):
    TYPE: ClassVar[str] = "registry.resident_registered.v1"
    SUBJECT: ClassVar[str] = "resident_id"
    model_config = example(
        {
            "resident_id": RESIDENT_ID,
            "version": 1,
            "registered_at": "2026-11-02T08:15:00+07:00",
            "registered_by": "village_admin",
            "status": "registered",
            "profile": _PROFILE,
        }
    )

    resident_id: UUID
    version: int
    registered_at: AwareDatetime
    registered_by: Literal["operator", "village_admin", "bulk_import"]
    status: Status
    profile: Profile


class ResidentVerifiedV1(Event):
    """Documents checked; the AK/1 card is issued unless refused (for example under 18)."""

    TYPE: ClassVar[str] = "registry.resident_verified.v1"
    SUBJECT: ClassVar[str] = "resident_id"
    model_config = example(
        {
            "resident_id": RESIDENT_ID,
            "version": 2,
            "verified_at": "2026-11-03T10:00:00+07:00",
            "status": "active",
            "ak1_issued": True,
            "ak1_valid_until": "2028-11-03",
            "ak1_refusal_reason": None,
        }
    )

    resident_id: UUID
    version: int
    verified_at: AwareDatetime
    status: Status
    ak1_issued: bool
    ak1_valid_until: date | None = None
    ak1_refusal_reason: str | None = None


class ResidentProfileUpdatedV1(Event):
    TYPE: ClassVar[str] = "registry.resident_profile_updated.v1"
    SUBJECT: ClassVar[str] = "resident_id"
    model_config = example(
        {
            "resident_id": RESIDENT_ID,
            "version": 3,
            "updated_at": "2026-11-20T09:30:00+07:00",
            "changed": ["skills", "certificates"],
            "status": "active",
            "profile": _PROFILE,
        }
    )

    resident_id: UUID
    version: int
    updated_at: AwareDatetime
    changed: tuple[str, ...]
    status: Status
    profile: Profile


class ResidentStatusChangedV1(Event):
    TYPE: ClassVar[str] = "registry.resident_status_changed.v1"
    SUBJECT: ClassVar[str] = "resident_id"
    model_config = example(
        {
            "resident_id": RESIDENT_ID,
            "version": 4,
            "changed_at": "2026-12-01T07:00:00+07:00",
            "previous_status": "active",
            "status": "placed",
            "reason": "hired",
        }
    )

    resident_id: UUID
    version: int
    changed_at: AwareDatetime
    previous_status: Status
    status: Status
    reason: str


class ResidentErasedV1(Event):
    """A resident's personal data was erased at their request (UU 27/2022): every service deletes
    or anonymises what it holds about `resident_id`. Figures of past months keep their counts."""

    TYPE: ClassVar[str] = "registry.resident_erased.v1"
    SUBJECT: ClassVar[str] = "resident_id"
    model_config = example(
        {"resident_id": RESIDENT_ID, "version": 7, "erased_at": "2027-01-15T10:00:00+07:00"}
    )

    resident_id: UUID
    version: int
    erased_at: AwareDatetime


class ResidentContactChangedV1(Event):
    """Restricted: how to reach a resident who consented. Only notify may bind it."""

    TYPE: ClassVar[str] = "registry.resident_contact_changed.v1"
    SUBJECT: ClassVar[str] = "resident_id"
    RESTRICTED: ClassVar[bool] = True
    model_config = example(
        {
            "resident_id": RESIDENT_ID,
            "version": 1,
            "changed_at": "2026-11-02T08:15:00+07:00",
            "full_name": "Siti Contoh",
            "phone": "+6281234567890",
            "email": "siti@example.org",
            "consent": True,
            "channels": ["whatsapp", "email"],
        }
    )

    resident_id: UUID
    version: int
    changed_at: AwareDatetime
    full_name: str
    phone: str | None = None
    email: str | None = None
    consent: bool
    channels: tuple[Literal["whatsapp", "sms", "email"], ...] = ()


class ResidentIdentityRecordedV1(Event):
    """Restricted: a keyed hash of a newly registered resident's NIK, so that vacancies can match
    the NIKs of a company's placement report to a resident without ever holding a NIK.
    `nik_lookup` is the hex HMAC-SHA256 of the 16-digit NIK under NIK_LOOKUP_KEY, a key that only
    the registry and vacancies hold (not the registry's own NIK key). Only vacancies may bind it."""

    TYPE: ClassVar[str] = "registry.resident_identity_recorded.v1"
    SUBJECT: ClassVar[str] = "resident_id"
    RESTRICTED: ClassVar[bool] = True
    model_config = example(
        {
            "resident_id": RESIDENT_ID,
            "version": 1,
            "recorded_at": "2026-11-02T08:15:00+07:00",
            "nik_lookup": "9f2c4b6e0a1d3c5e7f9b2d4a6c8e0f1a3b5d7f9e1c3a5b7d9f0e2c4a6b8d0f1e",
            "is_local": True,
        }
    )

    resident_id: UUID
    version: int
    recorded_at: AwareDatetime
    nik_lookup: str
    is_local: bool
