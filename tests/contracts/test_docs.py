"""The documented contract names every event type that exists, and nothing that does not."""

import re
from pathlib import Path

from kerjalokal.events import EVENT_TYPES

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_docs_list_exactly_the_event_types() -> None:
    documented = set(
        re.findall(r"`((?:registry|vacancies|training|notify)\.[a-z_]+\.v\d+)`", DOC.read_text())
    )
    assert documented == set(EVENT_TYPES)


def test_restricted_events_are_marked_in_the_docs() -> None:
    text = DOC.read_text()
    for event_type, event in EVENT_TYPES.items():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{event_type}`"))
        assert ("Restricted" in row) == event.RESTRICTED, event_type
