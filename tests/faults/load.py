"""A steady mixed load over HTTP with the operator's token: registrations (and verification),
vacancy publications (which cause matches and WhatsApp messages through the fake gateway),
applications, hires, training enrollments and completions. It records every id it was given and
every NIK, phone and email it made up; a failed request (the fault at work) is counted, never
retried blindly, since a POST is not idempotent."""

import asyncio
import contextlib
import itertools
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from kerjalokal.testing.factories import registration

from .platform import OPERATOR, Platform

JAKARTA = ZoneInfo("Asia/Jakarta")


@dataclass
class Resident:
    resident_id: str
    round: int
    applied: str | None = None  # application id
    hired: bool = False
    enrollment: str | None = None
    completed: bool = False


@dataclass
class Load:
    platform: Platform
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    residents: dict[str, Resident] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)  # every NIK, phone and email made up
    ids: dict[str, set[str]] = field(default_factory=dict)  # kind -> ids acknowledged (2xx)
    failures: Counter[str] = field(default_factory=Counter)
    answers: dict[str, str] = field(default_factory=dict)  # kind -> last refusal (not residents')
    open_vacancies: list[str] = field(default_factory=list)
    company_id: str = ""
    institution_id: str = ""
    programme_id: str = ""
    session_id: str = ""
    session_seats: int = 0
    rounds: int = 0
    last_status: int = 0
    _round: Any = field(default_factory=itertools.count)

    def _client(self, name: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.platform.services[name].url, headers=OPERATOR, timeout=15
        )

    def _ack(self, kind: str, value: str) -> None:
        self.ids.setdefault(kind, set()).add(value)

    async def _post(
        self, client: httpx.AsyncClient, kind: str, path: str, body: Any = None
    ) -> dict[str, Any] | None:
        self.last_status = 0
        try:
            answer = await client.post(path, json=body)
        except httpx.HTTPError:
            self.failures[f"{kind}: no answer"] += 1
            return None
        self.last_status = answer.status_code
        if answer.status_code >= 300:
            self.failures[f"{kind}: {answer.status_code}"] += 1
            if kind not in ("registration", "verification"):  # their answers may echo PII
                self.answers[kind] = answer.text[:300]
            return None
        return dict(answer.json()) if answer.content else {}

    async def setup(self) -> None:
        async with self._client("vacancies") as vac, self._client("training") as tr:
            firm = await self._post(vac, "company", "/companies", _company())
            assert firm, self.answers
            self.company_id = firm["company_id"]
            assert await self._post(vac, "company", f"/companies/{self.company_id}/verify")
            blk = await self._post(tr, "institution", "/institutions", _institution())
            assert blk, self.answers
            self.institution_id = blk["institution_id"]
            programme = await self._post(tr, "programme", "/programmes", _programme(blk))
            assert programme, self.answers
            self.programme_id = programme["programme_id"]
            await self._new_session(tr)
            assert self.session_id, self.answers

    async def _new_session(self, tr: httpx.AsyncClient) -> None:
        today = date.today().isoformat()
        session = await self._post(
            tr, "session", f"/programmes/{self.programme_id}/sessions",
            {"starts_on": today, "ends_on": today, "capacity": 500},
        )  # fmt: skip
        if session:
            self.session_id, self.session_seats = session["session_id"], 480

    async def run(self, stop: asyncio.Event, *, pause: float = 0.05) -> None:
        """Rounds until `stop` is set."""
        async with (
            self._client("registry") as reg,
            self._client("vacancies") as vac,
            self._client("training") as tr,
        ):
            while not stop.is_set():
                await self.round(reg, vac, tr)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)

    async def round(
        self, reg: httpx.AsyncClient, vac: httpx.AsyncClient, tr: httpx.AsyncClient
    ) -> None:
        n = next(self._round)
        self.rounds += 1
        await self._register(reg, n)
        if n % 10 == 0 or not self.open_vacancies:
            await self._publish_vacancy(vac)
        settled = [r for r in self.residents.values() if r.round <= n - 8]
        self.rng.shuffle(settled)
        # even rounds' residents look for work, odd rounds' go to training first
        seekers = [r for r in settled if r.round % 2 == 0]
        trainees = [r for r in settled if r.round % 2 == 1]
        if self.open_vacancies and (r := next((r for r in seekers if not r.applied), None)):
            await self._apply(vac, r)
        if n % 2 == 0 and (r := next((r for r in seekers if r.applied and not r.hired), None)):
            await self._hire(vac, r)
        if r := next((r for r in trainees if not r.enrollment), None):
            await self._enroll(tr, r)
        done = (r for r in trainees if r.enrollment and not r.completed and r.round <= n - 6)
        if n % 2 == 1 and (r := next(done, None)):
            await self._complete(tr, r)

    async def _register(self, reg: httpx.AsyncClient, n: int) -> None:
        payload = registration(skills=["pengelasan", "gudang"])
        if n % 3:  # a third agree to be contacted: notify's messages stay a fraction of the load
            payload["consent"] = {"contact": False, "channels": []}
        self.secrets |= {payload["nik"], payload["phone"], payload["email"]}
        self.secrets.add("+62" + payload["phone"][1:])  # the gateway's form of the number
        created = await self._post(reg, "registration", "/residents", payload)
        if not created:
            return
        rid = created["resident_id"]
        self._ack("resident", rid)
        if await self._post(reg, "verification", f"/residents/{rid}/verify", {"officer": "Uji"}):
            self.residents[rid] = Resident(rid, n)

    async def _publish_vacancy(self, vac: httpx.AsyncClient) -> None:
        valid = datetime.now(JAKARTA).date() + timedelta(days=30)
        draft = await self._post(vac, "vacancy", "/vacancies", {
            "company_id": self.company_id, "title": "Operator Las", "description": "Mengelas.",
            "kbji_code": "7212.01", "openings": 200, "valid_until": valid.isoformat(),
            "education": {"minimum": 4}, "skills": ["pengelasan"],
            "work_desa_kode": "32.16.09.2004", "work_address": "Jababeka Blok W",
            "contract_type": "pkwt", "contract_months": 12,
        })  # fmt: skip
        if not draft:
            return
        vid = draft["vacancy_id"]
        if not await self._post(vac, "vacancy", f"/vacancies/{vid}/submit"):
            return
        if await self._post(vac, "vacancy", f"/vacancies/{vid}/approve", {}):
            self._ack("vacancy", vid)
            self.open_vacancies.append(vid)
        if len(self.open_vacancies) > 3:  # each new seeker is matched to every open vacancy
            oldest = self.open_vacancies.pop(0)
            await self._post(vac, "closing", f"/vacancies/{oldest}/close", {"reason": "closed"})

    async def _apply(self, vac: httpx.AsyncClient, r: Resident) -> None:
        body = {"vacancy_id": self.rng.choice(self.open_vacancies), "resident_id": r.resident_id}
        r.applied = "tried"
        if answer := await self._post(vac, "application", "/applications", body):
            r.applied = answer["application_id"]
            self._ack("application", r.applied)
        elif self.last_status == 422:  # not known there yet: refused, nothing committed
            r.applied = None

    async def _hire(self, vac: httpx.AsyncClient, r: Resident) -> None:
        r.hired = True
        if r.applied == "tried":
            return
        path = f"/applications/{r.applied}/transitions"
        for status in ("screening", "interview"):
            if not await self._post(vac, "hire", path, {"status": status}):
                return
        start = datetime.now(JAKARTA).date().isoformat()
        body = {"status": "hired", "start_date": start, "contract_type": "pkwt"}
        if await self._post(vac, "hire", path, body):
            self._ack("hire", r.resident_id)

    async def _enroll(self, tr: httpx.AsyncClient, r: Resident) -> None:
        r.enrollment = "tried"
        if self.session_seats <= 0:
            await self._new_session(tr)
        body = {"resident_id": r.resident_id}
        ready = {"resident_id": r.resident_id, "vocation": "Pengelasan", "kbji_code": "7212.01"}
        if not await self._post(tr, "ready pool", "/ready-pool", ready):
            if self.last_status == 422:  # not known there yet: refused, nothing committed
                r.enrollment = None
            return
        path = f"/sessions/{self.session_id}/enrollments"
        answer = await self._post(tr, "enrollment", path, body)
        if answer:
            self.session_seats -= 1
            r.enrollment = answer["enrollment_id"]
            self._ack("enrollment", r.enrollment)
        elif self.last_status == 422:  # not known there yet: refused, nothing committed
            r.enrollment = None

    async def _complete(self, tr: httpx.AsyncClient, r: Resident) -> None:
        r.completed = True
        if r.enrollment == "tried":
            return
        skill = {"skill": "Pengelasan", "scheme": "SKKNI Pengelasan SMAW",
                 "certificate_number": f"BNSP-F-{r.resident_id[:8]}"}  # fmt: skip
        body = {"passed": True, "certified_skills": [skill]}
        if await self._post(tr, "completion", f"/enrollments/{r.enrollment}/complete", body):
            self._ack("completion", r.enrollment or "")


def _company() -> dict[str, Any]:
    return {
        "name": "PT Uji Ketahanan",
        "nib": "9120000007777",
        "kbli_code": "25111",
        "kbli_version": "2020",
        "industrial_estate": "Kawasan Industri Jababeka",
        "address": {"street": "Jl. Jababeka XII Blok W", "desa_kode": "32.16.09.2002"},
        "hr_contact": {"name": "Ibu HRD", "phone": "081300000001", "email": "hrd@uji.co.id"},
    }


def _institution() -> dict[str, Any]:
    return {
        "type": "blk_uptd",
        "name": "UPTD BLK Uji",
        "licence_status": "licensed",
        "address": {"street": "Jl. Raya Sriamur", "desa_kode": "32.16.05.2006"},
    }


def _programme(blk: dict[str, Any]) -> dict[str, Any]:
    return {
        "institution_id": blk["institution_id"],
        "title": "Pengelasan SMAW",
        "vocation": "Pengelasan",
        "kbji_code": "7212.01",
        "competency_scheme": "SKKNI Pengelasan SMAW",
        "skills": ["pengelasan"],
        "hours": 160,
        "capacity": 500,
        "requirements": {"min_age": 18, "min_education_level": 4},
    }
