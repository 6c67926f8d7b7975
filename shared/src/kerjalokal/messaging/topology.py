"""The broker topology every service shares, declared idempotently at start-up.

    kerjalokal.events      topic, public events; alternate exchange kerjalokal.unrouted
      └─ kerjalokal.events.log    stream bound to '#': replay from any offset or time
    kerjalokal.restricted  topic, events with personal data (contact details for notify)
    kerjalokal.unrouted    fanout → queue kerjalokal.unrouted: kept, never silently dropped
    kerjalokal.dlx         topic → <service>.dlq bound to '<service>.#'

Each consumer owns a quorum queue `<service>.<purpose>` whose dead letters (after the broker's
delivery limit) and whose rejected messages (by the chassis, with their reason) go to its
service's dead-letter queue. Queue arguments are immutable once declared: change them with a new
queue name, never in place.
"""

from faststream.rabbit import ExchangeType, QueueType, RabbitBroker, RabbitExchange, RabbitQueue

from kerjalokal.events import Event

UNROUTED = RabbitExchange("kerjalokal.unrouted", type=ExchangeType.FANOUT, durable=True)
EVENTS = RabbitExchange(
    "kerjalokal.events",
    type=ExchangeType.TOPIC,
    durable=True,
    arguments={"alternate-exchange": UNROUTED.name},
)
RESTRICTED = RabbitExchange(
    "kerjalokal.restricted",
    type=ExchangeType.TOPIC,
    durable=True,
    arguments={"alternate-exchange": UNROUTED.name},
)
DLX = RabbitExchange("kerjalokal.dlx", type=ExchangeType.TOPIC, durable=True)

UNROUTED_QUEUE = RabbitQueue("kerjalokal.unrouted", queue_type=QueueType.QUORUM)
EVENT_LOG = RabbitQueue(
    "kerjalokal.events.log",
    queue_type=QueueType.STREAM,
    routing_key="#",
    arguments={"x-max-age": "90D", "x-stream-max-segment-size-bytes": 50_000_000},
)

# Every requeue counts on RabbitMQ 3.x, restarts included, so the broker's limit is a backstop
# for messages that crash the process; the chassis dead-letters failing handlers much earlier.
BROKER_DELIVERY_LIMIT = 20


def exchange_for(event: type[Event] | Event) -> RabbitExchange:
    return RESTRICTED if event.RESTRICTED else EVENTS


def consumer_queue(service: str, purpose: str, event: type[Event]) -> RabbitQueue:
    return RabbitQueue(
        f"{service}.{purpose}",
        queue_type=QueueType.QUORUM,
        routing_key=event.TYPE,
        arguments={
            "x-delivery-limit": BROKER_DELIVERY_LIMIT,
            "x-dead-letter-exchange": DLX.name,
            "x-dead-letter-routing-key": f"{service}.{purpose}",
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        },
    )


def dead_letter_queue(service: str) -> RabbitQueue:
    return RabbitQueue(f"{service}.dlq", queue_type=QueueType.QUORUM, routing_key=f"{service}.#")


async def declare_topology(broker: RabbitBroker, *, service: str) -> None:
    """Declare what every service needs before it publishes or consumes. Safe to repeat."""
    unrouted = await broker.declare_exchange(UNROUTED)
    events = await broker.declare_exchange(EVENTS)
    await broker.declare_exchange(RESTRICTED)
    dlx = await broker.declare_exchange(DLX)
    await (await broker.declare_queue(UNROUTED_QUEUE)).bind(unrouted)
    await (await broker.declare_queue(EVENT_LOG)).bind(events, routing_key="#")
    dlq = dead_letter_queue(service)
    await (await broker.declare_queue(dlq)).bind(dlx, routing_key=f"{service}.#")
