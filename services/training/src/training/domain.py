"""The rules of training, without I/O: who may enroll, who may act on what, how outcomes and
documents are named. Every refusal is bilingual (Bahasa Indonesia / English)."""

from dataclasses import dataclass
from datetime import date
from typing import Literal
from uuid import UUID

from kerjalokal.auth import Principal

ENROLLABLE_STATUSES = frozenset({"registered", "verified", "active", "lapsed"})
ACTING_LICENCES = frozenset({"licensed", "accredited"})
# Who may change programmes, sessions and enrollments: the office and an institution (its own).
WRITERS = ("operator", "institution")
# Who may read the public catalogue (institutions, programmes, sessions) and aggregate figures.
READERS = ("operator", "institution", "village_admin", "agency", "company")


class DomainError(ValueError):
    """A rule said no (409); `reason` is bilingual and safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FieldError(DomainError):
    """A rule refused one input field (422); `loc` names it as FastAPI does."""

    def __init__(self, loc: tuple[str, ...], reason: str) -> None:
        super().__init__(reason)
        self.loc = loc


class NotFound(Exception):
    """Nonexistent, or not yours: both answer 404 alike."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


SYSTEM = Principal(role="service", subject="training")
"""This service's own consumers acting on enrollments (a hire ends ongoing training)."""


def may_act_for(who: Principal, institution_id: UUID) -> bool:
    """Change (and see the enrollments of) an institution's programmes: the office, this service
    itself, and the institution its key names."""
    return who.role in ("operator", "service") or (
        who.role == "institution" and who.institution_id == institution_id
    )


def may_read_catalogue(who: Principal, institution_id: UUID) -> bool:
    """Institutions, programmes and sessions are public to every reader; an institution's key
    sees only its own (a foreign one answers as a missing one)."""
    if who.role == "institution":
        return who.institution_id == institution_id
    return who.role in READERS or who.role == "service"


@dataclass(frozen=True)
class Seeker:
    status: str
    birth_year: int
    education_level: int
    education_track: str | None


@dataclass(frozen=True)
class Requirements:
    min_age: int | None = None
    max_age: int | None = None
    min_education_level: int | None = None
    education_track: str | None = None


def age_in(year: int, *, birth_year: int) -> int:
    """Age reached during `year`; the projection knows the birth year only, as events carry."""
    return year - birth_year


def eligibility(seeker: Seeker, rules: Requirements, *, starts_on: date) -> list[str]:
    """Every reason this seeker may not join a session starting on `starts_on`; empty if none."""
    reasons = []
    if seeker.status not in ENROLLABLE_STATUSES:
        reasons.append(
            f"Pencari kerja berstatus {seeker.status} tidak dapat mendaftar pelatihan /"
            f" a seeker with status {seeker.status} cannot enroll"
        )
    age = age_in(starts_on.year, birth_year=seeker.birth_year)
    if rules.min_age is not None and age < rules.min_age:
        reasons.append(
            f"Usia minimal {rules.min_age} tahun (usia {age}) / minimum age {rules.min_age}"
        )
    if rules.max_age is not None and age > rules.max_age:
        reasons.append(
            f"Usia maksimal {rules.max_age} tahun (usia {age}) / maximum age {rules.max_age}"
        )
    if rules.min_education_level is not None and seeker.education_level < rules.min_education_level:
        reasons.append(
            f"Pendidikan minimal tingkat {rules.min_education_level} / minimum education level"
            f" {rules.min_education_level}"
        )
    if rules.education_track is not None and seeker.education_track != rules.education_track:
        reasons.append(
            f"Harus berpendidikan jalur {rules.education_track} / the {rules.education_track}"
            " education track is required"
        )
    return reasons


def check_licence(status: str) -> None:
    if status not in ACTING_LICENCES:
        raise DomainError(
            f"Izin lembaga berstatus {status}: tidak dapat membuka program atau angkatan /"
            f" the institution's licence is {status}: it cannot open programmes or sessions"
        )


def check_session_open(*, ends_on: date, today: date) -> None:
    if today > ends_on:
        raise DomainError("Angkatan ini sudah selesai / this session has already ended")


def check_completion_date(*, starts_on: date, today: date) -> None:
    if today < starts_on:
        raise DomainError(
            "Angkatan belum dimulai: kelulusan dicatat setelah pelatihan berjalan /"
            " the session has not started: completion is recorded once it runs"
        )


def check_attendance_day(day: date, *, starts_on: date, ends_on: date, today: date) -> str | None:
    if not starts_on <= day <= ends_on:
        return (
            f"Tanggal {day} di luar masa angkatan {starts_on} s.d. {ends_on} /"
            f" {day} is outside the session period"
        )
    if day > today:
        return f"Tanggal {day} belum terjadi / {day} is in the future"
    return None


def letter_number(serial: int, *, year: int) -> str:
    """Surat keterangan (letter of attendance) for an apprenticeship not completed or not passed."""
    return f"SKET-MAG/{year}/{serial:06d}"


def apprenticeship_outcome(
    *, passed: bool, hired: bool
) -> Literal["certified", "attended", "hired"]:
    if hired:
        return "hired"
    return "certified" if passed else "attended"


def normalize_skill(skill: str) -> str:
    return " ".join(skill.lower().split())


def attendance_rate(present: int, recorded: int) -> float | None:
    return round(present / recorded, 4) if recorded else None
