"""Queue warnings from depth samples taken over time (passive declares: depth and consumers;
publish and deliver rates would need the management plugin, so the rate shown is the net change
of the depth)."""

from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

# "Keeps growing": never shrank over the last five samples and is deeper than five samples ago.
GROWTH_SAMPLES = 5


@dataclass(frozen=True)
class Sample:
    at: datetime
    messages: int
    consumers: int


@dataclass(frozen=True)
class QueueHealth:
    queue: str
    messages: int
    consumers: int
    per_minute: float | None  # net change of the depth
    warnings: tuple[str, ...]


def needs_consumer(queue: str) -> bool:
    """Dead-letter queues and the unrouted queue are read by people, not by a consumer."""
    return not (queue.endswith(".dlq") or queue == "kerjalokal.unrouted")


def assess(queue: str, samples: list[Sample]) -> QueueHealth:
    """`samples` oldest first."""
    last = samples[-1]
    warnings = []
    if needs_consumer(queue) and last.consumers == 0:
        warnings.append("Tanpa konsumen / no consumer")
    recent = samples[-GROWTH_SAMPLES:]
    if (
        len(recent) == GROWTH_SAMPLES
        and all(b.messages >= a.messages for a, b in pairwise(recent))
        and recent[-1].messages > recent[0].messages
    ):
        warnings.append("Terus bertambah / keeps growing")
    if not needs_consumer(queue) and last.messages > 0 and queue.endswith(".dlq"):
        warnings.append("Ada pesan gagal / dead letters waiting")
    per_minute = None
    if len(samples) >= 2:
        seconds = (last.at - samples[0].at).total_seconds()
        if seconds > 0:
            per_minute = (last.messages - samples[0].messages) * 60.0 / seconds
    return QueueHealth(queue, last.messages, last.consumers, per_minute, tuple(warnings))
