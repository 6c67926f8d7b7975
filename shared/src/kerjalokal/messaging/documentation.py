"""The events a service publishes, declared to FastStream so that its AsyncAPI document lists
them beside what it consumes. The outbox relay does the publishing; these only describe it."""

from collections.abc import Iterable

from faststream.rabbit import RabbitBroker

from kerjalokal.events import Event

from .topology import exchange_for


def document_publications(broker: RabbitBroker, events: Iterable[type[Event]]) -> None:
    for event in events:
        restricted = " Restricted: personal data, only for notify." if event.RESTRICTED else ""
        broker.publisher(
            exchange=exchange_for(event),
            routing_key=event.TYPE,
            schema=event,
            title=event.TYPE,
            description=(event.__doc__ or event.TYPE).strip() + restricted,
            persist=True,
        )
