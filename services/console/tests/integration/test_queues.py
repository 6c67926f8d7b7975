"""Queue health sampled from the real broker: depth, consumers, growth and the warnings."""

import asyncio

import aio_pika
import httpx
import pytest
from asgi_lifespan import LifespanManager

from console.main import create_app

from ..conftest import OPERATOR, settings_for, wait_until

pytestmark = pytest.mark.integration
STUCK = "vacancies.stuck_consumer"


async def test_a_queue_without_consumer_that_keeps_growing_is_flagged(
    fresh_database, vhost_url
) -> None:
    settings = settings_for(
        await fresh_database(), vhost_url, CONSOLE_WATCH_QUEUES=f"{STUCK},vacancies.gone"
    )
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://c", headers=OPERATOR
        ) as http:
            connection = await aio_pika.connect(vhost_url)
            async with connection:
                channel = await connection.channel()
                await channel.declare_queue(
                    STUCK, durable=True, arguments={"x-queue-type": "quorum"}
                )

                async def keep_publishing() -> None:
                    while True:
                        await channel.default_exchange.publish(
                            aio_pika.Message(b"{}"), routing_key=STUCK
                        )
                        await asyncio.sleep(0.2)

                publishing = asyncio.create_task(keep_publishing())

                async def flagged() -> dict | None:
                    health = {q["queue"]: q for q in (await http.get("/api/queues")).json()}
                    stuck = health.get(STUCK)
                    return health if stuck and len(stuck["warnings"]) == 2 else None

                try:
                    health = await wait_until(flagged)
                finally:
                    publishing.cancel()
            await login(http)  # the client keeps the session cookie
            page = await http.get("/queues")
    stuck = health[STUCK]
    assert stuck["messages"] >= 5
    assert stuck["consumers"] == 0
    assert stuck["warnings"] == ["Tanpa konsumen / no consumer", "Terus bertambah / keeps growing"]
    assert stuck["per_minute"] > 0
    assert health["registry.dlq"]["warnings"] == []  # read by people, not by a consumer
    assert "vacancies.gone" not in health  # a queue that does not exist is skipped, not an error
    assert STUCK in page.text
    assert "keeps growing" in page.text


async def login(http: httpx.AsyncClient) -> None:
    response = await http.post("/login", data={"token": "test-operator", "next": "/queues"})
    assert response.status_code == 303
