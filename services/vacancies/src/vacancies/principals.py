"""Who acts: the chassis `Principal` (an operator of the office, a company's HR desk, a village or
district admin, an agency, a training institution, another service), and the system itself
(consumers, housekeeping). Company HR desks and village admins hold API keys of this service
(`kerjalokal.auth.keys`), scoped to their company or their desa/kecamatan."""

from uuid import UUID

from kerjalokal.auth import Principal

Actor = Principal
"""The name the use cases use for whoever acts."""

SYSTEM = Principal(role="service", subject="vacancies")
"""The service itself: consumers and housekeeping. Never a caller of the API (a `service` key
of another system reads public data only)."""

PUBLIC_READERS = ("village_admin", "agency", "institution", "service")
"""Roles that read this service's public data: published vacancies and the office's figures."""


def may_act_for(who: Principal, company_id: UUID) -> bool:
    """Operators act for every company, an HR desk only for its own."""
    return who.role == "operator" or (who.role == "company" and who.company_id == company_id)
