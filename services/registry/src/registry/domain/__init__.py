"""Registry rules: NIK, domicile and locality, the AK/1 card, resident status, contact.

No I/O and no clock: callers pass `today`. Every DomainError carries a bilingual `reason`.
"""

from registry.domain.ak1 import (
    AK1_MIN_AGE,
    AK1_REPORT_EVERY_MONTHS,
    AK1_VALID_YEARS,
    Ak1Card,
    Ak1Expired,
    age_on,
    ak1_eligibility,
    issue_ak1,
    report_in,
)
from registry.domain.contact import ContactChannel, InvalidPhone, normalize_phone
from registry.domain.domicile import Domicile, InvalidDomicile, is_local, validate_domicile
from registry.domain.errors import DomainError
from registry.domain.nik import InvalidNik, Nik, Sex, nik_birth_date, nik_warnings, parse_nik
from registry.domain.status import (
    InvalidTransition,
    ResidentStatus,
    allowed_targets,
    sweep_status,
    transition,
)

__all__ = [
    "AK1_MIN_AGE",
    "AK1_REPORT_EVERY_MONTHS",
    "AK1_VALID_YEARS",
    "Ak1Card",
    "Ak1Expired",
    "ContactChannel",
    "DomainError",
    "Domicile",
    "InvalidDomicile",
    "InvalidNik",
    "InvalidPhone",
    "InvalidTransition",
    "Nik",
    "ResidentStatus",
    "Sex",
    "age_on",
    "ak1_eligibility",
    "allowed_targets",
    "is_local",
    "issue_ak1",
    "nik_birth_date",
    "nik_warnings",
    "normalize_phone",
    "parse_nik",
    "report_in",
    "sweep_status",
    "transition",
    "validate_domicile",
]
