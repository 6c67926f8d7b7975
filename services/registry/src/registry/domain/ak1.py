"""The AK/1 job-seeker card ("kartu kuning"): from age 18, valid 2 years, report every 6 months.

Anniversaries of 29 February fall on 28 February in common years, for ages and card dates alike.
A card number reads `AK1-3216-<year issued>-<sequence, 7 digits>`, e.g. AK1-3216-2026-0000123;
the sequence comes from one regency-wide counter, so numbers never repeat across years.
"""

from dataclasses import dataclass, replace
from datetime import date

from kerjalokal.reference import KABUPATEN_BEKASI, kecamatan
from registry.domain.dates import add_months, add_years
from registry.domain.errors import DomainError

AK1_MIN_AGE = 18
AK1_VALID_YEARS = 2
AK1_REPORT_EVERY_MONTHS = 6
_MAX_SEQUENCE = 9_999_999


class Ak1Expired(DomainError):
    pass


@dataclass(frozen=True, slots=True)
class Ak1Card:
    number: str
    issued_on: date
    valid_until: date
    next_report_due: date
    kecamatan_kode: str | None

    def is_valid_on(self, today: date) -> bool:
        return self.issued_on <= today <= self.valid_until


def age_on(birth_date: date, today: date) -> int:
    years = today.year - birth_date.year
    return years - 1 if add_years(birth_date, years) > today else years


def ak1_eligibility(birth_date: date, today: date) -> str | None:
    """None when the card may be issued, else the refusal reason to show."""
    if birth_date > today:
        return "Tanggal lahir di masa depan / Birth date is in the future"
    age = age_on(birth_date, today)
    if age >= AK1_MIN_AGE:
        return None
    eligible_on = add_years(birth_date, AK1_MIN_AGE)
    return (
        f"Umur {age} tahun; kartu AK/1 baru bisa dibuat mulai umur {AK1_MIN_AGE} tahun"
        f" ({eligible_on:%d-%m-%Y}) / Age {age}; the AK/1 card requires age {AK1_MIN_AGE}"
        f" (from {eligible_on:%d-%m-%Y})"
    )


def issue_ak1(*, sequence: int, issued_on: date, kecamatan_kode: str | None) -> Ak1Card:
    """Check ak1_eligibility first. `kecamatan_kode` is the Bekasi kecamatan that issued the card,
    None for the Disnaker office."""
    if not 1 <= sequence <= _MAX_SEQUENCE:
        raise ValueError(f"AK/1 sequence must be 1..{_MAX_SEQUENCE}, got {sequence}")
    if kecamatan_kode is not None and kecamatan(kecamatan_kode) is None:
        raise ValueError(f"{kecamatan_kode} is not a kecamatan of Kabupaten Bekasi")
    valid_until = add_years(issued_on, AK1_VALID_YEARS)
    return Ak1Card(
        number=f"AK1-{KABUPATEN_BEKASI.replace('.', '')}-{issued_on.year}-{sequence:07d}",
        issued_on=issued_on,
        valid_until=valid_until,
        next_report_due=_report_due_after(issued_on, valid_until=valid_until),
        kecamatan_kode=kecamatan_kode,
    )


def report_in(card: Ak1Card, *, today: date) -> Ak1Card:
    """The next report falls 6 months after this one, never after the card's validity."""
    if today > card.valid_until:
        raise Ak1Expired(
            f"Kartu AK/1 {card.number} sudah habis masa berlakunya ({card.valid_until:%d-%m-%Y})"
            f" / AK/1 card {card.number} expired on {card.valid_until:%d-%m-%Y}"
        )
    return replace(card, next_report_due=_report_due_after(today, valid_until=card.valid_until))


def _report_due_after(reported_on: date, *, valid_until: date) -> date:
    return min(add_months(reported_on, AK1_REPORT_EVERY_MONTHS), valid_until)
