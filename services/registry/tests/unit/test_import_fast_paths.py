"""The bulk import's cheap paths give exactly what the general paths give: the events' JSON byte
for byte, and the same normalised value or the same refusal for every input."""

import base64
import os
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kerjalokal.testing.factories import registration
from registry.crypto import PersonalDataCipher
from registry.schemas import RegistrationIn
from registry.services import Actor, prepare, registered_events, registered_payloads

NOW = datetime(2026, 11, 28, 9, 0, 0, 123456, tzinfo=UTC)
BULK = Actor(role="bulk_import", name="operator:test")


def key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


CIPHER = PersonalDataCipher(hmac_key=key(), data_key=key(), lookup_key=key())
NO_LOOKUP = PersonalDataCipher(hmac_key=key(), data_key=key())


def both(payload: dict[str, Any], *, cipher: PersonalDataCipher = CIPHER, now: datetime = NOW):
    prepared = prepare(
        cipher=cipher, data=RegistrationIn.model_validate(payload), actor=BULK, now=now
    )
    row = prepared.columns | {"version": 1, "in_training": False}
    models = registered_events(row, prepared.personal, now=now, nik_lookup=prepared.nik_lookup)
    slow = [(type(event), event.subject, event.model_dump_json()) for event in models]
    fast = registered_payloads(row, prepared.personal, now=now, nik_lookup=prepared.nik_lookup)
    return slow, fast


def test_the_import_events_are_the_models_json_byte_for_byte() -> None:
    for payload in (
        registration(),
        registration(email=None, consent={"contact": False, "channels": []}),
        registration(
            skills=["Pengelasan", " bubut ", "pengelasan"],
            certificates=[
                {"name": "Juru Las", "issuer": "BNSP", "year": 2024, "number": "X-1"},
                {"name": "K3 Umum"},
            ],
            occupation_interests=["7212.01", "7212.01", "8211"],
            education={"level": 7, "major": "Akuntansi"},
            address={"street": "Jl. Lain 3", "desa_kode": "32.75.01.1001"},  # not local
        ),
    ):
        slow, fast = both(payload)
        assert len(fast) == 3
        assert fast == slow


def test_without_a_lookup_key_no_identity_event_in_either() -> None:
    slow, fast = both(registration(), cipher=NO_LOOKUP)
    assert len(fast) == 2
    assert fast == slow


def test_times_in_any_offset_serialise_alike() -> None:
    for now in (NOW.replace(microsecond=0), NOW.astimezone(timezone(timedelta(hours=7)))):
        slow, fast = both(registration(), now=now)
        assert fast == slow


@settings(max_examples=300, deadline=None)
@given(
    name=st.text(min_size=1, max_size=60).filter(lambda s: s.strip()),
    major=st.none() | st.text(min_size=1, max_size=40).filter(lambda s: s.strip()),
    skills=st.lists(st.text(min_size=2, max_size=20).filter(lambda s: len(s.strip()) >= 2)),
)
def test_any_text_serialises_alike(name: str, major: str | None, skills: list[str]) -> None:
    """Names, majors and skills are free text: control characters, quotes, any script."""
    payload = registration(
        full_name=name,
        skills=skills[:50],
        education={"level": 5, "track": "kejuruan", "major": major},
    )
    slow, fast = both(payload)
    assert fast == slow
