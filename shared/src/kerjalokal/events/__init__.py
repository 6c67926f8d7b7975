"""The public event contract: every event type, keyed by its routing key."""

from . import notify, registry, training, vacancies
from .base import Event

EVENT_TYPES: dict[str, type[Event]] = {
    cls.TYPE: cls
    for module in (registry, vacancies, training, notify)
    for cls in vars(module).values()
    if isinstance(cls, type) and issubclass(cls, Event) and cls is not Event
}

__all__ = ["EVENT_TYPES", "Event"]
