"""Consumers: a typed event in, one use case, exactly once (inbox), in one transaction."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from faststream import AckPolicy, Context
from faststream.rabbit import RabbitMessage, RabbitRouter

from kerjalokal.events import Event
from kerjalokal.events import registry as reg
from kerjalokal.events import vacancies as vac
from kerjalokal.messaging import EVENTS, consumer_queue, inbox
from kerjalokal.messaging.consumer import PermanentError

from . import completions, erasure, projections

SERVICE = "training"
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


def _queue(purpose: str, event: type[Event]) -> Any:
    return consumer_queue(SERVICE, purpose, event)


@router.subscriber(_queue("resident_registered", reg.ResidentRegisteredV1), EVENTS)
async def on_registered(event: reg.ResidentRegisteredV1, msg: RabbitMessage, pool: Pool) -> None:
    await _once(pool, msg, projections.seeker_registered, event)


@router.subscriber(_queue("resident_verified", reg.ResidentVerifiedV1), EVENTS)
async def on_verified(event: reg.ResidentVerifiedV1, msg: RabbitMessage, pool: Pool) -> None:
    await _once(pool, msg, projections.seeker_verified, event)


@router.subscriber(_queue("resident_profile_updated", reg.ResidentProfileUpdatedV1), EVENTS)
async def on_profile(event: reg.ResidentProfileUpdatedV1, msg: RabbitMessage, pool: Pool) -> None:
    await _once(pool, msg, projections.seeker_profile_updated, event)


@router.subscriber(_queue("resident_status_changed", reg.ResidentStatusChangedV1), EVENTS)
async def on_status(event: reg.ResidentStatusChangedV1, msg: RabbitMessage, pool: Pool) -> None:
    await _once(pool, msg, projections.seeker_status_changed, event)


@router.subscriber(_queue("company_verified", vac.CompanyVerifiedV1), EVENTS)
async def on_company(event: vac.CompanyVerifiedV1, msg: RabbitMessage, pool: Pool) -> None:
    await _once(pool, msg, projections.company_verified, event)


@router.subscriber(_queue("vacancy_published", vac.VacancyPublishedV1), EVENTS)
async def on_published(event: vac.VacancyPublishedV1, msg: RabbitMessage, pool: Pool) -> None:
    await _once(pool, msg, projections.vacancy_published, event)


@router.subscriber(_queue("vacancy_updated", vac.VacancyUpdatedV1), EVENTS)
async def on_updated(event: vac.VacancyUpdatedV1, msg: RabbitMessage, pool: Pool) -> None:
    await _once(pool, msg, projections.vacancy_updated, event)


@router.subscriber(_queue("vacancy_closed", vac.VacancyClosedV1), EVENTS)
async def on_closed(event: vac.VacancyClosedV1, msg: RabbitMessage, pool: Pool) -> None:
    await _once(pool, msg, projections.vacancy_closed, event)


@router.subscriber(_queue("resident_hired", vac.ResidentHiredV1), EVENTS)
async def on_hired(event: vac.ResidentHiredV1, msg: RabbitMessage, pool: Pool) -> None:
    await _once(pool, msg, completions.on_hired, event)


@router.subscriber(_queue("resident_erased", reg.ResidentErasedV1), EVENTS)
async def on_erased(event: reg.ResidentErasedV1, msg: RabbitMessage, pool: Pool) -> None:
    """Erase once per erasure event, and confirm it with the event's id."""
    try:
        event_id = UUID(str(msg.message_id))
    except ValueError:
        raise PermanentError("the message id is not an event id (UUID)") from None

    async def apply(conn: asyncpg.Connection) -> None:
        await erasure.resident_erased(conn, event=event, event_id=event_id, now=datetime.now(UTC))

    await inbox.handle_once(
        pool, consumer=f"{SERVICE}.resident_erased", event_id=event_id, apply=apply
    )
