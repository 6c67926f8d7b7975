"""The part of the chassis topology the console reads, declared with aio-pika from the shared
definitions (kerjalokal.messaging.topology), so the console starts before any other service."""

from aio_pika.abc import AbstractRobustConnection

from kerjalokal.messaging.topology import (
    DLX,
    EVENT_LOG,
    EVENTS,
    RESTRICTED,
    UNROUTED,
    UNROUTED_QUEUE,
)


async def declare(connection: AbstractRobustConnection) -> None:
    channel = await connection.channel()
    try:
        declared = {}
        for exchange in (UNROUTED, EVENTS, RESTRICTED, DLX):
            declared[exchange.name] = await channel.declare_exchange(
                exchange.name, type=exchange.type.value, durable=True, arguments=exchange.arguments
            )
        unrouted = await channel.declare_queue(
            UNROUTED_QUEUE.name, durable=True, arguments=UNROUTED_QUEUE.arguments
        )
        await unrouted.bind(declared[UNROUTED.name])
        log = await channel.declare_queue(
            EVENT_LOG.name, durable=True, arguments=EVENT_LOG.arguments
        )
        await log.bind(declared[EVENTS.name], routing_key="#")
    finally:
        await channel.close()
