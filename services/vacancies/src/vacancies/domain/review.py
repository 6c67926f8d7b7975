"""The check a vacancy passes before review (SE Menaker M/6/HK.04/V/2025, Perbup and the brokers
residents complain of): no requirement on appearance, marital status, height, skin colour,
ethnicity or religion; an age limit only with an objective reason; no fee asked of applicants.

It flags, it does not decide: the operator reads the flags, then approves or sends the vacancy
back with reasons. Matching is on whole words, case-insensitively, in Indonesian and English;
a negated fee ("tanpa biaya", "tidak dipungut biaya", "free of charge") is not a fee.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

LEGAL_MIN_AGE = 18

_DISCRIMINATION: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "penampilan": (
        "syarat penampilan fisik",
        "a requirement on looks",
        (
            r"(ber)?penampilan\s+(menarik|baik|rapi\s+dan\s+menarik)", r"good[\s-]*looking",
            r"attractive", r"good\s+appearance", r"cantik", r"tampan",
            r"berat\s+badan", r"proporsional", r"body\s+ideal", r"postur",
        ),
    ),
    "status_perkawinan": (
        "syarat status perkawinan",
        "a requirement on marital status",
        (
            r"belum\s+(menikah|kawin)", r"tidak\s+(sedang\s+)?(menikah|hamil)", r"lajang",
            r"single", r"unmarried", r"status\s+(pernikahan|perkawinan)", r"sudah\s+menikah",
            r"married", r"janda", r"duda",
        ),
    ),
    "tinggi_badan": (
        "syarat tinggi badan",
        "a requirement on height",
        (r"tinggi\s+badan", r"tb\s*(min\.?|minimal)?\s*\d{3}", r"1\d{2}\s*cm", r"(?<!at\s)height"),
    ),
    "warna_kulit": (
        "syarat warna kulit",
        "a requirement on skin colour",
        (
            r"warna\s+kulit", r"kulit\s+(putih|terang|bersih|cerah)", r"skin\s+colou?r",
            r"fair\s+skin",
        ),
    ),
    "suku": (
        "syarat suku, etnis atau ras",
        "a requirement on ethnicity or race",
        (
            r"suku(?!\s+cadang)", r"etnis", r"ethnic(ity)?", r"\bras\b", r"race", r"pribumi",
            r"keturunan",
        ),
    ),
    "agama": (
        "syarat agama",
        "a requirement on religion",
        (r"agama", r"religion", r"beragama", r"muslim(ah)?", r"kristen", r"katolik", r"hindu"),
    ),
}  # fmt: skip
_NO_FEE = re.compile(
    r"(tanpa|bebas|tidak\s+(ada|dipungut|dikenakan|ditarik)|tak\s+dipungut|gratis)\s+"
    r"(biaya|pungutan|bayaran|uang)(\s+(apa\s*pun|apapun|sepeser\s+pun))?"
    r"|(free\s+of\s+(charge|cost)|no\s+(fee|charge|payment)s?)"
    r"|biaya\s+[\w\s,]{0,40}?ditanggung\s+perusahaan",
    re.IGNORECASE,
)
_FEE = re.compile(
    r"\b(biaya|bayar|pungutan|uang\s+(pendaftaran|administrasi|seragam|jaminan|pelatihan|tes|"
    r"medical)|deposit|transfer\s+(uang|dana|ke)|jaminan\s+ijazah|ijazah\s+asli\s+ditahan|"
    r"fee|fees)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Flag:
    code: str
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _words(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w]){pattern}(?![\w])", re.IGNORECASE)


_COMPILED = {
    category: (reason_id, reason_en, tuple(_words(p) for p in patterns))
    for category, (reason_id, reason_en, patterns) in _DISCRIMINATION.items()
}


def _discrimination(field: str, text: str) -> Iterable[Flag]:
    for category, (reason_id, reason_en, patterns) in _COMPILED.items():
        if any(pattern.search(text) for pattern in patterns):
            yield Flag(
                code=f"diskriminasi:{category}",
                field=field,
                message=f"Ada {reason_id}, yang dilarang SE Menaker M/6/HK.04/V/2025 /"
                f" {reason_en}, which SE Menaker M/6/HK.04/V/2025 forbids",
            )


def _fee(field: str, text: str) -> Iterable[Flag]:
    if _FEE.search(_NO_FEE.sub(" ", text)):
        yield Flag(
            code="biaya_pelamar",
            field=field,
            message="Pelamar tidak boleh dimintai biaya apa pun / applicants must not be asked"
            " for any fee or deposit",
        )


def _age(vacancy: Mapping[str, Any]) -> Iterable[Flag]:
    limited = (vacancy.get("age_min") or 0) > LEGAL_MIN_AGE or vacancy.get("age_max") is not None
    if limited and not (vacancy.get("age_reason") or "").strip():
        yield Flag(
            code="usia_tanpa_alasan",
            field="age_reason",
            message="Batas usia butuh alasan objektif / an age limit needs an objective reason",
        )


TEXT_FIELDS = ("title", "description", "how_to_apply", "skills", "shifts", "age_reason")


def check(vacancy: Mapping[str, Any]) -> list[Flag]:
    """Every flag of a vacancy, in field order; none means nothing for the operator to weigh."""
    flags: list[Flag] = []
    for field in TEXT_FIELDS:
        value = vacancy.get(field)
        text = " ; ".join(value) if isinstance(value, list | tuple) else str(value or "")
        if not text:
            continue
        flags.extend(_discrimination(field, text))
        if field != "age_reason":
            flags.extend(_fee(field, text))
    flags.extend(_age(vacancy))
    return list(dict.fromkeys(flags))
