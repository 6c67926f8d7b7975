"""Test data that looks like Kabupaten Bekasi: valid NIKs, phones, desa codes, registrations."""

import itertools
import random
from datetime import date
from typing import Any

_rng = random.Random()
_serials = itertools.count(_rng.randint(1, 5000))
BEKASI_DESA = ("32.16.09.2004", "32.16.19.2004", "32.16.06.2004", "32.16.08.2005", "32.16.20.2001")


def nik(*, sex: str = "L", birth_date: date = date(2000, 5, 17), region: str = "321609") -> str:
    day = birth_date.day + (40 if sex == "P" else 0)
    serial = next(_serials) % 9999 + 1
    return f"{region}{day:02d}{birth_date:%m%y}{serial:04d}"


def phone() -> str:
    return f"08{_rng.choice('1235789')}{_rng.randint(10_000_000, 99_999_999)}"


def registration(**overrides: Any) -> dict[str, Any]:
    sex = overrides.pop("sex", _rng.choice("LP"))
    born = overrides.pop("birth_date", None) or date(
        _rng.randint(1985, 2006), _rng.randint(1, 12), _rng.randint(1, 28)
    )
    born = date.fromisoformat(born) if isinstance(born, str) else born
    payload = {
        "nik": nik(sex=sex, birth_date=born),
        "full_name": f"Warga Uji {_rng.randint(1, 999_999)}",
        "sex": sex,
        "birth_date": born.isoformat(),
        "birth_place": "Bekasi",
        "phone": phone(),
        "email": f"warga{_rng.randint(1, 10**9)}@example.org",
        "address": {
            "street": "Jl. Raya Industri 12",
            "rt": "001",
            "rw": "004",
            "desa_kode": _rng.choice(BEKASI_DESA),
        },
        "education": {"level": 5, "track": "kejuruan", "major": "Teknik Mesin"},
        "skills": ["pengelasan"],
        "occupation_interests": ["7212.01"],
        "consent": {"contact": True, "channels": ["whatsapp"]},
    }
    return payload | overrides
