"""Events published by notify: a vacancy's first fan-out to the public feeds and the agencies'
channels, and what happened to each message to a resident. No phone, email, name or message text
ever travels: residents appear by their random id, channels by their kind."""

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime

from . import base
from .base import Event, example

VACANCY_ID = "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d"
RESIDENT_ID = "7b0f6a6e-2f0e-4d7e-9a57-2f1c1f0b9a01"
NOTIFICATION_ID = "5f0c2b8e-1d3a-4e6f-9b7c-2a4d6e8f0a1b"
CAUSE_EVENT_ID = "c3b2a190-8f7e-4d6c-5b4a-39281706f5e4"
Channel = Literal["whatsapp", "sms", "email"]
Template = Literal[
    "lowongan_cocok", "pelatihan_terdaftar", "pelatihan_selesai", "diterima_kerja",
    "status_lamaran",
]  # fmt: skip


class VacancyBroadcastV1(Event):
    """A newly published vacancy went out for the first time: the job board, the regency's,
    every kecamatan's and every desa's feeds and widgets list it from `feeds_updated_at`, and it
    was queued to `channels` agency channels (webhooks), whose deliveries follow on their own."""

    TYPE: ClassVar[str] = "notify.vacancy_broadcast.v1"
    SUBJECT: ClassVar[str] = "vacancy_id"
    model_config = example(
        {
            "vacancy_id": VACANCY_ID,
            "channels": 3,
            "feeds": 211,
            "feeds_updated_at": "2026-11-05T09:00:01+07:00",
            "broadcast_at": "2026-11-05T09:00:01+07:00",
        }
    )

    vacancy_id: UUID
    channels: int
    feeds: int
    feeds_updated_at: AwareDatetime
    broadcast_at: AwareDatetime


class NotificationSentV1(Event):
    """A message reached the resident's provider (WhatsApp or SMS gateway, mail server), which
    confirmed it with its own message id. `cause_event_id` is the event that caused it."""

    TYPE: ClassVar[str] = "notify.notification_sent.v1"
    SUBJECT: ClassVar[str] = "notification_id"
    model_config = example(
        {
            "notification_id": NOTIFICATION_ID,
            "resident_id": RESIDENT_ID,
            "channel": "whatsapp",
            "template": "lowongan_cocok",
            "cause_event_id": CAUSE_EVENT_ID,
            "cause_event_type": "vacancies.candidates_matched.v1",
            "vacancy_id": VACANCY_ID,
            "attempts": 1,
            "sent_at": "2026-11-05T09:00:03+07:00",
        }
    )

    notification_id: UUID
    resident_id: UUID
    channel: Channel
    template: Template
    cause_event_id: str
    cause_event_type: str
    vacancy_id: UUID | None = None
    attempts: int
    sent_at: AwareDatetime


class NotificationFailedV1(Event):
    """A message could not be delivered: the provider refused it for good (`permanent`, for
    example an invalid number) or every retry failed (`exhausted`). `error` says what the
    provider answered, never what the message said."""

    TYPE: ClassVar[str] = "notify.notification_failed.v1"
    SUBJECT: ClassVar[str] = "notification_id"
    model_config = example(
        {
            "notification_id": NOTIFICATION_ID,
            "resident_id": RESIDENT_ID,
            "channel": "sms",
            "template": "lowongan_cocok",
            "cause_event_id": CAUSE_EVENT_ID,
            "cause_event_type": "vacancies.candidates_matched.v1",
            "vacancy_id": VACANCY_ID,
            "attempts": 6,
            "failure": "exhausted",
            "error": "HTTP 503",
            "failed_at": "2026-11-05T11:40:00+07:00",
        }
    )

    notification_id: UUID
    resident_id: UUID
    channel: Channel
    template: Template
    cause_event_id: str
    cause_event_type: str
    vacancy_id: UUID | None = None
    attempts: int
    failure: Literal["permanent", "exhausted"]
    error: str
    failed_at: AwareDatetime


class ResidentDataErasedV1(base.ResidentDataErased):
    """Notify finished erasing what it held about a resident after `registry.resident_erased` (UU
    27/2022): contact details are blanked, pending messages cancelled and the delivery log's
    message parameters cleared. `erasure_event_id` is the id of that event; the console shows an
    erasure as complete once every service has confirmed it."""

    TYPE: ClassVar[str] = "notify.resident_data_erased.v1"
