"""A resident's status. A verified resident stays verified while the AK/1 is refused (under 18);
placed and expired are final for this registration."""

from datetime import date
from enum import StrEnum

from registry.domain.errors import DomainError


class ResidentStatus(StrEnum):
    REGISTERED = "registered"
    VERIFIED = "verified"
    ACTIVE = "active"
    LAPSED = "lapsed"
    PLACED = "placed"
    EXPIRED = "expired"


class InvalidTransition(DomainError):
    pass


_S = ResidentStatus
_ALLOWED: dict[ResidentStatus, frozenset[ResidentStatus]] = {
    _S.REGISTERED: frozenset({_S.VERIFIED, _S.PLACED}),
    _S.VERIFIED: frozenset({_S.ACTIVE, _S.PLACED}),
    _S.ACTIVE: frozenset({_S.LAPSED, _S.PLACED, _S.EXPIRED}),
    _S.LAPSED: frozenset({_S.ACTIVE, _S.PLACED, _S.EXPIRED}),
    _S.PLACED: frozenset(),
    _S.EXPIRED: frozenset(),
}


def allowed_targets(current: ResidentStatus) -> frozenset[ResidentStatus]:
    return _ALLOWED[current]


def transition(current: ResidentStatus, target: ResidentStatus) -> ResidentStatus:
    if target not in _ALLOWED[current]:
        raise InvalidTransition(
            f"Status tidak bisa berubah dari {current} ke {target} /"
            f" Status cannot change from {current} to {target}"
        )
    return target


def sweep_status(
    *, status: ResidentStatus, next_report_due: date | None, valid_until: date | None, today: date
) -> ResidentStatus | None:
    """Where the daily sweep moves a resident, or None. Dates are inclusive: a card is valid and a
    report is on time through the date itself. Expiry wins over a missed report."""
    if status not in (_S.ACTIVE, _S.LAPSED):
        return None
    if valid_until is not None and today > valid_until:
        return _S.EXPIRED
    if status is _S.ACTIVE and next_report_due is not None and today > next_report_due:
        return _S.LAPSED
    return None
