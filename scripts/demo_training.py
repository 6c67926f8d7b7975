"""Demo data for training that reproduces the story: 1,200 candidates in training now, in 60
sessions (angkatan) of 20 at a regency BLK, LPKs, a BLK Komunitas at a pesantren and the UPK,
with the next session of each programme opened, and 1,070 more ready for training.

The seekers are the registry's demo seekers, read over its HTTP API; training learns them from
the registry's events, so this waits until its projection has them. Every step goes through
training's HTTP API as the operator. Deterministic and re-runnable: institutions and programmes
are found by name, sessions by number, and enrollments and assessments already made are kept.

Seekers sorted by resident id, placed and expired ones left out: in that order the first 1,200
that a session with a free seat accepts (education) are enrolled, the next 1,070 are assessed
ready; the rest (480 of the registry's 2,750) are left for the vacancies demo to hire.
"""

import time
from datetime import date, timedelta
from typing import Any

import httpx

IN_TRAINING = 1200
READY = 1070
SEATS = 20
RUNNING_PER_PROGRAMME = 5
REGISTRY = "http://127.0.0.1:8001"
TRAINING = "http://127.0.0.1:8003"

INSTITUTIONS = (
    (
        "blk_uptd",
        "UPTD BLK Kabupaten Bekasi",
        "Jl. Raya Sriamur No. 1, Tambun Utara",
        "32.16.05.2004",
        "licensed",
        None,
    ),
    (
        "lpk",
        "LPK Bina Teknik Cikarang",
        "Jl. Industri Selatan 5, Pasirgombong",
        "32.16.09.2006",
        "accredited",
        "A",
    ),
    (
        "lpk",
        "LPK Mitra Busana Tambun",
        "Jl. Sultan Hasanudin 88, Tambun",
        "32.16.06.2004",
        "accredited",
        "B",
    ),
    (
        "lpk",
        "LPK Logistik Nusantara Cibitung",
        "Jl. Raya Cibitung 21, Wanasari",
        "32.16.07.1001",
        "licensed",
        None,
    ),
    (
        "blk_komunitas",
        "BLK Komunitas Pondok Pesantren Al-Mubarok",
        "Kp. Pesantren RT 02, Sukamahi",
        "32.16.20.2002",
        "licensed",
        None,
    ),
    (
        "upk",
        "UPK Disnaker Kabupaten Bekasi",
        "Kompleks Pemda Desa Sukamahi, Cikarang Pusat",
        "32.16.20.2002",
        "licensed",
        None,
    ),
)

# (institution, title, vocation, KBJI, scheme, skills, hours, minimum education level)
PROGRAMMES = (
    (
        "UPTD BLK Kabupaten Bekasi",
        "Pengelasan SMAW 3G",
        "Pengelasan",
        "7212.01",
        "SKKNI Pengelasan (Kepmenaker 2016)",
        ("pengelasan",),
        240,
        4,
    ),
    (
        "UPTD BLK Kabupaten Bekasi",
        "Operator Mesin CNC Bubut",
        "Operator CNC",
        "7223.01",
        "SKKNI Pemesinan CNC",
        ("operator cnc", "bubut"),
        240,
        5,
    ),
    (
        "UPTD BLK Kabupaten Bekasi",
        "Instalasi Listrik Industri",
        "Listrik Industri",
        "7411",
        "SKKNI Instalasi Listrik",
        ("listrik industri",),
        240,
        5,
    ),
    (
        "UPTD BLK Kabupaten Bekasi",
        "Teknisi Otomotif Sepeda Motor",
        "Mekanik Otomotif",
        "7231",
        "SKKNI Otomotif",
        ("mekanik otomotif",),
        160,
        4,
    ),
    (
        "LPK Bina Teknik Cikarang",
        "Operator Produksi Manufaktur",
        "Operator Produksi",
        "8189",
        "SKKNI Operator Produksi",
        ("operator produksi",),
        160,
        4,
    ),
    (
        "LPK Bina Teknik Cikarang",
        "Perakitan Elektronik",
        "Perakitan Elektronik",
        "8212",
        "SKKNI Perakitan Elektronika",
        ("perakitan elektronik",),
        160,
        4,
    ),
    (
        "LPK Bina Teknik Cikarang",
        "Quality Control Manufaktur",
        "Quality Control",
        "7543",
        "SKKNI Pengendalian Mutu",
        ("quality control",),
        120,
        5,
    ),
    (
        "LPK Mitra Busana Tambun",
        "Menjahit Pakaian dengan Mesin Industri",
        "Menjahit",
        "8153",
        "SKKNI Garmen",
        ("menjahit",),
        160,
        3,
    ),
    (
        "LPK Logistik Nusantara Cibitung",
        "Operator Forklift",
        "Forklift",
        "8344",
        "SKKNI Operator Forklift (SIO)",
        ("forklift",),
        80,
        4,
    ),
    (
        "LPK Logistik Nusantara Cibitung",
        "Administrasi Gudang",
        "Gudang",
        "4321",
        "SKKNI Pergudangan",
        ("gudang",),
        120,
        4,
    ),
    (
        "BLK Komunitas Pondok Pesantren Al-Mubarok",
        "Menjahit Busana Muslim",
        "Menjahit",
        "7533",
        "SKKNI Menjahit",
        ("menjahit",),
        160,
        3,
    ),
    (
        "BLK Komunitas Pondok Pesantren Al-Mubarok",
        "Komputer Perkantoran",
        "Komputer Perkantoran",
        "4132",
        "SKKNI Operator Komputer",
        ("komputer perkantoran",),
        120,
        4,
    ),
)


def seed(env: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {env['OPERATOR_TOKEN']}"}
    with (
        httpx.Client(base_url=REGISTRY, headers=headers, timeout=60) as registry,
        httpx.Client(base_url=TRAINING, headers=headers, timeout=120) as training,
    ):
        seekers = _registry_seekers(registry)
        _wait_for_projection(training, len(seekers))
        institutions = _institutions(training)
        programmes = [_programme(training, institutions, spec) for spec in PROGRAMMES]
        sessions = _sessions(training, programmes)
        eligible = [s for s in seekers if s["status"] not in ("placed", "expired")]
        plan, rest = _assign(eligible, sessions)
        ready = rest[:READY]
        _assess(training, [(s, p["vocation"], p["kbji_code"]) for s, p in plan])
        _assess(training, [(s, *_wish(s, programmes)) for s in ready])
        _enroll(training, plan)
        _apprenticeship(training, institutions)
        summary = training.get("/reports/summary").raise_for_status().json()
        print(
            f"demo: training {summary['in_training']} in training in {summary['sessions_running']}"
            f" running sessions, {summary['ready']} ready for training,"
            f" {summary['waitlisted']} waiting, {summary['institutions']} institutions"
        )


def _registry_seekers(registry: httpx.Client) -> list[dict[str, Any]]:
    seekers: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = registry.get("/residents", params={"limit": 100, "offset": offset})
        items = page.raise_for_status().json()["items"]
        seekers += items
        offset += 100
        if len(items) < 100:
            return sorted(seekers, key=lambda s: s["resident_id"])


def _wait_for_projection(training: httpx.Client, expected: int, timeout: float = 300) -> None:
    """The registry's events reach training asynchronously: wait until it knows every seeker."""
    deadline = time.monotonic() + timeout
    known = 0
    while time.monotonic() < deadline:
        known = training.get("/reports/summary").raise_for_status().json()["seekers_known"]
        if known >= expected:
            return
        time.sleep(1)
    raise SystemExit(f"training knows {known} of {expected} seekers after {timeout:.0f}s")


def _institutions(training: httpx.Client) -> dict[str, str]:
    existing = {i["name"]: i["institution_id"] for i in training.get("/institutions").json()}
    for kind, name, street, desa, status, grade in INSTITUTIONS:
        if name not in existing:
            created = training.post(
                "/institutions",
                json={
                    "type": kind,
                    "name": name,
                    "licence_status": status,
                    "accreditation": grade,
                    "licence_number": f"560/{kind.upper()}/{len(existing) + 1:03d}/Disnaker",
                    "address": {"street": street, "desa_kode": desa},
                },
            )
            existing[name] = created.raise_for_status().json()["institution_id"]
    return existing


def _programme(training: httpx.Client, institutions: dict[str, str], spec: tuple) -> dict:
    owner, title, vocation, kbji, scheme, skills, hours, level = spec
    found = training.get(
        "/programmes", params={"institution_id": institutions[owner], "limit": 500}
    ).json()["items"]
    for programme in found:
        if programme["title"] == title:
            return dict(programme)
    created = training.post(
        "/programmes",
        json={
            "institution_id": institutions[owner],
            "title": title,
            "vocation": vocation,
            "kbji_code": kbji,
            "competency_scheme": scheme,
            "skills": list(skills),
            "hours": hours,
            "capacity": SEATS,
            "schedule": "Senin-Jumat 08.00-16.00",
            "requirements": {"min_age": 18, "max_age": 45, "min_education_level": level},
        },
    )
    return dict(created.raise_for_status().json())


def _sessions(training: httpx.Client, programmes: list[dict]) -> list[tuple[dict, dict]]:
    """Five running angkatan per programme (parallel classes, staggered starts) and the next one."""
    today = date.today()
    running = []
    for index, programme in enumerate(programmes):
        path = f"/programmes/{programme['programme_id']}/sessions"
        sessions = training.get(path).raise_for_status().json()
        days = max(programme["hours"] // 8, 10)
        for number in range(len(sessions) + 1, RUNNING_PER_PROGRAMME + 2):
            starts = today - timedelta(days=(index + number) % 7 + 1)
            if number > RUNNING_PER_PROGRAMME:  # the next session follows
                starts = today + timedelta(days=days + 7)
            sessions.append(
                training.post(
                    path,
                    json={
                        "starts_on": starts.isoformat(),
                        "ends_on": (starts + timedelta(days=days)).isoformat(),
                        "location": "Ruang praktik " + str(number),
                    },
                )
                .raise_for_status()
                .json()
            )
        running += [(programme, s) for s in sorted(sessions, key=lambda s: s["number"])[:5]]
    return running


def _assign(
    eligible: list[dict], sessions: list[tuple[dict, dict]]
) -> tuple[list[tuple[dict, dict]], list[dict]]:
    """In order, each seeker to the first session with a free seat whose programme they qualify
    for, until 1,200 are placed in a session; the others, in the same order, stay to be ready."""
    seats = {s["session_id"]: SEATS for _, s in sessions}
    plan, rest = [], []
    for seeker in eligible:
        fits = [
            (programme, session)
            for programme, session in sessions
            if seats[session["session_id"]]
            and seeker["education"]["level"]
            >= (programme["requirements"]["min_education_level"] or 0)
        ]
        if len(plan) < IN_TRAINING and fits:
            programme, session = fits[0]
            seats[session["session_id"]] -= 1
            plan.append((seeker, programme | {"session_id": session["session_id"]}))
        else:
            rest.append(seeker)
    return plan, rest


def _wish(seeker: dict, programmes: list[dict]) -> tuple[str, str | None]:
    """The vocation a ready seeker asked for: one matching a skill they list, else by turn."""
    for programme in programmes:
        if set(programme["skills"]) & set(seeker["skills"]):
            return programme["vocation"], programme["kbji_code"]
    programme = programmes[int(seeker["resident_id"][:8], 16) % len(programmes)]
    return programme["vocation"], programme["kbji_code"]


def _assess(training: httpx.Client, items: list[tuple[dict, str, str | None]]) -> None:
    for start in range(0, len(items), 500):
        chunk = [
            {"resident_id": s["resident_id"], "vocation": vocation, "kbji_code": kbji}
            for s, vocation, kbji in items[start : start + 500]
        ]
        answer = training.post("/ready-pool/bulk", json={"items": chunk}).raise_for_status().json()
        for item in answer["items"]:
            if item["result"] == "refused" and "sedang mengikuti" not in item["reason"]:
                print(f"demo: training refused {item['resident_id']}: {item['reason']}")


def _enroll(training: httpx.Client, plan: list[tuple[dict, dict]]) -> None:
    by_session: dict[str, list[str]] = {}
    for seeker, programme in plan:
        by_session.setdefault(programme["session_id"], []).append(seeker["resident_id"])
    for session_id, residents in by_session.items():
        answer = (
            training.post(
                f"/sessions/{session_id}/enrollments/bulk", json={"resident_ids": residents}
            )
            .raise_for_status()
            .json()
        )
        for item in answer["items"]:
            if item["result"] == "refused":
                print(f"demo: training refused {item['resident_id']}: {item['reason']}")


def _apprenticeship(training: httpx.Client, institutions: dict[str, str]) -> None:
    """A pemagangan at the first partner company the vacancies service verified, if any."""
    companies = training.get("/companies").raise_for_status().json()
    if not companies:
        print("demo: training opened no apprenticeship (no verified partner company yet)")
        return
    host = companies[0]
    upk = institutions["UPK Disnaker Kabupaten Bekasi"]
    title = f"Pemagangan Operator Produksi {host['company_name']}"
    found = _existing(training, upk, title)
    if found is None:
        found = (
            training.post(
                "/programmes",
                json={
                    "institution_id": upk,
                    "kind": "apprenticeship",
                    "title": title,
                    "vocation": "Operator Produksi",
                    "kbji_code": "8189",
                    "competency_scheme": "SKKNI Operator Produksi",
                    "skills": ["operator produksi"],
                    "hours": 480,
                    "capacity": SEATS,
                    "requirements": {"min_age": 18, "max_age": 30, "min_education_level": 5},
                    "apprenticeship": {
                        "host_company_id": host["company_id"],
                        "agreement_number": "560/PKS-MAG/001/Disnaker/2022",
                        "agreement_signed_on": "2022-06-02",
                        "mentor": {"name": "Supervisor Produksi"},
                        "stipend_basis": "umk_prorata",
                    },
                },
            )
            .raise_for_status()
            .json()
        )
        starts = date.today() + timedelta(days=14)
        training.post(
            f"/programmes/{found['programme_id']}/sessions",
            json={
                "starts_on": starts.isoformat(),
                "ends_on": (starts + timedelta(days=90)).isoformat(),
            },
        ).raise_for_status()


def _existing(training: httpx.Client, institution_id: str, title: str) -> dict | None:
    found = training.get(
        "/programmes", params={"institution_id": institution_id, "limit": 500}
    ).json()["items"]
    return next((p for p in found if p["title"] == title), None)
