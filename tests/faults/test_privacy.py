"""The privacy scan, after the scenarios: no NIK, phone or email the load made up appears in any
message that crossed `kerjalokal.events` (bodies and headers, as the witness queue kept them) or
in any service's log but the registry's (it holds the register). Notify holds the restricted
contact data in its database; its log must not show it either."""

import json
import re

import pytest

from .load import Load
from .platform import Platform

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.e2e]
ALLOWED = {"registry"}
DIGITS = re.compile(r"\+?\d{6,}")
EMAILS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def leaked(text: str, secrets: set[str]) -> set[str]:
    """The secrets in `text`: every digit run and email in it against the set (a search per
    secret over megabytes of logs would take minutes), digit runs also for what they contain."""
    found = set(EMAILS.findall(text)) & secrets
    digit_secrets = {s for s in secrets if "@" not in s}
    for run in set(DIGITS.findall(text)):
        if run in digit_secrets:
            found.add(run)
        elif len(run) > 11:
            found |= {s for s in digit_secrets if s in run}
    return found


def test_the_scan_finds_what_it_looks_for() -> None:
    secrets = {"3216091705000042", "081234567890", "+6281234567890", "warga7@example.org"}
    text = 'x "nik": "3216091705000042" to=+6281234567890, mail warga7@example.org 99081234567890'
    assert leaked(text, secrets) == secrets
    assert leaked("nothing 3216091705000043 warga8@example.org", secrets) == set()


async def test_no_generated_nik_phone_or_email_outside_the_registry(
    platform: Platform, load: Load
) -> None:
    if load.rounds == 0:
        pytest.skip("no load ran (no scenario was selected)")
    assert platform.witness.messages
    wire = "\n".join(
        m.body.decode(errors="replace") + json.dumps(m.headers, default=str)
        for m in platform.witness.messages
    )
    assert not leaked(wire, load.secrets), "generated NIKs/phones/emails on kerjalokal.events"
    for name, service in platform.services.items():
        if name in ALLOWED:
            continue
        found = leaked(service.log.read_text(errors="replace"), load.secrets)
        assert not found, f"{len(found)} generated NIKs/phones/emails in {name}'s log"
