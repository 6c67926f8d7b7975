"""Who acts: an operator of the office, a village admin (one desa), a company's HR desk (one
company), or the system itself (consumers, housekeeping)."""

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

Role = Literal["operator", "village_admin", "company", "system"]


@dataclass(frozen=True)
class Actor:
    role: Role
    name: str
    desa_kode: str | None = None
    company_id: UUID | None = None

    @property
    def label(self) -> str:
        return f"{self.role}:{self.name}"

    def may_act_for(self, company_id: UUID) -> bool:
        """Operators act for every company, an HR desk only for its own."""
        return self.role in ("operator", "system") or (
            self.role == "company" and self.company_id == company_id
        )


SYSTEM = Actor(role="system", name="vacancies")
