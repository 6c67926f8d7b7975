"""Request and response bodies of the operators' API. Inputs refuse unknown fields."""

from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kerjalokal.reference import kecamatan

ChannelEvent = Literal["vacancy_published", "vacancy_updated", "vacancy_closed"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("harus URL http(s) lengkap / must be a full http(s) URL")
    if parts.username or parts.password:
        raise ValueError("tanpa nama pengguna atau sandi di URL / no credentials in the URL")
    return value


def _check_kecamatan(codes: list[str]) -> list[str]:
    unknown = [code for code in codes if kecamatan(code) is None]
    if unknown:
        raise ValueError(
            f"kode kecamatan tidak dikenal di Kabupaten Bekasi / unknown kecamatan: {unknown}"
        )
    return list(dict.fromkeys(codes))


class ChannelIn(_Input):
    name: str = Field(min_length=1, max_length=200)
    url: str = Field(max_length=2000)
    events: list[ChannelEvent] = Field(min_length=1)
    kecamatan: list[str] = Field(default_factory=list, max_length=23)
    max_in_flight: int = Field(default=4, ge=1, le=32, description="Operators only")
    owner_key_subject: str | None = Field(
        default=None, min_length=3, max_length=100,
        description="Operators only: the agency whose keys (by their label) manage this channel;"
        " an agency's own channels are its own without it",
    )  # fmt: skip

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _check_url(value)

    @field_validator("kecamatan")
    @classmethod
    def _kecamatan(cls, value: list[str]) -> list[str]:
        return _check_kecamatan(value)


class ChannelPatch(_Input):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    url: str | None = Field(default=None, max_length=2000)
    events: list[ChannelEvent] | None = Field(default=None, min_length=1)
    kecamatan: list[str] | None = Field(default=None, max_length=23)
    max_in_flight: int | None = Field(default=None, ge=1, le=32, description="Operators only")
    owner_key_subject: str | None = Field(
        default=None, min_length=3, max_length=100, description="Operators only"
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _check_url(value)

    @field_validator("kecamatan")
    @classmethod
    def _kecamatan(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _check_kecamatan(value)


class PauseIn(_Input):
    reason: str = Field(default="paused by an operator", max_length=500)


class ChannelOut(BaseModel):
    channel_id: UUID
    name: str
    url: str
    events: list[str]
    kecamatan: list[str]
    status: Literal["active", "paused", "deleted"]
    paused_reason: str | None
    consecutive_failures: int
    max_in_flight: int
    owner_key_subject: str | None
    created_at: datetime
    updated_at: datetime


class ChannelCreated(ChannelOut):
    secret: str = Field(
        description="The signing secret (Standard Webhooks `whsec_...`). Shown only now: keep it."
    )


class AttemptOut(BaseModel):
    attempt: int
    attempted_at: datetime
    outcome: str
    provider_message_id: str | None
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(BaseModel):
    delivery_id: UUID = Field(description="Also the idempotency key given to the provider")
    kind: Literal["resident", "webhook"]
    event_id: str
    event_type: str
    resident_id: UUID | None
    channel_id: UUID | None
    channel: str
    template: str
    vacancy_id: UUID | None
    status: str
    reason: str | None
    attempts: int
    not_before: datetime
    provider_message_id: str | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None


class DeliveryDetail(DeliveryOut):
    attempt_log: list[AttemptOut]


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    total: int
    limit: int
    offset: int


class ReportOut(BaseModel):
    report_id: UUID
    vacancy_id: UUID
    reason: str
    details: str
    status: Literal["new", "reviewed", "actioned", "dismissed"]
    note: str | None
    created_at: datetime
    reviewed_at: datetime | None
    reviewed_by: str | None


class ReportReview(_Input):
    status: Literal["reviewed", "actioned", "dismissed"]
    note: str | None = Field(default=None, max_length=2000)


class ResidentExport(BaseModel):
    service: Literal["notify"]
    resident_id: UUID
    exported_at: datetime
    data: dict[str, Any] = Field(
        description="contact (in clear), consent, channels, resident_status, messages (one per"
        " delivery: what was to be said) and deliveries (how each went, with every attempt)"
    )
