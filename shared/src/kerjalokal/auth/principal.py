"""The caller of an endpoint: one role, and the scope that role acts in."""

from dataclasses import dataclass, field
from typing import Any, Literal, get_args
from uuid import UUID

Role = Literal["operator", "company", "institution", "village_admin", "agency", "service"]
ROLES: tuple[Role, ...] = get_args(Role)

# What each role's key must name: an HR desk acts for one company, an institution for its own
# programmes, a village (or district) admin for the residents of one desa (or kecamatan).
SCOPE_OF_ROLE: dict[str, tuple[str, ...]] = {
    "operator": (),
    "company": ("company_id",),
    "institution": ("institution_id",),
    "village_admin": ("desa_kode", "kecamatan_kode"),  # one of the two
    "agency": (),
    "service": (),
}


class ScopeError(ValueError):
    """A key's scope does not fit its role."""


def check_scope(role: str, scope: dict[str, Any]) -> dict[str, str]:
    """The scope a key of `role` keeps: exactly the fields its role needs, as strings."""
    if role not in ROLES:
        raise ScopeError(f"unknown role {role!r}")
    allowed = SCOPE_OF_ROLE[role]
    given = {k: str(v) for k, v in scope.items() if v not in (None, "")}
    extra = sorted(set(given) - set(allowed))
    if extra:
        raise ScopeError(f"role {role} takes no {', '.join(extra)}")
    if role == "village_admin":
        if len(given) != 1:
            raise ScopeError("village_admin needs exactly one of desa_kode or kecamatan_kode")
    elif set(given) != set(allowed):
        raise ScopeError(f"role {role} needs {', '.join(allowed)}")
    if "company_id" in given or "institution_id" in given:
        for name in ("company_id", "institution_id"):
            if name in given:
                try:
                    given[name] = str(UUID(given[name]))
                except ValueError as exc:
                    raise ScopeError(f"{name} is not a UUID") from exc
    return given


@dataclass(frozen=True)
class Principal:
    role: Role
    subject: str
    """Who, for logs and the audit log: `disnaker`, a key's label, a service's name."""
    key_id: str | None = None
    scope: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.role}:{self.subject}" + (f"[{self.key_id}]" if self.key_id else "")

    @property
    def company_id(self) -> UUID | None:
        value = self.scope.get("company_id")
        return UUID(value) if value else None

    @property
    def institution_id(self) -> UUID | None:
        value = self.scope.get("institution_id")
        return UUID(value) if value else None

    @property
    def desa_kode(self) -> str | None:
        return self.scope.get("desa_kode")

    @property
    def kecamatan_kode(self) -> str | None:
        return self.scope.get("kecamatan_kode")

    def covers_desa(self, desa_kode: str | None) -> bool:
        """A village admin's own residents: its desa, or every desa of its kecamatan (the desa
        code begins with the kecamatan code: 32.16.05.2001 lies in 32.16.05)."""
        if self.role != "village_admin" or not desa_kode:
            return False
        if self.desa_kode:
            return desa_kode == self.desa_kode
        kecamatan = self.kecamatan_kode or ""
        return bool(kecamatan) and desa_kode.startswith(kecamatan + ".")


OPERATOR = Principal(role="operator", subject="disnaker")
