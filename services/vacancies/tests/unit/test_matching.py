"""The seeker index: eligibility, the hard "certified first" key, scores and reasons."""

from uuid import UUID, uuid4

import numpy as np
import pytest

from kerjalokal.events import registry as reg
from vacancies.matching import Criteria, Seeker, SeekerIndex
from vacancies.services.seekers import certified_from_profile, trigger_for

YEAR = 2026


def seeker(n: int, **overrides: object) -> Seeker:
    values: dict = {
        "resident_id": UUID(int=n),
        "status": "active",
        "desa_kode": "32.16.09.2004",
        "kecamatan_kode": "32.16.09",
        "is_local": True,
        "sex": "L",
        "birth_year": 2000,
        "education_level": 5,
        "education_track": "kejuruan",
        "education_major": "Teknik Mesin",
        "skills": frozenset({"pengelasan"}),
        "certified": frozenset(),
    }
    return Seeker(**(values | overrides))


def criteria(**overrides: object) -> Criteria:
    values: dict = {
        "vacancy_id": uuid4(),
        "ref_year": YEAR,
        "education_min": 5,
        "skills": ("pengelasan",),
        "work_desa_kode": "32.16.09.2004",
        "work_kecamatan_kode": "32.16.09",
    }
    return Criteria(**(values | overrides))


def ranked(index: SeekerIndex, **overrides: object) -> list[int]:
    return [c.resident_id.int for c in index.match(criteria(**overrides), cap=100).candidates]


def test_only_eligible_seekers_are_ranked() -> None:
    index = SeekerIndex(capacity=2)  # grows as seekers arrive
    index.load([
        seeker(1),
        seeker(2, status="placed"),
        seeker(3, status="registered"),
        seeker(4, status="verified"),
        seeker(5, birth_year=None),
        seeker(6, sex="P"),
        seeker(7, birth_year=1980),
        seeker(8, education_level=4),
        seeker(9, education_level=8, education_track=None),
        seeker(10, education_track="umum"),
        seeker(11, education_major="Akuntansi"),
    ])  # fmt: skip
    assert len(index) == 11
    assert sorted(ranked(index)) == [1, 4, 6, 7, 9, 10, 11]
    assert sorted(ranked(index, sex="P")) == [6]
    assert sorted(ranked(index, age_min=18, age_max=35)) == [1, 4, 6, 9, 10, 11]
    assert sorted(ranked(index, education_track="kejuruan")) == [1, 4, 6, 7, 9, 11]
    assert sorted(ranked(index, majors=("teknik mesin",))) == [1, 4, 6, 7, 9, 10]
    assert sorted(ranked(index, education_max=5)) == [1, 4, 6, 7, 10, 11]
    assert ranked(index, majors=("tata boga",)) == []


def test_a_seeker_changes_in_place() -> None:
    index = SeekerIndex()
    index.upsert(seeker(1))
    index.upsert(seeker(1, status="placed"))
    assert len(index) == 1
    assert ranked(index) == []
    index.upsert(seeker(1, status="active", skills=frozenset({"bubut"})))
    [candidate] = index.match(criteria(), cap=5).candidates
    assert candidate.reasons == ("pendidikan:smk", "desa_sama", "lokal")


def test_trained_and_certified_come_first_whatever_the_score() -> None:
    index = SeekerIndex()
    index.load([
        seeker(1, skills=frozenset({"pengelasan", "bubut"})),
        seeker(2, certified=frozenset({"pengelasan"}), desa_kode="32.16.01.2001",
               kecamatan_kode="32.16.01", is_local=False, education_track="umum"),
        seeker(3, skills=frozenset({"bubut"})),
    ])  # fmt: skip
    match = index.match(criteria(skills=("pengelasan", "bubut")), cap=10)
    assert [c.resident_id.int for c in match.candidates] == [2, 1, 3]
    first, second, third = match.candidates
    assert first.certified
    assert not second.certified
    assert first.score < second.score
    assert first.reasons == ("sertifikat:pengelasan", "pendidikan:sma")
    assert second.reasons == (
        "keahlian:pengelasan", "keahlian:bubut", "pendidikan:smk", "desa_sama", "lokal",
    )  # fmt: skip
    assert third.score < second.score


def test_the_score_weighs_skills_education_place_and_locality() -> None:
    index = SeekerIndex()
    index.load([
        seeker(1),
        seeker(2, desa_kode="32.16.09.2001"),
        seeker(3, desa_kode="32.16.06.2004", kecamatan_kode="32.16.06"),
        seeker(4, is_local=False),
        seeker(5, skills=frozenset()),
    ])  # fmt: skip
    match = index.match(criteria(education_track="kejuruan"), cap=10)
    scores = {c.resident_id.int: c.score for c in match.candidates}
    assert scores[1] == pytest.approx(1.0 - 0.45)  # all but a certificate
    assert scores[1] > scores[2] > scores[3]
    assert scores[1] > scores[4]
    assert scores[5] == pytest.approx(scores[1] - 0.25)
    reasons = {c.resident_id.int: c.reasons for c in match.candidates}
    assert "kecamatan_sama" in reasons[2]
    assert "lokal" not in reasons[4]


def test_the_cap_keeps_the_best_and_counts_every_eligible() -> None:
    index = SeekerIndex()
    index.load(seeker(n, is_local=n % 2 == 0) for n in range(1, 101))
    match = index.match(criteria(), cap=10)
    assert match.eligible == 100
    assert len(match.candidates) == 10
    assert all("lokal" in c.reasons for c in match.candidates)
    scores = [c.score for c in match.candidates]
    assert scores == sorted(scores, reverse=True)


def test_an_erased_seeker_leaves_the_index_and_the_others_keep_their_rows() -> None:
    index = SeekerIndex(capacity=2)
    first, middle, last = seeker(1), seeker(2, skills=frozenset({"bubut"})), seeker(3, sex="P")
    for one in (first, middle, last):
        index.upsert(one)
    assert index.remove(first.resident_id) is True
    assert index.remove(first.resident_id) is False  # twice changes nothing
    assert len(index) == 2
    assert first.resident_id not in index
    found = index.match(criteria(skills=()), cap=10)
    assert {c.resident_id for c in found.candidates} == {middle.resident_id, last.resident_id}
    assert found.eligible == 2
    only_women = index.match(criteria(skills=(), sex="P"), cap=10)
    assert [c.resident_id for c in only_women.candidates] == [last.resident_id]
    lathe = index.match(criteria(skills=("bubut",)), cap=1)
    assert lathe.candidates[0].resident_id == middle.resident_id
    index.upsert(first)  # a row freed by a removal is taken again
    assert len(index) == 3
    assert index.match(criteria(skills=()), cap=10).eligible == 3


def test_the_skill_vocabulary_grows_past_one_word_of_bits() -> None:
    index = SeekerIndex(capacity=4)
    many = frozenset(f"keahlian-{i}" for i in range(150))
    index.upsert(seeker(1, skills=many, certified=frozenset({"keahlian-149"})))
    index.upsert(seeker(2))
    assert index.skill_bits.shape[1] >= 3
    first, second = index.match(criteria(skills=("keahlian-149",)), cap=5).candidates
    assert (first.resident_id.int, first.reasons[0]) == (1, "sertifikat:keahlian-149")
    assert (second.resident_id.int, second.certified) == (2, False)
    pengelasan = index.match(criteria(), cap=5).candidates  # still right after the bits moved
    assert [(c.resident_id.int, c.reasons[0]) for c in pengelasan] == [
        (2, "keahlian:pengelasan"), (1, "pendidikan:smk"),
    ]  # fmt: skip
    assert np.count_nonzero(index.skill_bits[0]) >= 3


def test_certificates_vouch_for_the_skills_they_name() -> None:
    profile = reg.Profile.model_validate(
        reg.ResidentRegisteredV1.example().model_dump()["profile"]
        | {
            "skills": ["pengelasan", "operator cnc", "forklift"],
            "certificates": [
                {"name": "Juru Las Tingkat 1", "scheme": "SKKNI Pengelasan SMAW"},
                {"name": "SIO Forklift", "issuer": "Kemnaker"},
            ],
        }
    )
    assert certified_from_profile(profile) == [
        "forklift", "juru las tingkat 1", "pengelasan", "sio forklift",
    ]  # fmt: skip


def test_what_triggers_a_match_for_a_changed_seeker() -> None:
    active, registered = seeker(1), seeker(1, status="registered")
    better = seeker(1, skills=frozenset({"pengelasan", "bubut"}))
    assert trigger_for("status_changed", registered, active) == "status_changed"
    assert trigger_for("status_changed", active, active) is None
    assert trigger_for("status_changed", None, registered) is None
    assert trigger_for("profile_updated", active, better) == "profile_updated"
    assert trigger_for("training_completed", active, better) == "training_completed"
    assert trigger_for("profile_updated", active, active) is None
    assert trigger_for("", active, better) is None
    assert trigger_for("status_changed", better, seeker(1, status="placed")) is None
