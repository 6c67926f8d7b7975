"""Applications: `submitted → screening → interview → offered → hired`, with the exits refused,
withdrawn, no_show and cancelled, and obsolete (hired elsewhere) set by the system alone.

A company may hire straight from the interview when it says so. A hire needs a start date not
too far back (the office's rule, 7 days by default) and a contract type.
"""

from datetime import date, timedelta
from enum import StrEnum

from .errors import DomainError, FieldError


class Status(StrEnum):
    SUBMITTED = "submitted"
    SCREENING = "screening"
    INTERVIEW = "interview"
    OFFERED = "offered"
    HIRED = "hired"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    OBSOLETE = "obsolete"


S = Status
OPEN = frozenset({S.SUBMITTED, S.SCREENING, S.INTERVIEW, S.OFFERED})
_EXITS = frozenset({S.REFUSED, S.WITHDRAWN, S.CANCELLED})
_NEXT: dict[Status, frozenset[Status]] = {
    S.SUBMITTED: frozenset({S.SCREENING}) | _EXITS,
    S.SCREENING: frozenset({S.INTERVIEW}) | _EXITS,
    S.INTERVIEW: frozenset({S.OFFERED, S.HIRED, S.NO_SHOW}) | _EXITS,
    S.OFFERED: frozenset({S.HIRED, S.NO_SHOW}) | _EXITS,
}
MAX_START_AHEAD_DAYS = 365


def allowed(current: Status) -> frozenset[Status]:
    return _NEXT.get(current, frozenset())


def transition(current: Status, target: Status) -> Status:
    """The target if a principal may move the application there; obsolete is the system's."""
    if target is S.OBSOLETE or target not in allowed(current):
        options = ", ".join(sorted(allowed(current) - {S.OBSOLETE})) or "tidak ada / none"
        raise DomainError(
            f"Lamaran berstatus {current} tidak dapat menjadi {target} (bisa: {options}) /"
            f" an application in {current} cannot move to {target} (allowed: {options})"
        )
    return target


def check_reason(target: Status, reason: str | None) -> None:
    if target is S.REFUSED and not (reason or "").strip():
        raise FieldError(("reason",), "Penolakan butuh alasan / a refusal needs a reason")


def check_hire(
    *, start_date: date | None, contract_type: str | None, today: date, backdate_days: int
) -> date:
    """The start date of a hire, if it is allowed: not more than `backdate_days` in the past."""
    if start_date is None:
        raise FieldError(("start_date",), "Tanggal mulai kerja wajib / a start date is required")
    if contract_type is None:
        raise FieldError(
            ("contract_type",),
            "Jenis kontrak wajib (pkwt, pkwtt, magang) / a contract type is"
            " required (pkwt, pkwtt, magang)",
        )
    earliest = today - timedelta(days=backdate_days)
    if start_date < earliest:
        raise FieldError(
            ("start_date",),
            f"Tanggal mulai paling awal {earliest.isoformat()} ({backdate_days} hari lalu) /"
            f" the start date may be at most {backdate_days} days back ({earliest.isoformat()})",
        )
    if start_date > today + timedelta(days=MAX_START_AHEAD_DAYS):
        raise FieldError(
            ("start_date",),
            "Tanggal mulai lebih dari setahun lagi / the start date is more than a year ahead",
        )
    return start_date
