"""CloudEvents 1.0 in binary mode over AMQP 0-9-1: `ce-*` headers, the JSON payload as the body,
and the same facts mirrored into the native AMQP properties."""

from datetime import datetime
from typing import Any
from uuid import UUID

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"


def source(service: str) -> str:
    return f"/kerjalokal/{service}"


def ce_headers(
    *, event_id: UUID, event_type: str, service: str, subject: str, time: datetime
) -> dict[str, Any]:
    return {
        "ce-specversion": SPEC_VERSION,
        "ce-id": str(event_id),
        "ce-source": source(service),
        "ce-type": event_type,
        "ce-time": time.isoformat(),
        "ce-subject": subject,
    }
