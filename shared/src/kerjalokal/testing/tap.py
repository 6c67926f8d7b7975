"""A plain aio-pika consumer for tests: binds its own queue to an exchange and keeps what comes."""

import asyncio
import json
from typing import Any, Self

import aio_pika
from aio_pika.abc import AbstractIncomingMessage


class EventTap:
    def __init__(self, amqp_url: str, *, exchange: str = "kerjalokal.events", pattern: str = "#"):
        self._url = amqp_url
        self._exchange = exchange
        self._pattern = pattern
        self.messages: list[AbstractIncomingMessage] = []
        self._arrived = asyncio.Condition()

    async def __aenter__(self) -> Self:
        self._connection = await aio_pika.connect(self._url)
        channel = await self._connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        await queue.bind(self._exchange, routing_key=self._pattern)
        await queue.consume(self._keep, no_ack=True)
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._connection.close()

    async def _keep(self, message: AbstractIncomingMessage) -> None:
        async with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()

    def of_type(self, event_type: str) -> list[AbstractIncomingMessage]:
        return [m for m in self.messages if m.routing_key == event_type]

    def bodies(self, event_type: str) -> list[dict[str, Any]]:
        return [json.loads(m.body) for m in self.of_type(event_type)]

    async def wait_for(
        self, event_type: str, count: int = 1, *, timeout: float = 15.0
    ) -> list[AbstractIncomingMessage]:
        async with asyncio.timeout(timeout), self._arrived:
            await self._arrived.wait_for(lambda: len(self.of_type(event_type)) >= count)
        return self.of_type(event_type)
