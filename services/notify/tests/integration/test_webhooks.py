"""Agencies' webhook channels against a local receiver that checks Standard Webhooks signatures:
signing, filters, retries, parking, pausing, and one slow agency not slowing the others."""

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kerjalokal.testing.tap import EventTap
from notify.config import Settings
from notify.dispatch.webhooks import signed_headers
from notify.testing import WebhookReceiver

from ..conftest import OPERATOR, publish, until
from ..factories import closed, published

pytestmark = pytest.mark.integration


async def register(
    client: httpx.AsyncClient, receiver: WebhookReceiver, **fields: Any
) -> dict[str, Any]:
    body = {"name": "Diskominfo", "url": f"{receiver.url}/hook", "events": ["vacancy_published"]}
    response = await client.post("/channels", json=body | fields, headers=OPERATOR)
    assert response.status_code == 201, response.text
    channel = response.json()
    receiver.secret = channel["secret"]
    return channel


async def received(receiver: WebhookReceiver, n: int) -> bool:
    return len(receiver.received) >= n


async def test_a_published_vacancy_reaches_the_channel_signed_and_is_broadcast(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, receiver: WebhookReceiver
) -> None:
    channel = await register(client, receiver)
    assert channel["secret"].startswith("whsec_")
    shown = await client.get(f"/channels/{channel['channel_id']}", headers=OPERATOR)
    assert "secret" not in shown.json()
    vacancy = published()
    async with EventTap(settings.amqp_url, pattern="notify.vacancy_broadcast.v1") as tap:
        await publish(settings.amqp_url, vacancy)
        [broadcast] = await tap.wait_for("notify.vacancy_broadcast.v1")
    await until(lambda: received(receiver, 1))
    [hook] = receiver.received
    assert hook.payload["type"] == "vacancies.vacancy_published.v1"
    assert hook.payload["data"]["vacancy_id"] == str(vacancy.vacancy_id)
    page = f"http://notify.test/lowongan/{vacancy.vacancy_id}"
    assert hook.payload["links"]["lowongan"] == page
    assert page in hook.payload["text"]
    assert "GRATIS, tanpa biaya" in hook.payload["text"]
    event = json.loads(broadcast.body)
    assert (event["vacancy_id"], event["channels"], event["feeds"]) == (
        str(vacancy.vacancy_id), 1, 211,
    )  # fmt: skip
    [row] = await until(lambda: _webhook_rows(client, "sent"))
    assert hook.webhook_id == row["delivery_id"]


async def _webhook_rows(client: httpx.AsyncClient, status: str) -> list[dict] | None:
    query = {"kind": "webhook", "status": status}
    items = (await client.get("/deliveries", params=query, headers=OPERATOR)).json()["items"]
    return items or None


async def test_the_receiver_refuses_a_replay_and_an_old_timestamp(
    receiver: WebhookReceiver,
) -> None:
    receiver.secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = json.dumps({"type": "vacancies.vacancy_published.v1", "data": {}})
    async with httpx.AsyncClient(base_url=receiver.url) as http:
        fresh = signed_headers(secret=receiver.secret, key="k-1", body=body, at=datetime.now(UTC))
        assert (await http.post("/hook", content=body, headers=fresh)).status_code == 204
        assert (await http.post("/hook", content=body, headers=fresh)).status_code == 409
        old = signed_headers(
            secret=receiver.secret, key="k-2", body=body,
            at=datetime.now(UTC) - timedelta(minutes=6),
        )  # fmt: skip
        assert (await http.post("/hook", content=body, headers=old)).status_code == 401
        forged = fresh | {"webhook-id": "k-3"}
        assert (await http.post("/hook", content=body, headers=forged)).status_code == 401
    assert len(receiver.received) == 1


async def test_channels_get_only_the_events_and_kecamatan_they_asked_for(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, receiver: WebhookReceiver
) -> None:
    await register(client, receiver, events=["vacancy_closed"], kecamatan=["32.16.09"])
    here = published(work_kecamatan_kode="32.16.09", work_desa_kode="32.16.09.2004")
    there = published(work_kecamatan_kode="32.16.21", work_desa_kode="32.16.21.2001")
    await publish(settings.amqp_url, here, there)
    await until(lambda: _vacancies(app, 2))
    await publish(settings.amqp_url, closed(there.vacancy_id), closed(here.vacancy_id))
    await until(lambda: received(receiver, 1))
    await until(lambda: _closed(app, 2))
    await app.state.webhooks.drain()
    [hook] = receiver.received
    assert hook.payload["type"] == "vacancies.vacancy_closed.v1"
    assert hook.payload["data"]["vacancy_id"] == str(here.vacancy_id)
    assert "sudah ditutup (sudah terisi)" in hook.payload["text"]


async def _vacancies(app: FastAPI, n: int) -> bool:
    return await app.state.pool.fetchval("SELECT count(*) FROM vacancy") >= n


async def _closed(app: FastAPI, n: int) -> bool:
    sql = "SELECT count(*) FROM vacancy WHERE closed_at IS NOT NULL"
    return await app.state.pool.fetchval(sql) >= n


async def test_a_failing_channel_is_parked_after_the_last_try_and_can_be_retried(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, receiver: WebhookReceiver
) -> None:
    await register(client, receiver)
    receiver.status = 500
    await publish(settings.amqp_url, published())
    parked = await until(lambda: _parked(client))
    [row] = parked
    assert row["attempts"] == settings.webhook_max_attempts
    assert receiver.calls == settings.webhook_max_attempts
    detail = (await client.get(f"/deliveries/{row['delivery_id']}", headers=OPERATOR)).json()
    assert [a["outcome"] for a in detail["attempt_log"]] == ["retry", "retry", "parked"]
    assert {a["status_code"] for a in detail["attempt_log"]} == {500}
    receiver.status = None
    again = await client.post(f"/deliveries/{row['delivery_id']}/retry", headers=OPERATOR)
    assert again.status_code == 200
    await until(lambda: received(receiver, 1))
    assert receiver.received[0].webhook_id == row["delivery_id"]  # the same key on every try
    twice = await client.post(f"/deliveries/{row['delivery_id']}/retry", headers=OPERATOR)
    assert twice.status_code == 409


async def _parked(client: httpx.AsyncClient) -> list[dict] | None:
    items = (await client.get("/webhooks/parked", headers=OPERATOR)).json()["items"]
    return items or None


@pytest.mark.parametrize("overrides", [{"NOTIFY_WEBHOOK_PAUSE_AFTER": 2}])
async def test_a_channel_that_keeps_failing_is_paused_and_resumes_with_its_backlog(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, receiver: WebhookReceiver
) -> None:
    channel = await register(client, receiver)
    receiver.status = 503
    await publish(settings.amqp_url, published())
    paused = await until(lambda: _paused(client, channel["channel_id"]))
    assert paused["paused_reason"].startswith("failing: 2 consecutive")
    await publish(settings.amqp_url, published())
    await until(lambda: _pending_webhooks(app, 2))
    await asyncio.sleep(0.6)  # three poll intervals
    assert receiver.calls == 2  # paused: nothing more is tried
    receiver.status = None
    resumed = await client.post(f"/channels/{channel['channel_id']}/resume", headers=OPERATOR)
    assert resumed.json()["status"] == "active"
    await until(lambda: received(receiver, 2))


async def _paused(client: httpx.AsyncClient, channel_id: str) -> dict | None:
    channel = (await client.get(f"/channels/{channel_id}", headers=OPERATOR)).json()
    return channel if channel["status"] == "paused" else None


async def _pending_webhooks(app: FastAPI, n: int) -> bool:
    sql = "SELECT count(*) FROM delivery WHERE kind = 'webhook' AND status = 'pending'"
    return await app.state.pool.fetchval(sql) >= n


async def test_a_slow_channel_does_not_hold_back_the_others(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, receiver: WebhookReceiver
) -> None:
    slow = WebhookReceiver()
    await slow.start()
    try:
        await register(client, slow, name="Situs desa lambat")
        slow.delay = 5.0  # beyond the 1 s timeout: every try times out
        await register(client, receiver, name="Diskominfo")
        started = time.monotonic()
        await publish(settings.amqp_url, published(), published(), published())
        await until(lambda: received(receiver, 3), timeout=10)
        assert time.monotonic() - started < 4
        assert slow.received == []
    finally:
        await slow.stop()


async def test_channel_input_is_checked_field_by_field(
    client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    good = {"name": "Humas", "url": f"{receiver.url}/x", "events": ["vacancy_published"]}
    cases = {
        "url": good | {"url": "ftp://example.org/x"},
        "kecamatan": good | {"kecamatan": ["32.16.99"]},
        "events": good | {"events": ["resident_registered"]},
        "secret": good | {"secret": "mine"},
    }
    for field, body in cases.items():
        response = await client.post("/channels", json=body, headers=OPERATOR)
        assert response.status_code == 422, field
        assert field in response.json()["detail"][0]["loc"], response.text
    assert (await client.post("/channels", json=good)).status_code == 401


@pytest.mark.parametrize("overrides", [{"NOTIFY_WEBHOOK_ALLOW_PRIVATE": False}])
async def test_in_production_a_channel_must_be_https_outside_our_network(
    client: httpx.AsyncClient,
) -> None:
    for url in ("http://example.org/hook", "https://127.0.0.1/hook", "https://10.1.2.3/x"):
        body = {"name": "x", "url": url, "events": ["vacancy_published"]}
        response = await client.post("/channels", json=body, headers=OPERATOR)
        assert response.status_code == 422, url
        assert response.json()["detail"][0]["loc"] == ["body", "url"]
