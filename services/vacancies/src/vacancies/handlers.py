"""Consumers: a typed event in, one use case, exactly once (inbox), in one transaction. A seeker
whose change matters to matching is matched against the open vacancies in that transaction; the
in-memory index learns the change after the commit."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from faststream import AckPolicy, Context
from faststream.rabbit import RabbitMessage, RabbitRouter

from kerjalokal.events import Event
from kerjalokal.events import registry as reg
from kerjalokal.events import training as tr
from kerjalokal.messaging import EVENTS, RESTRICTED, PermanentError, consumer_queue, inbox

from .matching import Seeker, SeekerIndex
from .services import matching, residents, seekers

SERVICE = "vacancies"
# A router's subscribers do not inherit make_broker's ack policy: without this, a failing
# handler's message is rejected (dead-lettered by the broker, no retry, no reason).
router = RabbitRouter(ack_policy=AckPolicy.NACK_ON_ERROR)
Pool = Annotated[asyncpg.Pool, Context("pool")]
Index = Annotated[SeekerIndex, Context("index")]
UseCase = Callable[..., Awaitable[tuple[Seeker | None, Seeker | None]]]


async def _once(
    pool: asyncpg.Pool,
    index: SeekerIndex,
    msg: RabbitMessage,
    use_case: UseCase,
    event: Event,
    *,
    kind: str = "",
) -> None:
    changed: dict[str, Any] = {}

    async def apply(conn: asyncpg.Connection) -> None:
        now = datetime.now(UTC)
        before, after = await use_case(conn, event=event, now=now)
        trigger = seekers.trigger_for(kind, before, after)
        if trigger and after is not None:
            await matching.match_seeker(conn, after, trigger=trigger, now=now, index=index)
        changed["after"] = after

    consumer = f"{SERVICE}.{use_case.__name__}"
    first = await inbox.handle_once(pool, consumer=consumer, event_id=msg.message_id, apply=apply)
    if first and changed.get("after") is not None:
        index.upsert(changed["after"])


def _queue(purpose: str, event: type[Event]) -> Any:
    return consumer_queue(SERVICE, purpose, event)


@router.subscriber(_queue("resident_registered", reg.ResidentRegisteredV1), EVENTS)
async def on_registered(
    event: reg.ResidentRegisteredV1, msg: RabbitMessage, pool: Pool, index: Index
) -> None:
    await _once(pool, index, msg, seekers.registered, event, kind="status_changed")


@router.subscriber(_queue("resident_verified", reg.ResidentVerifiedV1), EVENTS)
async def on_verified(
    event: reg.ResidentVerifiedV1, msg: RabbitMessage, pool: Pool, index: Index
) -> None:
    await _once(pool, index, msg, seekers.verified, event, kind="status_changed")


@router.subscriber(_queue("resident_profile_updated", reg.ResidentProfileUpdatedV1), EVENTS)
async def on_profile_updated(
    event: reg.ResidentProfileUpdatedV1, msg: RabbitMessage, pool: Pool, index: Index
) -> None:
    await _once(pool, index, msg, seekers.profile_updated, event, kind="profile_updated")


@router.subscriber(_queue("resident_status_changed", reg.ResidentStatusChangedV1), EVENTS)
async def on_status_changed(
    event: reg.ResidentStatusChangedV1, msg: RabbitMessage, pool: Pool, index: Index
) -> None:
    await _once(pool, index, msg, seekers.status_changed, event, kind="status_changed")


@router.subscriber(_queue("resident_identity_recorded", reg.ResidentIdentityRecordedV1), RESTRICTED)
async def on_identity(
    event: reg.ResidentIdentityRecordedV1, msg: RabbitMessage, pool: Pool, index: Index
) -> None:
    await _once(pool, index, msg, seekers.identity_recorded, event)


@router.subscriber(_queue("resident_enrolled", tr.ResidentEnrolledV1), EVENTS)
async def on_enrolled(
    event: tr.ResidentEnrolledV1, msg: RabbitMessage, pool: Pool, index: Index
) -> None:
    await _once(pool, index, msg, seekers.enrolled, event)


@router.subscriber(_queue("enrollment_withdrawn", tr.EnrollmentWithdrawnV1), EVENTS)
async def on_withdrawn(
    event: tr.EnrollmentWithdrawnV1, msg: RabbitMessage, pool: Pool, index: Index
) -> None:
    await _once(pool, index, msg, seekers.withdrawn, event)


@router.subscriber(_queue("training_completed", tr.TrainingCompletedV1), EVENTS)
async def on_completed(
    event: tr.TrainingCompletedV1, msg: RabbitMessage, pool: Pool, index: Index
) -> None:
    await _once(pool, index, msg, seekers.training_completed, event, kind="training_completed")


@router.subscriber(_queue("resident_erased", reg.ResidentErasedV1), EVENTS)
async def on_erased(
    event: reg.ResidentErasedV1, msg: RabbitMessage, pool: Pool, index: Index
) -> None:
    """Erase what vacancies holds about the resident and confirm it, once per erasure event (its
    id is the confirmation's `erasure_event_id`); the index forgets the seeker after the commit."""
    try:
        event_id = UUID(str(msg.message_id))
    except ValueError as exc:
        raise PermanentError("the message id is not the erasure event's id (a UUID)") from exc

    async def apply(conn: asyncpg.Connection) -> None:
        await residents.erase(conn, event=event, event_id=event_id, now=datetime.now(UTC))

    await inbox.handle_once(
        pool, consumer=f"{SERVICE}.resident_erased", event_id=msg.message_id, apply=apply
    )
    index.remove(event.resident_id)
