"""Handler wiring with FastStream's in-memory broker: each event type reaches its use case with
the message id. Redelivery and dead-lettering need the real broker (tests/integration)."""

from typing import Any
from uuid import UUID, uuid4

import pytest
from faststream.rabbit import RabbitBroker, TestRabbitBroker

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
from kerjalokal.messaging import EVENTS, RESTRICTED
from notify import handlers, services


class FakePool:
    def acquire(self) -> "FakePool":
        return self

    async def __aenter__(self) -> str:
        return "fake-connection"

    async def __aexit__(self, *_: object) -> None:
        return None


class FakeInbox:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def handle_once(self, pool: Any, *, consumer: str, event_id: str, apply: Any) -> bool:
        self.calls.append((consumer, event_id))
        await apply("fake-connection")
        return True


CASES = [
    (ResidentContactChangedV1, "contact_changed", True),
    (ResidentStatusChangedV1, "status_changed", True),
    (VacancyPublishedV1, "vacancy_changed", True),
    (VacancyUpdatedV1, "vacancy_changed", True),
    (VacancyClosedV1, "vacancy_closed", True),
    (CandidatesMatchedV1, "candidates_matched", False),
    (ResidentEnrolledV1, "resident_enrolled", False),
    (TrainingCompletedV1, "training_completed", False),
    (ResidentHiredV1, "resident_hired", False),
    (ApplicationStatusChangedV1, "application_status_changed", False),
]


@pytest.mark.parametrize(("event_type", "use_case", "through_inbox"), CASES)
async def test_each_event_reaches_its_use_case_once(
    event_type: type[Event], use_case: str, through_inbox: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[Any, dict[str, Any]]] = []

    async def fake_use_case(conn: Any, **kwargs: Any) -> None:
        seen.append((conn, kwargs))

    fake_use_case.__name__ = use_case
    inbox = FakeInbox()
    monkeypatch.setattr(services, use_case, fake_use_case)
    monkeypatch.setattr(handlers, "inbox", inbox)
    event = event_type.example()
    broker = RabbitBroker()
    broker.include_router(handlers.router)
    async with TestRabbitBroker(broker) as test_broker:
        broker.context.set_global("pool", FakePool())
        broker.context.set_global("clock", lambda: "now")
        broker.context.set_global("setup", "setup")
        broker.context.set_global("cipher", "cipher")
        await test_broker.publish(
            event.model_dump(mode="json"),
            exchange=RESTRICTED if event.RESTRICTED else EVENTS,
            routing_key=event.TYPE,
            message_id="m-1",
        )
    [(conn, kwargs)] = seen
    assert conn == "fake-connection"
    assert kwargs["event"] == event
    assert kwargs["now"] == "now"
    if through_inbox:
        assert inbox.calls == [(f"notify.{use_case}", "m-1")]
    else:
        assert inbox.calls == []  # the use case writes its inbox row with its deliveries
        assert (kwargs["event_id"], kwargs["consumer"]) == ("m-1", f"notify.{use_case}")


async def test_an_erasure_reaches_its_use_case_with_its_event_id_to_confirm(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[dict[str, Any]] = []

    async def resident_erased(conn: Any, **kwargs: Any) -> None:
        seen.append(kwargs)

    inbox = FakeInbox()
    monkeypatch.setattr(services, "resident_erased", resident_erased)
    monkeypatch.setattr(handlers, "inbox", inbox)
    event, message_id = ResidentErasedV1.example(), str(uuid4())
    broker = RabbitBroker()
    broker.include_router(handlers.router)
    async with TestRabbitBroker(broker) as test_broker:
        broker.context.set_global("pool", FakePool())
        broker.context.set_global("clock", lambda: "now")
        await test_broker.publish(
            event.model_dump(mode="json"), exchange=EVENTS, routing_key=event.TYPE,
            message_id=message_id,
        )  # fmt: skip
    [kwargs] = seen
    assert (kwargs["event"], kwargs["event_id"]) == (event, UUID(message_id))
    assert inbox.calls == [("notify.resident_erased", message_id)]
