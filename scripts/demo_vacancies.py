"""Demo data for vacancies that reproduces the story: the 61 partner companies that signed an MoU
with the office, in the regency's industrial estates, verified, with local-hire commitments that
add up to the target of 3,000; 120 published vacancies; and the 480 residents already hired,
taken from the registry's demo seekers and hired through applications, as the office would.

Only the services' HTTP APIs are used (the registry on 8001, vacancies on 8002), with the
operator token. Deterministic and safe to run again: companies are found by NIB, vacancies by
title per company, and only the hires still missing from the 480 are made.
"""

import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from kerjalokal.reference import desa

COMPANIES = 61
TARGET = 3000
VACANCIES = 120
HIRES = 480
# (estate, the desa codes it spreads over)
ESTATES = (
    ("Kawasan Industri Jababeka", ("32.16.09.2006", "32.16.09.2010", "32.16.09.2002")),
    ("Kawasan Industri MM2100", ("32.16.08.2005", "32.16.08.2004")),
    ("East Jakarta Industrial Park (EJIP)", ("32.16.19.2005", "32.16.19.2003")),
    ("Kawasan Industri Hyundai", ("32.16.19.2006",)),
    ("Lippo Cikarang (Delta Silicon)", ("32.16.19.2001",)),
    ("Kota Deltamas / GIIC", ("32.16.20.2003", "32.16.20.2004", "32.16.20.2005")),
    ("Bekasi Fajar Industrial Estate", ("32.16.08.2002",)),
    ("Kawasan Industri Gobel", ("32.16.07.2002", "32.16.07.2004")),
    ("Marunda Center", ("32.16.01.2002",)),
)
# (KBLI 2020, what the company makes)
INDUSTRIES = (
    ("29300", "Komponen Otomotif"), ("29100", "Otomotif"), ("30911", "Sepeda Motor"),
    ("22220", "Kemasan Plastik"), ("22299", "Plastik"), ("24101", "Baja"),
    ("25111", "Konstruksi Baja"), ("27320", "Kabel"), ("26120", "Elektronika"),
    ("10792", "Makanan"), ("13121", "Tekstil"), ("20119", "Kimia"), ("17022", "Kertas"),
)  # fmt: skip
PREFIXES = (
    "Cikarang", "Bekasi", "Nusantara", "Karya", "Mitra", "Sinar", "Jaya", "Prima", "Tunas",
    "Citra", "Sentosa", "Bina", "Surya", "Indo", "Mega", "Graha",
)  # fmt: skip
SUFFIXES = ("Indonesia", "Manufacturing", "Industri", "Presisi", "Perkasa", "Utama", "Abadi")
# (title, KBJI 2014, skills, education minimum, track)
JOBS = (
    ("Operator Produksi", "8189.01", ["operator produksi"], 5, None),
    ("Juru Las (Welder)", "7212.01", ["pengelasan"], 5, "kejuruan"),
    ("Operator Mesin CNC", "7223.01", ["operator cnc", "bubut"], 5, "kejuruan"),
    ("Operator Forklift", "8344.01", ["forklift", "gudang"], 4, None),
    ("Quality Control", "7543.01", ["quality control"], 5, None),
    ("Staf Gudang", "4321.01", ["gudang", "komputer perkantoran"], 5, None),
    ("Operator Mesin Jahit", "8153.01", ["menjahit"], 4, None),
    ("Perakit Elektronik", "8212.01", ["perakitan elektronik"], 5, None),
    ("Mekanik Otomotif", "7231.01", ["mekanik otomotif"], 5, "kejuruan"),
    ("Teknisi Listrik Industri", "7412.01", ["listrik industri"], 5, "kejuruan"),
    ("Staf Administrasi Produksi", "4110.01", ["administrasi", "komputer perkantoran"], 5, None),
    ("Petugas Kebersihan Pabrik", "9112.01", ["kebersihan"], 3, None),
)
HR_GIVEN = ("Ratna", "Dedi", "Yanti", "Hendra", "Sri", "Bambang", "Intan", "Rudi")
WIB = ZoneInfo("Asia/Jakarta")


def companies() -> list[dict[str, Any]]:
    """The 61 partners: deterministic names, NIBs, estates, KBLI, HR contacts, commitments."""
    rng = random.Random(61)
    names: dict[str, None] = {}
    while len(names) < COMPANIES:
        names[f"PT {rng.choice(PREFIXES)} {rng.choice(INDUSTRIES)[1]} {rng.choice(SUFFIXES)}"] = (
            None
        )
    weights = [rng.randint(2, 9) for _ in range(COMPANIES)]
    commitments = _apportion(TARGET, weights)
    result = []
    for n, name in enumerate(names):
        estate, villages = ESTATES[n % len(ESTATES)]
        kbli = next(code for code, what in INDUSTRIES if what in name)
        village = villages[n % len(villages)]
        assert desa(village) is not None, village
        result.append({
            "name": name,
            "nib": f"91203{n + 1:08d}",
            "kbli_code": kbli,
            "kbli_version": "2020",
            "industrial_estate": estate,
            "address": {"street": f"Blok {chr(65 + n % 12)}{n % 9 + 1} No. {n + 3}",
                        "desa_kode": village},
            "hr_contact": {
                "name": f"{HR_GIVEN[n % len(HR_GIVEN)]} (HRD {name.split()[1]})",
                "phone": f"0812{7000000 + n * 1371:08d}",
                "email": f"hrd{n + 1}@mitra-disnaker.example",
            },
            "commitment": commitments[n],
        })  # fmt: skip
    return result


def _apportion(total: int, weights: list[int]) -> list[int]:
    """Whole numbers in proportion to `weights` that add up to `total` (largest remainder)."""
    exact = [total * w / sum(weights) for w in weights]
    parts = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - parts[i], reverse=True)
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def vacancies_of(company: dict[str, Any], n: int, today: Any) -> Iterator[dict[str, Any]]:
    """Two vacancies per company (one for the last two), in the company's desa."""
    count = 2 if n < VACANCIES - COMPANIES else 1
    for k in range(count):
        title, kbji, skills, minimum, track = JOBS[(n * 2 + k) % len(JOBS)]
        yield {
            "title": title,
            "description": f"{title} di {company['name']}, {company['industrial_estate']}."
            " Terbuka bagi laki-laki dan perempuan; pelatihan kerja diberikan.",
            "kbji_code": kbji,
            "openings": 5 + (n * 7 + k * 3) % 11,
            "valid_until": (today + timedelta(days=20 + (n + k * 13) % 40)).isoformat(),
            "education": {"minimum": minimum, "track": track},
            "skills": skills,
            "wage": {"minimum": 5_558_515, "maximum": 5_558_515 + 250_000 * (n % 5)},
            "work_desa_kode": company["address"]["desa_kode"],
            "work_address": f"{company['industrial_estate']}, {company['address']['street']}",
            "contract_type": ("pkwt", "pkwtt", "magang")[(n + k) % 3],
            "contract_months": (12, None, 6)[(n + k) % 3],
            "shifts": ["pagi", "siang", "malam"][: 1 + (n + k) % 3],
            "local_share_percent": 30 + 10 * (n % 4),
            "outsourcing": False,
            "disability_friendly": n % 5 == 0,
            "how_to_apply": "Melalui petugas Disnaker atau admin desa. Tanpa biaya apa pun.",
        }


def seed(
    env: dict[str, str],
    base_url: str = "http://127.0.0.1:8002",
    registry_url: str = "http://127.0.0.1:8001",
) -> None:
    headers = {"Authorization": f"Bearer {env['OPERATOR_TOKEN']}"}
    today = datetime.now(WIB).date()
    with (
        httpx.Client(base_url=base_url, headers=headers, timeout=60) as http,
        httpx.Client(base_url=registry_url, headers=headers, timeout=60) as registry,
    ):
        partners = _companies(http)
        published = _vacancies(http, partners, today)
        hired = _hires(http, registry, published, today)
        token = http.post(f"/companies/{partners[0]['company_id']}/tokens").raise_for_status()
        figures = http.get("/figures").raise_for_status().json()
        print(
            f"demo: {len(partners)} partner companies, {len(published)} published vacancies,"
            f" {hired} hires made now; {figures['hires']} hires in all,"
            f" {figures['local_hires']} local of the target {figures['target_local_hires']:,}"
        )
        print(f"demo: HR token of {partners[0]['name']}: {token.json()['hr_token']}")


def _companies(http: httpx.Client) -> list[dict[str, Any]]:
    known = {c["nib"]: c for c in _all(http, "/companies")}
    partners = []
    for plan in companies():
        commitment = plan.pop("commitment")
        company = known.get(plan["nib"])
        if company is None:
            company = http.post("/companies", json=plan).raise_for_status().json()
        if company["status"] != "verified":
            company = (
                http.post(f"/companies/{company['company_id']}/verify").raise_for_status().json()
            )
        cid = company["company_id"]
        if not http.get(f"/companies/{cid}/partnerships").raise_for_status().json():
            mou = {
                "mou_number": f"560/MoU-{plan['nib'][-3:]}/Disnaker/2022",
                "local_hires_committed": commitment,
                "local_share_percent": 30 + 10 * (int(plan["nib"]) % 4),
                "starts_on": "2022-06-01",
                "ends_on": (datetime.now(WIB).date() + timedelta(days=365)).isoformat(),
            }
            http.post(f"/companies/{cid}/partnerships", json=mou).raise_for_status()
        partners.append(company)
    return partners


def _vacancies(
    http: httpx.Client, partners: list[dict[str, Any]], today: Any
) -> list[dict[str, Any]]:
    published = []
    for n, company in enumerate(partners):
        cid = company["company_id"]
        existing = {v["title"]: v for v in _all(http, "/vacancies", company_id=cid)}
        for plan in vacancies_of(company, n, today):
            vacancy = (
                existing.get(plan["title"])
                or http.post("/vacancies", json=plan | {"company_id": cid})
                .raise_for_status()
                .json()
            )
            vid = vacancy["vacancy_id"]
            if vacancy["status"] == "draft":
                vacancy = http.post(f"/vacancies/{vid}/submit").raise_for_status().json()
            if vacancy["status"] == "pending_review":
                vacancy = http.post(f"/vacancies/{vid}/approve", json={}).raise_for_status().json()
            published.append(vacancy)
    return published


def _hires(
    http: httpx.Client, registry: httpx.Client, vacancies: list[dict[str, Any]], today: Any
) -> int:
    """Hire the seekers still missing from the 480, through a referral and an application each,
    spread over the published vacancies."""
    missing = HIRES - http.get("/figures").raise_for_status().json()["hires"]
    if missing <= 0:
        return 0
    active = sorted(r["resident_id"] for r in _all(registry, "/residents", status="active"))
    chosen = [rid for rid in active if _known(http, rid)][:missing]
    open_ = [v["vacancy_id"] for v in vacancies if v["status"] == "published"]
    jobs = [(rid, open_[i % len(open_)]) for i, rid in enumerate(chosen)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        return sum(pool.map(lambda job: _hire(http, *job, today=today), jobs))


def _known(http: httpx.Client, rid: str) -> bool:
    """Vacancies learned the seeker from the registry's events and holds them active."""
    answer = http.get(f"/seekers/{rid}")
    return answer.status_code == 200 and answer.json()["status"] == "active"


def _hire(http: httpx.Client, resident_id: str, vacancy_id: str, *, today: Any) -> int:
    body = {"vacancy_id": vacancy_id, "resident_id": resident_id, "channel": "referral"}
    answer = http.post("/applications", json=body)
    if answer.status_code == 409 and "existing" in answer.json():
        answer = http.get(answer.json()["existing"])
    application = answer.raise_for_status().json()
    path = f"/applications/{application['application_id']}/transitions"
    steps = ["submitted", "screening", "interview", "hired"]
    if application["status"] not in steps[:-1]:
        return 0
    for status in steps[steps.index(application["status"]) + 1 :]:
        move: dict[str, Any] = {"status": status}
        if status == "hired":
            move |= {"start_date": today.isoformat(), "contract_type": "pkwt"}
        http.post(path, json=move).raise_for_status()
    return 1


def _all(http: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = http.get(path, params=params | {"limit": 100, "offset": len(items)})
        body = page.raise_for_status().json()
        items += body["items"]
        if len(items) >= body["total"] or not body["items"]:
            return items


if __name__ == "__main__":
    import os
    import sys

    sys.path.insert(0, os.path.dirname(__file__))
    from run_platform import load_env

    seed(load_env())
