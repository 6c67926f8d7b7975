"""A vacancy as residents read it: the public event's fields with names and labels in Bahasa
Indonesia, shared by the job board, the feeds, the widget, the poster and the messages."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from kerjalokal.events.vacancies import Vacancy
from kerjalokal.reference import desa, education_level, kecamatan

CONTRACTS = {"pkwt": "Kontrak (PKWT)", "pkwtt": "Tetap (PKWTT)", "magang": "Magang"}
PERIODS = {"bulan": "bulan", "minggu": "minggu", "hari": "hari", "jam": "jam"}
CLOSE_REASONS = {
    "closed": "ditutup oleh perusahaan",
    "filled": "sudah terisi",
    "withdrawn": "ditarik",
    "expired": "masa berlakunya habis",
}
MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
    "Oktober", "November", "Desember",
)  # fmt: skip


def rupiah(amount: int) -> str:
    return "Rp " + f"{amount:,}".replace(",", ".")


def tanggal(day: date | datetime) -> str:
    """`5 Desember 2026`."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def level_name(kode: int) -> str:
    """A Dukcapil education level as people say it: `SMA/SMK`, `D4/S1`, `SD`."""
    level = education_level(kode)
    if level is None:
        return str(kode)
    return "/".join(level.bands) or level.label.capitalize()


def region_name(kode: str) -> str:
    region = desa(kode) or kecamatan(kode)
    return region.nama if region else kode


@dataclass(frozen=True)
class Listing:
    vacancy: Vacancy
    closed_at: datetime | None = None
    close_reason: str | None = None
    changed_at: datetime | None = None

    @classmethod
    def of(cls, body: dict[str, Any], **state: Any) -> "Listing":
        return cls(Vacancy.model_validate(body), **state)

    @property
    def id(self) -> UUID:
        return self.vacancy.vacancy_id

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def kecamatan(self) -> str:
        return region_name(self.vacancy.work_kecamatan_kode)

    @property
    def desa(self) -> str:
        return region_name(self.vacancy.work_desa_kode)

    @property
    def place(self) -> str:
        estate = self.vacancy.industrial_estate
        return f"{estate}, Kec. {self.kecamatan}" if estate else f"Kec. {self.kecamatan}"

    @property
    def contract(self) -> str:
        label = CONTRACTS[self.vacancy.contract_type]
        months = self.vacancy.contract_months
        return f"{label}, {months} bulan" if months else label

    @property
    def wage(self) -> str:
        wage = self.vacancy.wage
        period = PERIODS[wage.period]
        if wage.minimum and wage.maximum and wage.minimum != wage.maximum:
            return f"{rupiah(wage.minimum)} – {rupiah(wage.maximum)} per {period}"
        if wage.minimum or wage.maximum:
            return f"{rupiah(wage.minimum or wage.maximum or 0)} per {period}"
        return "Sesuai ketentuan perusahaan (UMK Kabupaten Bekasi berlaku)"

    @property
    def education(self) -> str:
        band = self.vacancy.education
        name = "SMK" if band.minimum == 5 and band.track == "kejuruan" else level_name(band.minimum)
        text = f"Minimal {name}"
        if band.majors:
            text += ", jurusan " + ", ".join(band.majors)
        return text

    @property
    def age(self) -> str | None:
        low, high = self.vacancy.age_min, self.vacancy.age_max
        if low and high:
            return f"{low}–{high} tahun"
        if low or high:
            return f"minimal {low} tahun" if low else f"maksimal {high} tahun"
        return None

    @property
    def sex(self) -> str:
        return {"L": "Laki-laki", "P": "Perempuan"}.get(
            self.vacancy.sex or "", "Laki-laki/Perempuan"
        )

    @property
    def valid_until(self) -> str:
        return tanggal(self.vacancy.valid_until)

    @property
    def headline(self) -> str:
        """One line for feeds and messages: job, company, place."""
        return f"{self.vacancy.title} – {self.vacancy.company_name} ({self.kecamatan})"

    @property
    def closed_because(self) -> str:
        return closed_because(self.close_reason)


def closed_because(reason: str | None) -> str:
    return CLOSE_REASONS.get(reason or "", "ditutup")
