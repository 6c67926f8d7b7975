"""The privacy scan, after the scenarios: no NIK, phone or email the load made up appears in any
message that crossed `kerjalokal.events` (bodies and headers, as the witness queue kept them) or
in any service's log, except the registry's own log (it holds the register) and notify's (it holds
the restricted contact data)."""

import json

import pytest

from .load import Load
from .platform import Platform

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.e2e]
ALLOWED = {"registry", "notify"}


async def test_no_generated_nik_phone_or_email_outside_the_registry(
    platform: Platform, load: Load
) -> None:
    if load.rounds == 0:
        pytest.skip("no load ran (no scenario was selected)")
    wire = "\n".join(
        m.body.decode(errors="replace") + json.dumps(m.headers, default=str)
        for m in platform.witness.messages
    )
    assert platform.witness.messages
    leaks = [s for s in load.secrets if s in wire]
    assert not leaks, f"{len(leaks)} generated NIKs/phones/emails on kerjalokal.events"
    for name, service in platform.services.items():
        if name in ALLOWED:
            continue
        text = service.log.read_text(errors="replace")
        leaked = [s for s in load.secrets if s in text]
        assert not leaked, f"{len(leaked)} generated NIKs/phones/emails in {name}'s log"
