"""Handler wiring with FastStream's in-memory broker: each event type reaches its use case once,
through the inbox, with the event parsed. Redelivery and dead-lettering need the real broker
(tests/integration/test_consumers.py)."""

from typing import Any
from uuid import UUID, uuid4

import pytest
from faststream.rabbit import RabbitBroker, TestRabbitBroker

from kerjalokal.events import Event
from kerjalokal.events import registry as reg
from kerjalokal.events import vacancies as vac
from kerjalokal.messaging import EVENTS
from training import completions, erasure, handlers, projections


class FakeInbox:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def handle_once(self, pool: Any, *, consumer: str, event_id: str, apply: Any) -> bool:
        self.calls.append((consumer, event_id))
        await apply("fake-connection")
        return True


@pytest.mark.parametrize(
    ("event", "module", "use_case"),
    [
        (reg.ResidentRegisteredV1.example(), projections, "seeker_registered"),
        (reg.ResidentVerifiedV1.example(), projections, "seeker_verified"),
        (reg.ResidentProfileUpdatedV1.example(), projections, "seeker_profile_updated"),
        (reg.ResidentStatusChangedV1.example(), projections, "seeker_status_changed"),
        (vac.CompanyVerifiedV1.example(), projections, "company_verified"),
        (vac.VacancyPublishedV1.example(), projections, "vacancy_published"),
        (vac.VacancyUpdatedV1.example(), projections, "vacancy_updated"),
        (vac.VacancyClosedV1.example(), projections, "vacancy_closed"),
        (vac.ResidentHiredV1.example(), completions, "on_hired"),
    ],
)
async def test_each_event_reaches_its_use_case_through_the_inbox(
    event: Event, module: Any, use_case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[Any, Event]] = []

    async def fake_use_case(conn: Any, *, event: Event, now: Any) -> None:
        seen.append((conn, event))

    fake_use_case.__name__ = use_case
    inbox = FakeInbox()
    monkeypatch.setattr(module, use_case, fake_use_case)
    monkeypatch.setattr(handlers, "inbox", inbox)
    broker = RabbitBroker()
    broker.include_router(handlers.router)
    async with TestRabbitBroker(broker) as test_broker:
        broker.context.set_global("pool", "fake-pool")
        await test_broker.publish(
            event.model_dump(mode="json"), exchange=EVENTS, routing_key=event.TYPE, message_id="m-1"
        )
    assert seen == [("fake-connection", event)]
    assert inbox.calls == [(f"training.{use_case}", "m-1")]


async def test_an_erasure_reaches_its_use_case_once_with_the_event_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[Any, Event, UUID]] = []

    async def fake_erase(conn: Any, *, event: Event, event_id: UUID, now: Any) -> None:
        seen.append((conn, event, event_id))

    inbox = FakeInbox()
    monkeypatch.setattr(erasure, "resident_erased", fake_erase)
    monkeypatch.setattr(handlers, "inbox", inbox)
    broker = RabbitBroker()
    broker.include_router(handlers.router)
    event = reg.ResidentErasedV1.example()
    event_id = uuid4()
    async with TestRabbitBroker(broker) as test_broker:
        broker.context.set_global("pool", "fake-pool")
        await test_broker.publish(
            event.model_dump(mode="json"),
            exchange=EVENTS,
            routing_key=event.TYPE,
            message_id=str(event_id),
        )
    assert seen == [("fake-connection", event, event_id)]
    assert inbox.calls == [("training.resident_erased", event_id)]
