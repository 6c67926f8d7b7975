"""Demo data that reproduces the story: the office's existing list of 2,750 job seekers with a
Kabupaten Bekasi KTP (480 since placed, 1,200 now in training, 1,070 ready for training), spread
over the 187 desa, imported the way the office would: a CSV through the registry's import.

Deterministic: the same file every time, so running it again changes nothing.
"""

import csv
import io
import random
import time
from datetime import date

import httpx

from kerjalokal.reference import all_desa

SEEKERS = 2750
VERIFIED = 1500
SKILLS = (
    "operator produksi", "pengelasan", "operator cnc", "menjahit", "perakitan elektronik",
    "quality control", "forklift", "gudang", "mekanik otomotif", "listrik industri",
    "administrasi", "kebersihan", "tata boga", "komputer perkantoran", "bubut",
)  # fmt: skip
MAJORS = ("Teknik Mesin", "Teknik Elektronika", "Teknik Otomotif", "Tata Busana", "Akuntansi")
GIVEN = ("Agus", "Siti", "Dewi", "Budi", "Rina", "Eko", "Nur", "Ahmad", "Lestari", "Yusuf", "Wati")
FAMILY = ("Saputra", "Lestari", "Hidayat", "Rahmawati", "Setiawan", "Kurniawan", "Permata")


def _row(rng: random.Random, serial: int) -> dict[str, str]:
    sex = rng.choice("LP")
    born = date(rng.randint(1984, 2006), rng.randint(1, 12), rng.randint(1, 28))
    desa = rng.choice(all_desa())
    kecamatan = desa.kode[6:8]
    day = born.day + (40 if sex == "P" else 0)
    level = rng.choices((3, 4, 5, 6, 7, 8), weights=(4, 14, 60, 4, 8, 10))[0]
    vocational = level == 5 and rng.random() < 0.6
    consent = rng.random() < 0.9
    return {
        "nik": f"3216{kecamatan}{day:02d}{born:%m%y}{serial:04d}",
        "full_name": f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
        "sex": sex,
        "birth_date": born.strftime("%d-%m-%Y"),
        "birth_place": "Bekasi",
        "phone": f"08{rng.choice('1235789')}{rng.randint(10_000_000, 99_999_999)}",
        "email": "",
        "street": f"Kp. {desa.nama} RT 0{rng.randint(1, 9)}",
        "rt": f"00{rng.randint(1, 9)}",
        "rw": f"00{rng.randint(1, 9)}",
        "desa_kode": desa.kode,
        "postal_code": "",
        "education_level": str(level),
        "education_track": "kejuruan" if vocational else "",
        "education_major": rng.choice(MAJORS) if vocational else "",
        "skills": ";".join(rng.sample(SKILLS, rng.randint(1, 3))),
        "consent_contact": "ya" if consent else "tidak",
        "channels": rng.choice(("whatsapp", "sms", "whatsapp;sms")) if consent else "",
    }


def seeker_csv() -> bytes:
    rng = random.Random(2022)  # the year of the story
    buffer = io.StringIO()
    rows = [_row(rng, serial) for serial in range(1, SEEKERS + 1)]
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def seed(env: dict[str, str], base_url: str = "http://127.0.0.1:8001") -> None:
    headers = {"Authorization": f"Bearer {env['OPERATOR_TOKEN']}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
        upload = {"file": ("pencaker-disnaker-2022.csv", seeker_csv(), "text/csv")}
        job = http.post("/imports", files=upload).raise_for_status().json()
        while job["status"] == "running":
            time.sleep(0.5)
            job = http.get(f"/imports/{job['import_id']}").raise_for_status().json()
        print(
            f"demo: {job['imported']} seekers imported, {job['already_registered']} already there,"
            f" {len(job['errors'])} rows refused"
        )
        _verify(http)
        _village_admin_keys(http)


DEMO_ADMINS = (("32.16.09.2004", "Desa Waluya"), ("32.16.19.2004", "Desa Sukadami"))


def _village_admin_keys(http: httpx.Client) -> None:
    """Village admins are API keys of the registry (POST /api-keys), shown once: the demo ends
    its earlier demo keys and issues fresh ones for Desa Waluya and Desa Sukadami."""
    labels = {f"Admin {name} (demo)": kode for kode, name in DEMO_ADMINS}
    for key in http.get("/api-keys").raise_for_status().json():
        if key["label"] in labels:
            http.delete(f"/api-keys/{key['key_id']}").raise_for_status()
    for label, kode in labels.items():
        issued = http.post(
            "/api-keys",
            json={"role": "village_admin", "label": label, "scope": {"desa_kode": kode},
                  "expires_in_days": 30},
        ).raise_for_status().json()  # fmt: skip
        print(f"demo: registry key for {label}: {issued['key']}")


def _verify(http: httpx.Client) -> None:
    """The pengantar kerja verifies documents and issues AK/1 cards to most of them."""
    carded = sum(  # every seeker who once got a card, whatever happened since (hired, lapsed)
        http.get("/residents", params={"limit": 1, "status": status}).json()["total"]
        for status in ("verified", "active", "lapsed", "placed", "expired")
    )
    for _ in range(0, max(VERIFIED - carded, 0), 100):
        page = http.get("/residents", params={"status": "registered", "limit": 100}).json()
        for resident in page["items"]:
            http.post(
                f"/residents/{resident['resident_id']}/verify",
                json={"officer": "Pengantar Kerja Demo"},
            ).raise_for_status()
    counts = {
        status: http.get("/residents", params={"limit": 1, "status": status}).json()["total"]
        for status in ("registered", "verified", "active")
    }
    print("demo: seekers by status " + ", ".join(f"{k}={v}" for k, v in counts.items()))
