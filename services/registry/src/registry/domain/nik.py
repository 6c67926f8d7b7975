"""NIK (Nomor Induk Kependudukan), 16 digits `PP KK CC DD MM YY SSSS` with no check digit.

The region digits say where the NIK was first issued, not where the holder lives, and the embedded
sex and birth date are hints: a mismatch with declared data is a warning, never a refusal.
"""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from kerjalokal.reference import kabkota, province
from registry.domain.errors import DomainError

MASK = "\u2022"  # •
_FEMALE_DAY_OFFSET = 40
_LEAP_YEAR = 2000


class InvalidNik(DomainError):
    pass


class Sex(StrEnum):
    LAKI_LAKI = "L"
    PEREMPUAN = "P"


@dataclass(frozen=True, slots=True, repr=False)
class Nik:
    value: str
    region_kode: str
    sex: Sex
    birth_day: int
    birth_month: int
    birth_yy: int
    serial: str

    def masked(self) -> str:
        """Regency (first 4) and serial (last 4) stay visible: enough to match a card against a
        KTP held in the hand, while the district and the birth date stay hidden."""
        return self.value[:4] + MASK * 8 + self.value[-4:]

    def __repr__(self) -> str:
        return f"Nik({self.masked()})"


def parse_nik(raw: str) -> Nik:
    value = "".join(raw.split()).replace(".", "")
    _check_shape(value)
    _check_region(value)
    sex, day, month = _sex_day_month(value)
    if value[12:] == "0000":
        raise InvalidNik("Nomor urut NIK tidak boleh 0000 / NIK serial must not be 0000")
    return Nik(
        value=value,
        region_kode=f"{value[0:2]}.{value[2:4]}.{value[4:6]}",
        sex=sex,
        birth_day=day,
        birth_month=month,
        birth_yy=int(value[10:12]),
        serial=value[12:],
    )


def nik_birth_date(nik: Nik, *, declared: date) -> date | None:
    """The NIK's birth date with the century taken from the declared date (the year ending in
    the NIK's two digits nearest the declared year); None if that day does not exist."""
    century = declared.year - declared.year % 100
    candidates = (century + shift + nik.birth_yy for shift in (-100, 0, 100))
    year = min(candidates, key=lambda candidate: abs(candidate - declared.year))
    try:
        return date(year, nik.birth_month, nik.birth_day)
    except ValueError:
        return None


def nik_warnings(nik: Nik, *, sex: str, birth_date: date) -> list[str]:
    warnings = []
    if nik.sex != Sex(sex):
        warnings.append(
            f"Jenis kelamin pada NIK ({nik.sex}) berbeda dengan yang dinyatakan ({sex}) /"
            f" Sex encoded in the NIK ({nik.sex}) differs from the declared sex ({sex})"
        )
    if _embedded_date(nik) != (birth_date.day, birth_date.month, birth_date.year % 100):
        shown = _show_nik_date(nik, declared=birth_date)
        warnings.append(
            f"Tanggal lahir pada NIK ({shown}) berbeda dengan yang dinyatakan"
            f" ({birth_date:%d-%m-%Y}) / Birth date encoded in the NIK ({shown}) differs from"
            f" the declared birth date ({birth_date:%d-%m-%Y})"
        )
    return warnings


def _check_shape(value: str) -> None:
    if not value.isascii() or not value.isdigit():
        raise InvalidNik("NIK hanya boleh berisi angka / NIK must contain digits only")
    if len(value) != 16:
        raise InvalidNik(
            f"NIK harus 16 digit, bukan {len(value)} / NIK must be 16 digits, not {len(value)}"
        )


def _check_region(value: str) -> None:
    if province(value[0:2]) is None:
        raise InvalidNik(
            f"Kode provinsi {value[0:2]} pada NIK tidak dikenal /"
            f" Unknown province code {value[0:2]} in the NIK"
        )
    if kabkota(f"{value[0:2]}.{value[2:4]}") is None:
        raise InvalidNik(
            f"Kode kabupaten/kota {value[0:2]}.{value[2:4]} pada NIK tidak dikenal /"
            f" Unknown regency/city code {value[0:2]}.{value[2:4]} in the NIK"
        )
    if value[4:6] == "00":
        raise InvalidNik(
            "Kode kecamatan pada NIK tidak boleh 00 / District code in the NIK must not be 00"
        )


def _sex_day_month(value: str) -> tuple[Sex, int, int]:
    encoded_day, month = int(value[6:8]), int(value[8:10])
    if not 1 <= month <= 12:
        raise InvalidNik(
            f"Bulan lahir pada NIK ({value[8:10]}) harus 01-12 /"
            f" Birth month in the NIK ({value[8:10]}) must be 01-12"
        )
    sex = Sex.PEREMPUAN if encoded_day > _FEMALE_DAY_OFFSET else Sex.LAKI_LAKI
    day = encoded_day - _FEMALE_DAY_OFFSET if sex is Sex.PEREMPUAN else encoded_day
    if not _is_real_day(day, month):
        raise InvalidNik(
            f"Tanggal lahir pada NIK ({value[6:8]}-{value[8:10]}) tidak valid; tanggal harus"
            f" 01-31 (laki-laki) atau 41-71 (perempuan) /"
            f" Birth date in the NIK ({value[6:8]}-{value[8:10]}) is not a real date; the day"
            " must be 01-31 (men) or 41-71 (women)"
        )
    return sex, day, month


def _is_real_day(day: int, month: int) -> bool:
    try:
        date(_LEAP_YEAR, month, day)
    except ValueError:
        return False
    return True


def _embedded_date(nik: Nik) -> tuple[int, int, int]:
    return nik.birth_day, nik.birth_month, nik.birth_yy


def _show_nik_date(nik: Nik, *, declared: date) -> str:
    resolved = nik_birth_date(nik, declared=declared)
    if resolved is None:
        return f"{nik.birth_day:02d}-{nik.birth_month:02d}-..{nik.birth_yy:02d}"
    return f"{resolved:%d-%m-%Y}"
