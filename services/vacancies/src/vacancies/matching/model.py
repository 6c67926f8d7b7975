"""What matching reads: a seeker as the projection holds it, a vacancy's requirements, and the
ranked outcome. Plain values, no I/O."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from kerjalokal.reference import education_level

ELIGIBLE_STATUSES = frozenset({"active", "verified"})
WEIGHTS = {"certified": 0.45, "skills": 0.25, "education": 0.10, "place": 0.10, "local": 0.10}


def norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def band_of(level: int | None, track: str | None) -> str | None:
    """The job-market band of a Dukcapil level, as reasons show it (`smk`, `sma`, `d3`, `s1`)."""
    if level is None:
        return None
    if level == 5:
        return "smk" if track == "kejuruan" else "sma"
    found = education_level(level)
    return found.bands[-1].lower() if found and found.bands else None


@dataclass(frozen=True, slots=True)
class Seeker:
    resident_id: UUID
    status: str | None
    desa_kode: str | None
    kecamatan_kode: str | None
    is_local: bool
    sex: str | None
    birth_year: int | None
    education_level: int | None
    education_track: str | None
    education_major: str | None
    skills: frozenset[str] = frozenset()
    certified: frozenset[str] = frozenset()
    in_training: bool = False

    @property
    def eligible(self) -> bool:
        known = self.birth_year is not None and self.education_level is not None
        return known and self.status in ELIGIBLE_STATUSES

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Seeker":
        certified = {*row["profile_certified"], *(row.get("training_certified") or ())}
        return cls(
            resident_id=row["resident_id"],
            status=row["status"],
            desa_kode=row["desa_kode"],
            kecamatan_kode=row["kecamatan_kode"],
            is_local=bool(row["is_local"]),
            sex=row["sex"],
            birth_year=row["birth_year"],
            education_level=row["education_level"],
            education_track=row["education_track"],
            education_major=row["education_major"],
            skills=frozenset(norm(s) for s in row["skills"]),
            certified=frozenset(norm(s) for s in certified),
            in_training=bool(row.get("in_training")),
        )


@dataclass(frozen=True, slots=True)
class Criteria:
    vacancy_id: UUID
    ref_year: int
    education_min: int
    education_max: int | None = None
    education_track: str | None = None
    majors: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    sex: str | None = None
    age_min: int | None = None
    age_max: int | None = None
    work_desa_kode: str | None = None
    work_kecamatan_kode: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any], *, ref_year: int) -> "Criteria":
        return cls(
            vacancy_id=row["vacancy_id"],
            ref_year=ref_year,
            education_min=row["education_min"],
            education_max=row["education_max"],
            education_track=row["education_track"],
            majors=tuple(dict.fromkeys(norm(m) for m in row["education_majors"])),
            skills=tuple(dict.fromkeys(norm(s) for s in row["skills"])),
            sex=row["sex"],
            age_min=row["age_min"],
            age_max=row["age_max"],
            work_desa_kode=row["work_desa_kode"],
            work_kecamatan_kode=row["work_kecamatan_kode"],
        )


@dataclass(frozen=True, slots=True)
class Candidate:
    resident_id: UUID
    score: float
    certified: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Match:
    vacancy_id: UUID
    eligible: int
    candidates: list[Candidate] = field(default_factory=list)
