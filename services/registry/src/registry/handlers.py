"""Consumers: a typed event in, one use case, exactly once (inbox), in one transaction."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
from faststream import AckPolicy, Context
from faststream.rabbit import RabbitMessage, RabbitRouter

from kerjalokal.events import Event
from kerjalokal.events.training import (
    EnrollmentWithdrawnV1,
    ResidentEnrolledV1,
    TrainingCompletedV1,
)
from kerjalokal.events.vacancies import ResidentHiredV1
from kerjalokal.messaging import EVENTS, consumer_queue, inbox

from . import services

SERVICE = "registry"
# A router's subscribers do not inherit make_broker's ack policy: without this, a failing
# handler's message is rejected (dead-lettered by the broker, no retry, no reason).
router = RabbitRouter(ack_policy=AckPolicy.NACK_ON_ERROR)
Pool = Annotated[asyncpg.Pool, Context("pool")]
UseCase = Callable[..., Awaitable[Any]]


async def _once(pool: asyncpg.Pool, msg: RabbitMessage, use_case: UseCase, event: Event) -> None:
    async def apply(conn: asyncpg.Connection) -> None:
        await use_case(conn, event=event, now=datetime.now(UTC))

    consumer = f"{SERVICE}.{use_case.__name__}"
    await inbox.handle_once(pool, consumer=consumer, event_id=msg.message_id, apply=apply)


@router.subscriber(consumer_queue(SERVICE, "resident_hired", ResidentHiredV1), EVENTS)
async def on_resident_hired(event: ResidentHiredV1, msg: RabbitMessage, pool: Pool) -> None:
    await _once(pool, msg, services.mark_placed, event)


@router.subscriber(consumer_queue(SERVICE, "resident_enrolled", ResidentEnrolledV1), EVENTS)
async def on_enrolled(event: ResidentEnrolledV1, msg: RabbitMessage, pool: Pool) -> None:
    await _once(pool, msg, services.training_enrolled, event)


@router.subscriber(consumer_queue(SERVICE, "enrollment_withdrawn", EnrollmentWithdrawnV1), EVENTS)
async def on_withdrawn(event: EnrollmentWithdrawnV1, msg: RabbitMessage, pool: Pool) -> None:
    await _once(pool, msg, services.training_withdrawn, event)


@router.subscriber(consumer_queue(SERVICE, "training_completed", TrainingCompletedV1), EVENTS)
async def on_completed(event: TrainingCompletedV1, msg: RabbitMessage, pool: Pool) -> None:
    await _once(pool, msg, services.training_completed, event)
