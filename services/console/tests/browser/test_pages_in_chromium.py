"""The tracker and the live stream in headless Chromium, with screenshots that are checked."""

import asyncio
import json
import struct
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aio_pika
import pytest
from playwright.async_api import Browser, Dialog, Page, expect

from kerjalokal.events import Event
from kerjalokal.events import registry as reg
from kerjalokal.events import vacancies as vac
from kerjalokal.messaging.envelope import ce_headers

from .conftest import SCREENSHOTS, TOKEN, Console

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


async def publish(amqp_url: str, *events: Event) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("kerjalokal.events", ensure=False)
        for event in events:
            event_id = uuid.uuid4()
            headers = ce_headers(
                event_id=event_id,
                event_type=event.TYPE,
                service=event.producer(),
                subject=event.subject,
                time=datetime.now(UTC),
            )
            await exchange.publish(
                aio_pika.Message(
                    event.model_dump_json().encode(),
                    headers=headers,
                    message_id=str(event_id),
                    type=event.TYPE,
                    content_type="application/json",
                    timestamp=datetime.now(UTC),
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=event.TYPE,
            )


def example(event: type[Event], **changes: object) -> Event:
    return event.model_validate(json.loads(event.example().model_dump_json()) | changes)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert len(data) > 10_000, "an almost empty picture"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def login(page: Page, console: Console, path: str) -> None:
    await page.goto(f"{console.url}{path}")
    await expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
    await page.fill("#token", TOKEN)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{console.url}{path}")


async def test_the_tracker_shows_the_campaign_in_charts(console: Console, browser: Browser) -> None:
    today = datetime.now(UTC).date()
    start = today - timedelta(days=21)
    async with console.api() as api:
        saved = await api.put(
            "/api/campaigns/demo",
            json={
                "name": "100 hari kerja Bupati: 3.000 warga ber-KTP Bekasi bekerja",
                "target": 3000,
                "starts_on": start.isoformat(),
                "working_days": 100,
            },
        )
        assert saved.status_code == 200, saved.text
        companies = [uuid.uuid4() for _ in range(3)]
        events: list[Event] = []
        for i, company in enumerate(companies):
            events.append(
                example(
                    vac.CompanyVerifiedV1,
                    company_id=str(company),
                    company_name=f"PT Mitra Bekasi {i + 1}",
                    industrial_estate=("Kawasan Industri Jababeka", "MM2100", "EJIP")[i],
                )
            )
            events.append(
                example(
                    vac.PartnershipSignedV1,
                    partnership_id=str(uuid.uuid4()),
                    company_id=str(company),
                    local_hires_committed=40,
                )
            )
        for i in range(12):
            events.append(
                example(
                    vac.ResidentHiredV1,
                    hire_id=str(uuid.uuid4()),
                    resident_id=str(uuid.uuid4()),
                    company_id=str(companies[i % 3]),
                    is_local=i % 3 != 2,
                    hired_at=(datetime.now(UTC) - timedelta(days=i)).isoformat(),
                )
            )
        await publish(console.amqp_url, *events)
        async with asyncio.timeout(20):
            while (await api.get("/api/projection")).json().get("last_offset") != len(events) - 1:
                await asyncio.sleep(0.2)
        placed = (await api.get("/api/tracker")).json()["placed"]
    assert placed == 8

    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await login(page, console, "/tracker")
    await expect(page.locator("h1")).to_have_text(
        "100 hari kerja Bupati: 3.000 warga ber-KTP Bekasi bekerja"
    )
    await expect(page.locator("#placed")).to_have_text("8")
    await expect(page.get_by_text("warga lokal bekerja dari 3.000")).to_be_visible()
    await expect(page.locator("#verdict")).to_contain_text("Tertinggal")
    await expect(page.locator("#below")).to_contain_text("PT Mitra Bekasi 3")
    assert await page.locator("svg.chart").count() >= 5
    await expect(page.locator("svg[aria-label^='Penempatan kumulatif']")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "tracker.png"
    await page.screenshot(path=str(shot), full_page=True)
    width, height = png_size(shot)
    assert width == 1280
    assert height > 900


async def test_the_live_stream_shows_an_event_published_now(
    console: Console, browser: Browser
) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    await login(page, console, "/stream")
    await expect(page.locator("#status")).to_have_attribute("data-state", "open")
    vacancy = str(uuid.uuid4())
    await publish(console.amqp_url, example(vac.VacancyPublishedV1, vacancy_id=vacancy))
    row = page.locator("#events li", has_text=vacancy)
    await expect(row).to_contain_text("vacancies.vacancy_published.v1")
    await row.click()
    await expect(page.locator("#detail-headers")).to_contain_text('"ce-subject": "' + vacancy)
    await expect(page.locator("#detail-body")).to_contain_text("Operator Las (Welder)")

    await page.click("#pause")
    held = str(uuid.uuid4())
    await publish(console.amqp_url, example(vac.VacancyPublishedV1, vacancy_id=held))
    await expect(page.locator("#pause")).to_have_text("Lanjutkan (1) / resume")
    assert await page.locator("#events li", has_text=held).count() == 0
    await page.click("#pause")
    await expect(page.locator("#events li", has_text=held)).to_be_visible()

    await page.fill("input[name=type]", "vacancies.vacancy_closed.v1")  # a filter on the server
    await page.click("button[type=submit]")
    await expect(page.locator("#status")).to_have_attribute("data-state", "open")
    await publish(
        console.amqp_url,
        example(vac.VacancyPublishedV1, vacancy_id=str(uuid.uuid4())),
        example(vac.VacancyClosedV1, vacancy_id=vacancy),
    )
    await expect(page.locator("#events li")).to_have_count(1)
    await expect(page.locator("#events li")).to_contain_text("vacancies.vacancy_closed.v1")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "stream.png"
    await page.locator("#events li").first.click()
    await page.screenshot(path=str(shot), full_page=True)
    assert png_size(shot)[0] == 1280


def csp_violations(page: Page) -> list[str]:
    """What the browser reports as blocked by the Content-Security-Policy."""
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return seen


async def test_an_agency_logs_in_with_its_key_and_sees_public_events_only(
    console: Console, browser: Browser
) -> None:
    async with console.api() as api:
        issued = await api.post("/api-keys", json={"role": "agency", "label": "BPS Kabupaten"})
        assert issued.status_code == 201, issued.text
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    blocked = csp_violations(page)
    await page.goto(f"{console.url}/stream")
    await page.fill("#token", issued.json()["key"])
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{console.url}/stream")
    await expect(page.locator("header")).not_to_contain_text("Pesan gagal")
    response = await page.goto(f"{console.url}/dead-letters")
    assert response is not None
    assert response.status == 403
    await expect(page.locator("h1")).to_contain_text("Tidak berwenang")
    await page.goto(f"{console.url}/stream")
    await expect(page.locator("#status")).to_have_attribute("data-state", "open")
    resident, vacancy = str(uuid.uuid4()), str(uuid.uuid4())
    await publish(
        console.amqp_url,
        example(reg.ResidentRegisteredV1, resident_id=resident),
        example(vac.VacancyPublishedV1, vacancy_id=vacancy),
    )
    await expect(page.locator("#events li", has_text=vacancy)).to_be_visible()
    assert await page.locator("#events li", has_text=resident).count() == 0
    # Revoked: the open stream ends at its next check, and the page cannot open it again.
    async with console.api() as api:
        revoked = await api.delete(f"/api-keys/{issued.json()['key_id']}")
        assert revoked.status_code == 204
    await asyncio.sleep(1.5)
    late = str(uuid.uuid4())
    await publish(console.amqp_url, example(vac.VacancyPublishedV1, vacancy_id=late))
    await asyncio.sleep(3)
    assert await page.locator("#events li", has_text=late).count() == 0
    await page.goto(f"{console.url}/tracker")
    await expect(page.get_by_role("heading", name="Masuk")).to_be_visible()  # logged out
    assert blocked == []


async def test_a_confirmed_form_and_the_erasures_page_work_under_the_policy(
    console: Console, browser: Browser
) -> None:
    resident = str(uuid.uuid4())
    await publish(
        console.amqp_url,
        example(
            reg.ResidentErasedV1,
            resident_id=resident,
            erased_at=(datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        ),
    )
    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    blocked = csp_violations(page)
    await login(page, console, "/")
    asked: list[str] = []

    async def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        await (dialog.dismiss() if len(asked) == 1 else dialog.accept())

    page.on("dialog", answer)
    button = page.locator("form[action='/projection/rebuild'] button")
    await button.click()  # dismissed: nothing happens
    await page.wait_for_timeout(300)
    assert page.url == f"{console.url}/"
    await button.click()  # accepted: the form is sent
    await page.wait_for_url(lambda url: "/?pesan=" in url)
    assert asked[0].startswith("Bangun ulang semua proyeksi")
    assert len(asked) == 2
    # The rebuild runs in the background: the page is read once it has replayed the erasure.
    async with console.api() as api, asyncio.timeout(60):
        while resident not in (await api.get("/erasures")).text:
            await asyncio.sleep(0.3)
    await page.goto(f"{console.url}/penghapusan")
    row = page.locator("#erasures tr[data-status=late]", has_text=resident)
    await expect(row).to_contain_text("Terlambat / late")
    await expect(page.locator("#late-count")).to_contain_text("1 penghapusan terlambat")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "erasures.png"
    await page.screenshot(path=str(shot), full_page=True)
    assert png_size(shot)[0] == 1280
    assert blocked == []
