"""What an agency may see, and the RabbitMQ permissions that enforce it.

Agencies (village websites, other dinas, statistics tools) read public events only, and of
those only the types listed here: vacancies as published, verified companies and their MoUs,
hires (by the resident's random id), the first broadcast of a vacancy, training offers. Registry
events are not personal but describe individual seekers, so they stay inside the platform.
"""

import re
from dataclasses import dataclass

from kerjalokal.events import EVENT_TYPES

PUBLIC_EVENT_TYPES = frozenset(
    {
        "vacancies.vacancy_published.v1",
        "vacancies.vacancy_updated.v1",
        "vacancies.vacancy_closed.v1",
        "vacancies.company_verified.v1",
        "vacancies.partnership_signed.v1",
        "vacancies.resident_hired.v1",
        "notify.vacancy_broadcast.v1",
        "training.programme_opened.v1",
        "training.session_opened.v1",
    }
)
EXCHANGE = "kerjalokal.events"
_NAME = re.compile(r"^[a-z][a-z0-9-]{1,30}$")


class AgencyRefused(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def available_event_types() -> list[str]:
    """Public types that exist in the contract now (training's offers join when published)."""
    return sorted(PUBLIC_EVENT_TYPES & set(EVENT_TYPES))


@dataclass(frozen=True)
class AgencyAccess:
    name: str
    event_types: tuple[str, ...]

    @property
    def username(self) -> str:
        return f"agency-{self.name}"

    @property
    def queue(self) -> str:
        return f"agency.{self.name}.events"

    @property
    def own_queues(self) -> str:
        return rf"^agency\.{self.name}\..*"

    def vhost_permissions(self) -> tuple[str, str, str]:
        """configure, write, read. Write on its own queues is what `queue.bind` needs; it allows
        no publish, since publishing needs write on an exchange and none matches."""
        read = rf"^(agency\.{self.name}\..*|{re.escape(EXCHANGE)})$"
        return self.own_queues, self.own_queues, read

    def topic_permissions(self) -> tuple[str, str]:
        """write, read on kerjalokal.events: no routing key to publish, bind only these keys."""
        keys = "|".join(re.escape(t) for t in self.event_types)
        return "^$", f"^({keys})$"


def access(name: str, event_types: list[str]) -> AgencyAccess:
    if not _NAME.match(name):
        raise AgencyRefused(
            "name",
            "Nama agensi: huruf kecil, angka dan '-', 2-31 karakter, diawali huruf /"
            " agency name: lowercase letters, digits and '-', 2-31 characters,"
            " starting with a letter",
        )
    types = sorted(set(event_types))
    if not types:
        raise AgencyRefused(
            "events", "Pilih minimal satu jenis event / choose at least one event type"
        )
    allowed = set(available_event_types())
    if refused := [t for t in types if t not in allowed]:
        raise AgencyRefused(
            "events",
            f"Bukan event publik / not public event types: {', '.join(refused)};"
            f" tersedia / available: {', '.join(sorted(allowed))}",
        )
    return AgencyAccess(name=name, event_types=tuple(types))
