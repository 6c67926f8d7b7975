"""Dead letters from the services' DLQs on the real broker: drained, listed, replayed, discarded."""

import json
import uuid
from datetime import UTC, datetime

import aio_pika
import pytest

from kerjalokal.events.vacancies import ResidentHiredV1
from kerjalokal.messaging.topology import consumer_queue, dead_letter_queue

from ..conftest import wait_until

pytestmark = pytest.mark.integration


async def dead_letter(
    amqp_url: str, *, queue: str, event_id: str, reason: str = "unreadable"
) -> None:
    """What kerjalokal.messaging.consumer does when a handler gives up."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        dlx = await channel.get_exchange("kerjalokal.dlx", ensure=False)
        service = queue.split(".")[0]  # the service declared its DLQ at start-up
        spec = dead_letter_queue(service)
        dlq = await channel.declare_queue(spec.name, durable=True, arguments=spec.arguments)
        await dlq.bind(dlx, routing_key=f"{service}.#")
        await dlx.publish(
            aio_pika.Message(
                ResidentHiredV1.example().model_dump_json().encode(),
                message_id=event_id,
                type=ResidentHiredV1.TYPE,
                content_type="application/json",
                headers={
                    "ce-id": event_id,
                    "ce-type": ResidentHiredV1.TYPE,
                    "x-delivery-count": 3,
                    "x-kerjalokal-reason": reason,
                    "x-kerjalokal-error": "hire_id: Field required",
                    "x-kerjalokal-queue": queue,
                    "x-kerjalokal-exchange": "kerjalokal.events",
                    "x-kerjalokal-routing-key": ResidentHiredV1.TYPE,
                    "x-kerjalokal-attempts": 4,
                    "x-kerjalokal-failed-at": datetime.now(UTC).isoformat(),
                },
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=queue,
        )


async def test_dead_letters_are_listed_replayed_and_discarded(client, settings) -> None:
    url = settings.amqp_url
    queue = consumer_queue("registry", "resident_hired", ResidentHiredV1)
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        target = await channel.declare_queue(queue.name, durable=True, arguments=queue.arguments)
        first, second = str(uuid.uuid4()), str(uuid.uuid4())
        await dead_letter(url, queue=queue.name, event_id=first)
        await dead_letter(url, queue=queue.name, event_id=second, reason="failed")

        async def listed() -> list:
            rows = (await client.get("/api/dead-letters", params={"service": "registry"})).json()
            return rows if len(rows) == 2 else []

        rows = await wait_until(listed)
        by_message = {r["message_id"]: r for r in rows}
        assert by_message[first]["reason"] == "unreadable"
        assert by_message[first]["error"] == "hire_id: Field required"
        assert by_message[first]["attempts"] == 4
        assert by_message[first]["queue"] == queue.name
        assert by_message[first]["failed_at"] is not None
        dlq = await channel.declare_queue("registry.dlq", passive=True)
        assert dlq.declaration_result.message_count == 0  # moved into the console, acked

        replay = await client.post(
            f"/api/dead-letters/{by_message[first]['dead_letter_id']}/replay"
        )
        assert replay.status_code == 200, replay.text
        message = await wait_until(lambda: target.get(no_ack=True, fail=False))
        assert message.message_id == first
        assert message.headers["ce-id"] == first
        assert not any(k.startswith(("x-kerjalokal-reason", "x-death")) for k in message.headers)
        assert message.headers.get("x-delivery-count", 0) == 0  # the failed count is not carried
        assert message.headers["x-kerjalokal-replay-of"] == by_message[first]["dead_letter_id"]
        assert json.loads(message.body)["hire_id"] == str(ResidentHiredV1.example().hire_id)

        note = {"note": "data perusahaan salah, dilaporkan ulang / wrong company data, re-reported"}
        discard_id = by_message[second]["dead_letter_id"]
        assert (
            await client.post(f"/api/dead-letters/{discard_id}/discard", json=note)
        ).status_code == 200
        again = await client.post(f"/api/dead-letters/{discard_id}/discard", json=note)
        assert again.status_code == 409
        short = await client.post(f"/api/dead-letters/{discard_id}/discard", json={"note": ""})
        assert short.status_code == 422
        assert short.json()["detail"][0]["loc"] == ["body", "note"]
        assert (await client.get("/api/dead-letters", params={"service": "registry"})).json() == []
        done = (await client.get("/api/dead-letters", params={"status": "discarded"})).json()
        assert [d["note"] for d in done] == [note["note"]]


async def test_replay_to_a_missing_queue_is_refused_and_kept(client, settings) -> None:
    await dead_letter(settings.amqp_url, queue="training.gone", event_id=str(uuid.uuid4()))

    async def listed() -> list:
        return (await client.get("/api/dead-letters", params={"service": "training"})).json()

    [row] = await wait_until(listed)
    replay = await client.post(f"/api/dead-letters/{row['dead_letter_id']}/replay")
    assert replay.status_code == 409
    assert "training.gone" in replay.json()["detail"]
    [still] = (await client.get("/api/dead-letters", params={"service": "training"})).json()
    assert still["status"] == "pending"


async def test_broker_dead_letters_read_their_x_death_headers(client, settings) -> None:
    """A message over the broker's delivery limit arrives with x-death, not with our headers."""
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        spec = dead_letter_queue("notify")
        dlq = await channel.declare_queue(spec.name, durable=True, arguments=spec.arguments)
        await dlq.bind("kerjalokal.dlx", routing_key="notify.#")
        queue = consumer_queue("notify", "limit_test", ResidentHiredV1)
        source = await channel.declare_queue(
            queue.name, durable=True, arguments=queue.arguments | {"x-delivery-limit": 1}
        )
        await channel.default_exchange.publish(
            aio_pika.Message(b"{}", message_id="poison-1"), routing_key=source.name
        )
        for _ in range(2):  # the second requeue goes over the limit: the broker dead-letters it
            message = await wait_until(lambda: source.get(fail=False))
            await message.nack(requeue=True)

        async def listed() -> list:
            return (await client.get("/api/dead-letters", params={"service": "notify"})).json()

        [row] = await wait_until(listed)
    assert row["queue"] == "notify.limit_test"
    assert row["reason"] == "delivery_limit"
    assert row["message_id"] == "poison-1"
