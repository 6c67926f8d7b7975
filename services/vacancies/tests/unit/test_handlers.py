"""Handler wiring with FastStream's in-memory broker: each event type reaches its use case once,
through the inbox, from the right exchange; the index learns the seeker after the commit.
Redelivery and dead-lettering need the real broker (tests/integration/test_consumers.py)."""

from typing import Any

import pytest
from faststream.rabbit import RabbitBroker, TestRabbitBroker

from kerjalokal.events import Event
from kerjalokal.events import registry as reg
from kerjalokal.events import training as tr
from kerjalokal.messaging import EVENTS, RESTRICTED
from vacancies import handlers
from vacancies.matching import SeekerIndex
from vacancies.services import seekers

from .test_matching import seeker


class FakeInbox:
    def __init__(self, first_time: bool = True) -> None:
        self.calls: list[tuple[str, str]] = []
        self.first_time = first_time

    async def handle_once(self, pool: Any, *, consumer: str, event_id: str, apply: Any) -> bool:
        self.calls.append((consumer, event_id))
        if self.first_time:
            await apply("fake-connection")
        return self.first_time


@pytest.mark.parametrize(
    ("event", "use_case", "exchange"),
    [
        (reg.ResidentRegisteredV1.example(), "registered", EVENTS),
        (reg.ResidentVerifiedV1.example(), "verified", EVENTS),
        (reg.ResidentProfileUpdatedV1.example(), "profile_updated", EVENTS),
        (reg.ResidentStatusChangedV1.example(), "status_changed", EVENTS),
        (reg.ResidentIdentityRecordedV1.example(), "identity_recorded", RESTRICTED),
        (tr.ResidentEnrolledV1.example(), "enrolled", EVENTS),
        (tr.EnrollmentWithdrawnV1.example(), "withdrawn", EVENTS),
        (tr.TrainingCompletedV1.example(), "training_completed", EVENTS),
    ],
)
@pytest.mark.parametrize("first_time", [True, False])
async def test_each_event_reaches_its_use_case_through_the_inbox(
    event: Event, use_case: str, exchange: Any, first_time: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[Any, Event]] = []
    after = seeker(7, status="registered")

    async def fake_use_case(conn: Any, *, event: Event, now: Any) -> tuple[Any, Any]:
        seen.append((conn, event))
        return None, after

    fake_use_case.__name__ = use_case
    inbox = FakeInbox(first_time)
    index = SeekerIndex()
    monkeypatch.setattr(seekers, use_case, fake_use_case)
    monkeypatch.setattr(handlers, "inbox", inbox)
    broker = RabbitBroker()
    broker.include_router(handlers.router)
    async with TestRabbitBroker(broker) as test_broker:
        broker.context.set_global("pool", "fake-pool")
        broker.context.set_global("index", index)
        await test_broker.publish(
            event.model_dump(mode="json"), exchange=exchange, routing_key=event.TYPE,
            message_id="m-1",
        )  # fmt: skip
    assert seen == ([("fake-connection", event)] if first_time else [])
    assert inbox.calls == [(f"vacancies.{use_case}", "m-1")]
    assert (after.resident_id in index) is first_time


def test_a_request_commits_before_its_response_is_sent() -> None:
    """With FastAPI's default scope the transaction would commit after the response: a client
    could read before the write landed, and a failed commit would follow a 201."""
    from typing import get_args

    from vacancies.api.deps import Conn

    assert get_args(Conn)[1].scope == "function"
