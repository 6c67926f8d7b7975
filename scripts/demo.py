"""The whole demo, in the story's order, through the services' HTTP APIs (they must be running:
`make run` starts them and calls this; so does `kerjalokal seed`).

Each step is deterministic and safe to run again: the registry's 2,750 seekers; 61 partner
companies, 120 vacancies and 480 hires; once the registry has marked those placed, 1,200 in
training and 1,070 ready from the rest; notify's URLs; the regent's campaign on the console.
"""

import time

import demo_console
import demo_data
import demo_notify
import demo_training
import demo_vacancies
import httpx


def seed(env: dict[str, str]) -> None:
    demo_data.seed(env)  # registry: 2,750 seekers
    demo_vacancies.seed(env)  # 61 companies, 120 vacancies, 480 hired
    wait_placed(env, demo_vacancies.HIRES)  # the registry learns the hires from events
    demo_training.seed(env)  # 1,200 in training, 1,070 ready, from the rest
    demo_notify.seed(env)
    demo_console.seed(env)  # the regent's campaign; figures from the event log


def wait_placed(env: dict[str, str], placed: int, timeout: float = 180) -> None:
    headers = {"Authorization": f"Bearer {env['OPERATOR_TOKEN']}"}
    deadline = time.monotonic() + timeout
    seen = 0
    while time.monotonic() < deadline:
        page = httpx.get(
            "http://127.0.0.1:8001/residents",
            params={"status": "placed", "limit": 1}, headers=headers, timeout=30,
        ).raise_for_status()  # fmt: skip
        if (seen := page.json()["total"]) >= placed:
            return
        time.sleep(1)
    raise SystemExit(f"the registry marked {seen} of {placed} hired residents placed in {timeout}s")
