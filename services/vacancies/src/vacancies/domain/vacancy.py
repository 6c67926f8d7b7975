"""Vacancy rules: its states and the checks across fields that a single field cannot make.

    draft ─submit→ pending_review ─approve→ published ─→ closed | filled | withdrawn | expired
      ↑               │ send back (with reasons)
      └───────────────┘
A draft or a vacancy under review may be withdrawn. Expiry at the end of `valid_until` (a date in
Western Indonesian Time) is the housekeeping task's; `filled` follows the last opening's hire.
"""

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from kerjalokal.reference import desa, education_level, kecamatan_of

from .errors import DomainError, FieldError

WIB = ZoneInfo("Asia/Jakarta")
MAX_VALIDITY_DAYS = 180
PKWT_MAX_MONTHS = 60  # PP 35/2021: a fixed-term contract lasts at most five years


class VacancyStatus(StrEnum):
    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    PUBLISHED = "published"
    CLOSED = "closed"
    FILLED = "filled"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


V = VacancyStatus
ENDED = frozenset({V.CLOSED, V.FILLED, V.WITHDRAWN, V.EXPIRED})
EDITABLE_WHEN_PUBLISHED = frozenset({"openings", "valid_until"})


def today_in_bekasi(now: datetime) -> date:
    return now.astimezone(WIB).date()


def _refuse(current: VacancyStatus, action: str) -> DomainError:
    return DomainError(
        f"Lowongan berstatus {current} tidak dapat di-{action} / a vacancy in {current}"
        f" cannot be {action}"
    )


def require(current: VacancyStatus, *allowed: VacancyStatus, action: str) -> None:
    if current not in allowed:
        raise _refuse(current, action)


def closing_status(current: VacancyStatus, reason: str) -> VacancyStatus:
    """Closed by the company or the office: `closed` (published only) or `withdrawn`."""
    if reason == "closed":
        require(current, V.PUBLISHED, action="closed")
        return V.CLOSED
    require(current, V.DRAFT, V.PENDING_REVIEW, V.PUBLISHED, action="withdrawn")
    return V.WITHDRAWN


def check_edit(current: VacancyStatus, fields: set[str]) -> None:
    if current in (V.DRAFT,):
        return
    if current is V.PUBLISHED and fields <= EDITABLE_WHEN_PUBLISHED:
        return
    if current is V.PUBLISHED:
        extra = ", ".join(sorted(fields - EDITABLE_WHEN_PUBLISHED))
        raise DomainError(
            f"Lowongan yang tayang hanya dapat diubah jumlah dan masa berlakunya; {extra} hanya"
            f" lewat lowongan baru / a published vacancy changes only its openings and validity;"
            f" {extra} need a new vacancy"
        )
    raise _refuse(current, "edited")


def check_fields(vacancy: Mapping[str, Any], *, today: date, hires: int = 0) -> dict[str, Any]:
    """Cross-field rules over the whole vacancy; returns the columns derived from it."""
    _check_validity(vacancy["valid_until"], today)
    _check_pair(vacancy, "age_min", "age_max", "age_max")
    if vacancy.get("age_min") is not None and vacancy["age_min"] < 18:
        raise FieldError(("age_min",), "Usia minimal 18 tahun (UU 13/2003) / the minimum age is 18")
    education = vacancy["education"]
    for part in ("minimum", "maximum"):
        level = education.get(part)
        if level is not None and education_level(level) is None:
            raise FieldError(
                ("education", part), "Tingkat pendidikan 1-10 / education level 1 to 10"
            )
    if education.get("maximum") is not None and education["maximum"] < education["minimum"]:
        raise FieldError(
            ("education", "maximum"),
            "Pendidikan maksimal di bawah minimal / the maximum is below the minimum",
        )
    wage = vacancy["wage"]
    if None not in (wage.get("minimum"), wage.get("maximum")) and wage["maximum"] < wage["minimum"]:
        raise FieldError(
            ("wage", "maximum"), "Upah maksimal di bawah minimal / the maximum is below the minimum"
        )
    _check_contract(vacancy)
    if vacancy["openings"] < max(hires, 1):
        raise FieldError(
            ("openings",),
            f"Jumlah lowongan tidak boleh kurang dari yang sudah diterima ({hires}) / openings"
            f" cannot be fewer than the hires made ({hires})",
        )
    return {"work_kecamatan_kode": _work_kecamatan(vacancy["work_desa_kode"])}


def _check_validity(valid_until: date, today: date) -> None:
    if valid_until < today:
        raise FieldError(
            ("valid_until",), "Masa berlaku sudah lewat / the validity has already ended"
        )
    if valid_until > today + timedelta(days=MAX_VALIDITY_DAYS):
        raise FieldError(
            ("valid_until",),
            f"Masa berlaku paling lama {MAX_VALIDITY_DAYS} hari / a vacancy is valid for at most"
            f" {MAX_VALIDITY_DAYS} days",
        )


def _check_pair(vacancy: Mapping[str, Any], low: str, high: str, loc: str) -> None:
    if None not in (vacancy.get(low), vacancy.get(high)) and vacancy[high] < vacancy[low]:
        raise FieldError((loc,), f"{high} < {low}")


def _check_contract(vacancy: Mapping[str, Any]) -> None:
    months = vacancy.get("contract_months")
    if vacancy["contract_type"] == "pkwtt" and months is not None:
        raise FieldError(
            ("contract_months",),
            "PKWTT (tetap) tidak berjangka / a permanent contract (PKWTT) has no term",
        )
    if vacancy["contract_type"] == "pkwt" and months is not None and months > PKWT_MAX_MONTHS:
        raise FieldError(
            ("contract_months",),
            f"PKWT paling lama {PKWT_MAX_MONTHS} bulan / a fixed-term contract lasts at most"
            f" {PKWT_MAX_MONTHS} months",
        )


def _work_kecamatan(desa_kode: str) -> str:
    region = desa(desa_kode)
    if region is None:
        raise FieldError(
            ("work_desa_kode",),
            f"Kode desa {desa_kode} tidak ada di Kabupaten Bekasi / no such desa in Kabupaten"
            " Bekasi",
        )
    return kecamatan_of(region.kode).kode


def location_of(desa_kode: str, loc: tuple[str, ...]) -> str:
    """The kecamatan of a Kabupaten Bekasi desa code, or a 422 at `loc`."""
    try:
        return _work_kecamatan(desa_kode)
    except FieldError as error:
        raise FieldError(loc, error.reason) from None
