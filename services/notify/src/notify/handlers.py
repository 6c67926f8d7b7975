"""Consumers: a typed event in, one use case, exactly once.

Events that cause messages to residents record their inbox row and their delivery rows in one
statement (deliveries.plan); the others run in one transaction with the inbox row."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from faststream import AckPolicy, Context
from faststream.rabbit import RabbitMessage, RabbitRouter

from kerjalokal.events import Event
from kerjalokal.events.registry import (
    ResidentContactChangedV1,
    ResidentErasedV1,
    ResidentStatusChangedV1,
)
from kerjalokal.events.training import ResidentEnrolledV1, TrainingCompletedV1
from kerjalokal.events.vacancies import (
    ApplicationStatusChangedV1,
    CandidatesMatchedV1,
    ResidentHiredV1,
    VacancyClosedV1,
    VacancyPublishedV1,
    VacancyUpdatedV1,
)
from kerjalokal.messaging import (
    EVENTS,
    RESTRICTED,
    PermanentError,
    consumer_queue,
    failpoints,
    inbox,
)

from . import services
from .crypto import ContactCipher
from .services import Setup

SERVICE = "notify"
# A router's subscribers do not inherit make_broker's ack policy: without this, a failing
# handler's message is rejected (dead-lettered by the broker, no retry, no reason).
router = RabbitRouter(ack_policy=AckPolicy.NACK_ON_ERROR)
Pool = Annotated[asyncpg.Pool, Context("pool")]
Clock = Annotated[Callable[[], datetime], Context("clock")]
Config = Annotated[Setup, Context("setup")]
Cipher = Annotated[ContactCipher, Context("cipher")]
UseCase = Callable[..., Awaitable[Any]]


def _queue(purpose: str, event: type[Event]) -> Any:
    return consumer_queue(SERVICE, purpose, event)


async def _once(pool: asyncpg.Pool, msg: RabbitMessage, use_case: UseCase, **kwargs: Any) -> None:
    async def apply(conn: asyncpg.Connection) -> None:
        await use_case(conn, **kwargs)

    consumer = f"{SERVICE}.{use_case.__name__}"
    await inbox.handle_once(pool, consumer=consumer, event_id=msg.message_id, apply=apply)


async def _plan(pool: asyncpg.Pool, msg: RabbitMessage, use_case: UseCase, **kwargs: Any) -> None:
    if not msg.message_id:
        raise PermanentError("the message has no id (message_id / ce-id) to deduplicate on")
    async with pool.acquire() as conn:
        await use_case(
            conn, event_id=msg.message_id, consumer=f"{SERVICE}.{use_case.__name__}", **kwargs
        )
    failpoints.hit("consumer.after_commit_before_ack")  # the plan and its inbox row committed


@router.subscriber(_queue("contact_changed", ResidentContactChangedV1), RESTRICTED)
async def on_contact(
    event: ResidentContactChangedV1, msg: RabbitMessage, pool: Pool, clock: Clock, cipher: Cipher
) -> None:
    await _once(pool, msg, services.contact_changed, event=event, cipher=cipher, now=clock())


@router.subscriber(_queue("resident_erased", ResidentErasedV1), EVENTS)
async def on_erased(event: ResidentErasedV1, msg: RabbitMessage, pool: Pool, clock: Clock) -> None:
    """Erase, and confirm with `notify.resident_data_erased.v1` (once: the inbox row and the
    outbox row commit together, a redelivery finds the inbox row and does nothing)."""
    try:
        erasure_event_id = UUID(msg.message_id)
    except (TypeError, ValueError):
        raise PermanentError("the erasure's message id is not a UUID: cannot confirm it") from None
    await _once(
        pool, msg, services.resident_erased, event=event, event_id=erasure_event_id, now=clock()
    )


@router.subscriber(_queue("resident_status_changed", ResidentStatusChangedV1), EVENTS)
async def on_status(
    event: ResidentStatusChangedV1, msg: RabbitMessage, pool: Pool, clock: Clock
) -> None:
    await _once(pool, msg, services.status_changed, event=event, now=clock())


@router.subscriber(_queue("vacancy_published", VacancyPublishedV1), EVENTS)
async def on_published(
    event: VacancyPublishedV1, msg: RabbitMessage, pool: Pool, clock: Clock, setup: Config
) -> None:
    await _once(
        pool, msg, services.vacancy_changed, event=event, event_id=msg.message_id,
        setup=setup, now=clock(),
    )  # fmt: skip


@router.subscriber(_queue("vacancy_updated", VacancyUpdatedV1), EVENTS)
async def on_updated(
    event: VacancyUpdatedV1, msg: RabbitMessage, pool: Pool, clock: Clock, setup: Config
) -> None:
    await _once(
        pool, msg, services.vacancy_changed, event=event, event_id=msg.message_id,
        setup=setup, now=clock(),
    )  # fmt: skip


@router.subscriber(_queue("vacancy_closed", VacancyClosedV1), EVENTS)
async def on_closed(
    event: VacancyClosedV1, msg: RabbitMessage, pool: Pool, clock: Clock, setup: Config
) -> None:
    await _once(
        pool, msg, services.vacancy_closed, event=event, event_id=msg.message_id,
        setup=setup, now=clock(),
    )  # fmt: skip


@router.subscriber(_queue("candidates_matched", CandidatesMatchedV1), EVENTS)
async def on_matched(
    event: CandidatesMatchedV1, msg: RabbitMessage, pool: Pool, clock: Clock, setup: Config
) -> None:
    await _plan(pool, msg, services.candidates_matched, event=event, setup=setup, now=clock())


@router.subscriber(_queue("resident_enrolled", ResidentEnrolledV1), EVENTS)
async def on_enrolled(
    event: ResidentEnrolledV1, msg: RabbitMessage, pool: Pool, clock: Clock, setup: Config
) -> None:
    await _plan(pool, msg, services.resident_enrolled, event=event, setup=setup, now=clock())


@router.subscriber(_queue("training_completed", TrainingCompletedV1), EVENTS)
async def on_completed(
    event: TrainingCompletedV1, msg: RabbitMessage, pool: Pool, clock: Clock, setup: Config
) -> None:
    await _plan(pool, msg, services.training_completed, event=event, setup=setup, now=clock())


@router.subscriber(_queue("resident_hired", ResidentHiredV1), EVENTS)
async def on_hired(
    event: ResidentHiredV1, msg: RabbitMessage, pool: Pool, clock: Clock, setup: Config
) -> None:
    await _plan(pool, msg, services.resident_hired, event=event, setup=setup, now=clock())


@router.subscriber(_queue("application_status_changed", ApplicationStatusChangedV1), EVENTS)
async def on_application(
    event: ApplicationStatusChangedV1, msg: RabbitMessage, pool: Pool, clock: Clock, setup: Config
) -> None:
    await _plan(
        pool, msg, services.application_status_changed, event=event, setup=setup, now=clock()
    )
