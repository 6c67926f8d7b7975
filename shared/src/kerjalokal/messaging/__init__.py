from . import inbox, outbox
from .broker import make_broker
from .consumer import PermanentError
from .documentation import document_publications
from .outbox import OutboxRelay
from .topology import (
    DLX,
    EVENT_LOG,
    EVENTS,
    RESTRICTED,
    consumer_queue,
    dead_letter_queue,
    declare_topology,
)

__all__ = [
    "DLX",
    "EVENTS",
    "EVENT_LOG",
    "RESTRICTED",
    "OutboxRelay",
    "PermanentError",
    "consumer_queue",
    "dead_letter_queue",
    "declare_topology",
    "document_publications",
    "inbox",
    "make_broker",
    "outbox",
]
