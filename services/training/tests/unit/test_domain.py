"""Rules without I/O: eligibility, licences, dates, documents, completion."""

from datetime import date
from uuid import uuid4

import pytest

from kerjalokal.auth import Principal
from training.completions import _certified
from training.domain import (
    SYSTEM,
    DomainError,
    FieldError,
    Requirements,
    Seeker,
    apprenticeship_outcome,
    check_attendance_day,
    check_completion_date,
    check_licence,
    check_session_open,
    eligibility,
    letter_number,
    may_act_for,
    may_read_catalogue,
    normalize_skill,
)
from training.schemas import CompletionIn, ProgrammeIn, SessionIn

START = date(2026, 11, 10)
SMK = Seeker(status="active", birth_year=2000, education_level=5, education_track="kejuruan")


def test_an_eligible_seeker_has_no_reasons() -> None:
    rules = Requirements(min_age=18, max_age=35, min_education_level=5, education_track="kejuruan")
    assert eligibility(SMK, rules, starts_on=START) == []


@pytest.mark.parametrize(
    ("seeker", "rules", "words"),
    [
        (SMK, Requirements(max_age=25), "maximum age 25"),
        (SMK, Requirements(min_age=30), "minimum age 30"),
        (SMK, Requirements(min_education_level=7), "minimum education level 7"),
        (SMK, Requirements(education_track="umum"), "umum education track"),
        (Seeker("placed", 2000, 5, None), Requirements(), "status placed"),
        (Seeker("expired", 2000, 5, None), Requirements(), "status expired"),
    ],
)
def test_each_unmet_rule_gives_its_reason(seeker: Seeker, rules: Requirements, words: str) -> None:
    [reason] = eligibility(seeker, rules, starts_on=START)
    assert words in reason


def test_age_counts_in_the_year_the_session_starts() -> None:
    born_2009 = Seeker("registered", 2009, 4, None)
    assert eligibility(born_2009, Requirements(min_age=18), starts_on=date(2026, 12, 31))
    assert eligibility(born_2009, Requirements(min_age=18), starts_on=date(2027, 1, 1)) == []


def test_an_institution_acts_for_itself_only() -> None:
    mine, other = uuid4(), uuid4()
    institution = Principal("institution", "x", "k1", {"institution_id": str(mine)})
    assert may_act_for(institution, mine)
    assert not may_act_for(institution, other)
    assert may_act_for(Principal("operator", "disnaker"), other)
    assert may_act_for(SYSTEM, other)
    for role in ("village_admin", "agency", "company"):
        reader = Principal(role, "x", "k2", {})
        assert not may_act_for(reader, mine)
        assert may_read_catalogue(reader, mine)
    assert may_read_catalogue(institution, mine)
    assert not may_read_catalogue(institution, other)


@pytest.mark.parametrize("status", ["pending", "suspended", "revoked"])
def test_only_licensed_or_accredited_institutions_open_things(status: str) -> None:
    check_licence("licensed")
    check_licence("accredited")
    with pytest.raises(DomainError, match=status):
        check_licence(status)


def test_session_and_completion_dates() -> None:
    check_session_open(ends_on=START, today=START)
    with pytest.raises(DomainError):
        check_session_open(ends_on=START, today=date(2026, 11, 11))
    check_completion_date(starts_on=START, today=START)
    with pytest.raises(DomainError):
        check_completion_date(starts_on=START, today=date(2026, 11, 9))


def test_attendance_days_fall_inside_the_session_and_not_in_the_future() -> None:
    end = date(2026, 11, 26)
    assert check_attendance_day(START, starts_on=START, ends_on=end, today=end) is None
    assert check_attendance_day(date(2026, 11, 27), starts_on=START, ends_on=end, today=end)
    assert check_attendance_day(end, starts_on=START, ends_on=end, today=START)


def test_documents_and_outcomes() -> None:
    assert letter_number(42, year=2026) == "SKET-MAG/2026/000042"
    assert apprenticeship_outcome(passed=True, hired=False) == "certified"
    assert apprenticeship_outcome(passed=False, hired=False) == "attended"
    assert apprenticeship_outcome(passed=False, hired=True) == "hired"
    assert normalize_skill("  Operator   CNC ") == "operator cnc"


def test_a_training_pass_names_numbered_competencies() -> None:
    numbered = {"skill": "Pengelasan", "scheme": "SKKNI", "certificate_number": "C-1"}
    assert _certified(CompletionIn(passed=True, certified_skills=[numbered]), kind="training") == [
        {"skill": "pengelasan", "scheme": "SKKNI", "certificate_number": "C-1"}
    ]
    with pytest.raises(FieldError) as missing:
        _certified(CompletionIn(passed=True), kind="training")
    assert missing.value.loc == ("certified_skills",)
    with pytest.raises(FieldError) as unnumbered:
        _certified(CompletionIn(passed=True, certified_skills=[{"skill": "las"}]), kind="training")
    assert unnumbered.value.loc == ("certified_skills", "0", "certificate_number")
    with pytest.raises(FieldError):
        _certified(CompletionIn(passed=False, certified_skills=[numbered]), kind="training")


def test_an_apprenticeship_pass_carries_its_certificate_to_each_skill() -> None:
    data = CompletionIn(passed=True, certificate_number="MAG-9", certified_skills=[{"skill": "qc"}])
    assert _certified(data, kind="apprenticeship")[0]["certificate_number"] == "MAG-9"
    with pytest.raises(FieldError) as missing:
        _certified(CompletionIn(passed=True), kind="apprenticeship")
    assert missing.value.loc == ("certificate_number",)
    assert _certified(CompletionIn(passed=False), kind="apprenticeship") == []


def test_inputs_refuse_what_does_not_fit() -> None:
    with pytest.raises(ValueError, match="apprenticeship details"):
        ProgrammeIn(kind="apprenticeship", title="x", vocation="y", hours=10)
    with pytest.raises(ValueError, match="ends_on before starts_on"):
        SessionIn(starts_on=START, ends_on=date(2026, 11, 1))
    with pytest.raises(ValueError):
        ProgrammeIn(title="x", vocation="y", hours=10, kbji_code="72")
    with pytest.raises(ValueError):
        ProgrammeIn(title="x", vocation="y", hours=10, colour="red")  # type: ignore[call-arg]
