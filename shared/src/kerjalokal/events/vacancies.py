"""Events published by vacancies (the ones other services already consume)."""

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime

from .base import Event, example


class ResidentHiredV1(Event):
    """A seeker was hired, in the system or through a company's placement report."""

    TYPE: ClassVar[str] = "vacancies.resident_hired.v1"
    SUBJECT: ClassVar[str] = "hire_id"
    model_config = example(
        {
            "hire_id": "5d1c3f0e-8a4b-4c2d-9e1f-0a1b2c3d4e5f",
            "resident_id": "7b0f6a6e-2f0e-4d7e-9a57-2f1c1f0b9a01",
            "company_id": "0c7e2a9d-1b3c-4d5e-8f90-a1b2c3d4e5f6",
            "vacancy_id": "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d",
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
    contract_type: Literal["pkwt", "pkwtt", "magang"]
    source: Literal["application", "referral", "placement_report"]
    is_local: bool
    hired_at: AwareDatetime
