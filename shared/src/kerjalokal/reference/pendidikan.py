"""The 10 Dukcapil (Kartu Keluarga) education levels and the job-market bands vacancies ask for.

A Dukcapil level can hold several bands (5 = SMA or SMK, 6 = D1 or D2, 8 = D4 or S1), so a
minimum is checked on the level: a D1 holder meets a D2 minimum, an SMA holder an SMK one.
"""

from dataclasses import dataclass
from functools import cache

from kerjalokal.reference._csv import read_rows

BANDS = ("SD", "SMP", "SMA", "SMK", "D1", "D2", "D3", "D4", "S1", "S2", "S3")


@dataclass(frozen=True, slots=True)
class EducationLevel:
    kode: int
    label: str
    bands: tuple[str, ...]


def education_level(kode: int) -> EducationLevel | None:
    return _levels().get(kode)


def all_levels() -> tuple[EducationLevel, ...]:
    return tuple(_levels().values())


def level_for_band(band: str) -> EducationLevel | None:
    wanted = band.strip().upper()
    return next((level for level in all_levels() if wanted in level.bands), None)


def meets_minimum(level_kode: int, minimum_band: str) -> bool:
    minimum = level_for_band(minimum_band)
    if minimum is None:
        raise ValueError(
            f"Jenjang pendidikan '{minimum_band}' tidak dikenal / Unknown education band"
            f" '{minimum_band}' (expected one of {', '.join(BANDS)})"
        )
    if education_level(level_kode) is None:
        raise ValueError(
            f"Kode pendidikan {level_kode} tidak dikenal / Unknown education level {level_kode}"
        )
    return level_kode >= minimum.kode


@cache
def _levels() -> dict[int, EducationLevel]:
    return {level.kode: level for level in map(_level, read_rows("pendidikan_dukcapil.csv"))}


def _level(row: dict[str, str]) -> EducationLevel:
    bands = tuple(band for band in row["jenjang_pasar_kerja"].split("|") if band)
    return EducationLevel(kode=int(row["kode"]), label=row["label"], bands=bands)
