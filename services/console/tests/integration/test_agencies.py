"""Agencies on the real broker: their user reads only its own queue, bound only to the public
types it was given. Every refusal is the broker's ACCESS_REFUSED, not our code's."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import aio_pika
import aiormq
import pytest
from fastapi import FastAPI

from console import agencies
from console.domain.agencies import AgencyRefused
from console.queues import vhost_of
from kerjalokal.events import registry as reg
from kerjalokal.events import vacancies as vac

from ..conftest import Publisher, example

pytestmark = pytest.mark.integration
PUBLISHED, CLOSED = vac.VacancyPublishedV1.TYPE, vac.VacancyClosedV1.TYPE


@pytest.fixture
async def made(app: FastAPI, settings) -> AsyncIterator[list[agencies.Credentials]]:
    """Agencies created in a test, removed after it (broker users are not per vhost)."""
    created: list[agencies.Credentials] = []
    yield created
    for credentials in created:
        await agencies.remove(
            app.state.pool,
            app.state.amqp,
            agencies.Rabbitmqctl(),
            name=credentials.name,
            vhost=vhost_of(settings.amqp_url),
        )


async def add(app: FastAPI, settings, made: list, events: list[str]) -> agencies.Credentials:
    credentials = await agencies.add(
        app.state.pool,
        app.state.amqp,
        agencies.Rabbitmqctl(),
        name=f"t{uuid.uuid4().hex[:10]}",
        event_types=events,
        vhost=vhost_of(settings.amqp_url),
        broker_url=settings.amqp_url,
        max_length=1000,
    )
    made.append(credentials)
    return credentials


async def refused(action) -> None:
    with pytest.raises(aiormq.exceptions.ChannelAccessRefused):
        await action()


async def test_an_agency_receives_only_its_public_event_types(app, settings, made) -> None:
    desa = await add(app, settings, made, [PUBLISHED, CLOSED])
    async with Publisher(settings.amqp_url) as publisher:
        await publisher.event(example(reg.ResidentRegisteredV1))
        await publisher.event(example(vac.ResidentHiredV1))
        sent = await publisher.event(example(vac.VacancyPublishedV1))
    connection = await aio_pika.connect(desa.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(desa.queue, ensure=False)
        message = await asyncio.wait_for(_first(queue), 10)
        assert (message.routing_key, message.message_id) == (PUBLISHED, sent)
        await asyncio.sleep(0.3)
        assert await queue.get(fail=False) is None  # the registry and hire events never came


async def _first(queue: aio_pika.abc.AbstractQueue) -> aio_pika.abc.AbstractIncomingMessage:
    while (message := await queue.get(no_ack=True, fail=False)) is None:
        await asyncio.sleep(0.1)
    return message


async def test_an_agency_user_cannot_publish(app, settings, made) -> None:
    desa = await add(app, settings, made, [PUBLISHED])
    connection = await aio_pika.connect(desa.amqp_url)
    async with connection:
        body = example(vac.VacancyPublishedV1).model_dump_json().encode()

        async def to_events() -> None:
            channel = await connection.channel()
            exchange = await channel.get_exchange("kerjalokal.events", ensure=False)
            await exchange.publish(aio_pika.Message(body), routing_key=PUBLISHED)

        async def to_own_queue() -> None:
            channel = await connection.channel()
            await channel.default_exchange.publish(aio_pika.Message(body), routing_key=desa.queue)

        await refused(to_events)
        await refused(to_own_queue)


async def test_an_agency_user_cannot_bind_a_key_it_was_not_given(app, settings, made) -> None:
    desa = await add(app, settings, made, [PUBLISHED])
    connection = await aio_pika.connect(desa.amqp_url)
    async with connection:
        channel = await connection.channel()
        own = await channel.declare_queue(f"agency.{desa.name}.extra", auto_delete=True)
        await own.bind("kerjalokal.events", routing_key=PUBLISHED)  # allowed: the control case

        async def bind(exchange: str, key: str) -> None:
            channel = await connection.channel()
            queue = await channel.get_queue(own.name, ensure=False)
            await queue.bind(exchange, routing_key=key)

        await refused(lambda: bind("kerjalokal.events", reg.ResidentRegisteredV1.TYPE))
        await refused(lambda: bind("kerjalokal.events", CLOSED))  # public, but not given
        await refused(lambda: bind("kerjalokal.events", "#"))
        await refused(lambda: bind("kerjalokal.restricted", reg.ResidentContactChangedV1.TYPE))

        async def declare_elsewhere() -> None:
            channel = await connection.channel()
            await channel.declare_queue("vacancies.sneaky", auto_delete=True)

        await refused(declare_elsewhere)


async def test_an_agency_user_cannot_read_another_queue(app, settings, made) -> None:
    desa = await add(app, settings, made, [PUBLISHED])
    other = await add(app, settings, made, [CLOSED])
    connection = await aio_pika.connect(desa.amqp_url)
    async with connection:

        async def read(name: str) -> None:
            channel = await connection.channel()
            queue = await channel.get_queue(name, ensure=False)
            await queue.get(fail=False)

        await refused(lambda: read(other.queue))
        await refused(lambda: read("kerjalokal.events.log"))
        await refused(lambda: read("registry.dlq"))


async def test_only_public_types_and_sound_names_are_accepted(app, settings, made) -> None:
    with pytest.raises(AgencyRefused) as private:
        await add(app, settings, made, [reg.ResidentRegisteredV1.TYPE])
    assert private.value.field == "events"
    with pytest.raises(AgencyRefused) as name:
        await agencies.add(
            app.state.pool,
            app.state.amqp,
            agencies.Rabbitmqctl(),
            name="Bad Name!",
            event_types=[PUBLISHED],
            vhost=vhost_of(settings.amqp_url),
            broker_url=settings.amqp_url,
            max_length=10,
        )
    assert name.value.field == "name"


async def test_a_full_agency_queue_drops_its_oldest_and_never_blocks_the_platform(
    app, settings, made
) -> None:
    desa = await agencies.add(
        app.state.pool,
        app.state.amqp,
        agencies.Rabbitmqctl(),
        name=f"t{uuid.uuid4().hex[:10]}",
        event_types=[PUBLISHED],
        vhost=vhost_of(settings.amqp_url),
        broker_url=settings.amqp_url,
        max_length=3,
    )
    made.append(desa)
    async with Publisher(settings.amqp_url) as publisher:  # confirms: a reject would raise here
        ids = [await publisher.event(example(vac.VacancyPublishedV1)) for _ in range(5)]
    connection = await aio_pika.connect(desa.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(desa.queue, ensure=False)
        kept = []
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            kept.append(message.message_id)
    assert kept == ids[-3:]


async def test_removing_an_agency_deletes_its_user_and_queue(app, settings, made) -> None:
    desa = await add(app, settings, made, [PUBLISHED])
    made.remove(desa)
    await agencies.remove(
        app.state.pool,
        app.state.amqp,
        agencies.Rabbitmqctl(),
        name=desa.name,
        vhost=vhost_of(settings.amqp_url),
    )
    with pytest.raises(aiormq.exceptions.ProbableAuthenticationError):
        await aio_pika.connect(desa.amqp_url)
    assert await agencies.listing(app.state.pool) == []
