"""Demo data for the console: the regent's campaign from the story, "100 hari kerja Bupati:
3.000 warga ber-KTP Bekasi bekerja" (target 3,000 local hires in 100 working days), started 20
working days before today so that today falls inside it. Its figures (61 partner companies, 480
placed, 1,200 in training, 1,070 ready) come from the other services' demos, through events.

Idempotent: the campaign is PUT under a fixed slug, so running it again changes nothing.
"""

import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from console.domain import workdays

SLUG = "100-hari-kerja-bupati"
NAME = "100 hari kerja Bupati: 3.000 warga ber-KTP Bekasi bekerja"
TARGET, WORKING_DAYS, DAYS_GONE = 3000, 100, 20


def campaign_start(today: date) -> date:
    day, seen = today, 0
    while seen < DAYS_GONE:
        day -= timedelta(days=1)
        seen += workdays.is_working_day(day)
    return day


def seed(env: dict[str, str], base_url: str = "http://127.0.0.1:8000") -> None:
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
    start = (
        date.fromisoformat(env["CONSOLE_DEMO_START"])
        if env.get("CONSOLE_DEMO_START")
        else campaign_start(today)
    )
    headers = {"Authorization": f"Bearer {env['OPERATOR_TOKEN']}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
        campaign = (
            http.put(
                f"/api/campaigns/{SLUG}",
                json={
                    "name": NAME,
                    "target": TARGET,
                    "starts_on": start.isoformat(),
                    "working_days": WORKING_DAYS,
                },
            )
            .raise_for_status()
            .json()
        )
        print(f"demo: campaign '{NAME}' from {campaign['starts_on']} to {campaign['deadline']}")
        _report(http)


def _report(http: httpx.Client, wait: float = 30.0) -> None:
    """Wait for the projections to catch up with the other demos; say where they stand."""
    last: object = "unread"
    for _ in range(int(wait / 2)):
        offset = http.get("/api/projection").raise_for_status().json().get("last_offset")
        if offset == last:  # two reads 2 s apart agree: the other demos' events are in
            break
        last = offset
        time.sleep(2)
    t = http.get("/api/tracker").raise_for_status().json()
    partners = sum(1 for c in t["companies"] if c["mou_number"])
    print(
        f"demo: console shows {t['placed']} of {t['campaign']['target']} placed,"
        f" {partners} partner companies, {t['pipeline']['in_training']} in training,"
        f" {t['pipeline']['ready']} ready (working day {t['elapsed_working_days']}"
        f" of {t['campaign']['working_days']})"
    )
