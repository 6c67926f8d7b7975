"""Rules without I/O: the review check, the application machine, vacancy fields, reports."""

from datetime import date, timedelta

import pytest

from kerjalokal.testing.factories import nik
from vacancies.domain import applications as rules
from vacancies.domain import placement, review
from vacancies.domain.applications import Status as S
from vacancies.domain.errors import DomainError, FieldError
from vacancies.domain.vacancy import VacancyStatus as V
from vacancies.domain.vacancy import check_edit, check_fields, closing_status

TODAY = date(2026, 11, 28)


def codes(**vacancy: object) -> set[str]:
    return {flag.code for flag in review.check(vacancy)}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Berpenampilan menarik", "diskriminasi:penampilan"),
        ("Good looking, max 25", "diskriminasi:penampilan"),
        ("Belum menikah", "diskriminasi:status_perkawinan"),
        ("Status: single", "diskriminasi:status_perkawinan"),
        ("Tinggi badan min 165 cm", "diskriminasi:tinggi_badan"),
        ("TB min 160", "diskriminasi:tinggi_badan"),
        ("Kulit putih bersih", "diskriminasi:warna_kulit"),
        ("Diutamakan suku Sunda", "diskriminasi:suku"),
        ("Beragama Islam", "diskriminasi:agama"),
        ("Biaya pendaftaran Rp 150.000", "biaya_pelamar"),
        ("Uang seragam ditanggung pelamar", "biaya_pelamar"),
        ("Transfer ke rekening panitia", "biaya_pelamar"),
        ("Jaminan ijazah asli", "biaya_pelamar"),
    ],
)
def test_the_check_flags_each_forbidden_requirement(text: str, code: str) -> None:
    assert code in codes(description=text)


@pytest.mark.parametrize(
    "text",
    [
        "Mengelas rangka baja sesuai gambar kerja; paham K3.",
        "Tanpa biaya apa pun. Tidak dipungut biaya.",
        "Free of charge; no fee at any stage.",
        "Biaya transport dan makan ditanggung perusahaan.",
        "Merakit suku cadang sepeda motor.",
        "Bersertifikat bekerja di ketinggian (work at height).",
        "Gaji dibayar setiap bulan, lembur dibayar.",
    ],
)
def test_the_check_leaves_plain_job_text_alone(text: str) -> None:
    assert codes(description=text, how_to_apply=text) == set()


def test_an_age_limit_needs_a_reason_but_the_legal_minimum_does_not() -> None:
    assert codes(age_min=18) == set()
    assert codes(age_max=30) == {"usia_tanpa_alasan"}
    assert codes(age_min=21) == {"usia_tanpa_alasan"}
    assert codes(age_max=30, age_reason="Program pemagangan (Permenaker 6/2020)") == set()


def test_flags_name_the_field_and_say_why_in_both_languages() -> None:
    [flag] = review.check({"skills": ["pengelasan", "berpenampilan menarik"]})
    assert flag.field == "skills"
    assert " / " in flag.message


def test_the_application_machine() -> None:
    assert rules.transition(S.SUBMITTED, S.SCREENING) is S.SCREENING
    assert rules.transition(S.INTERVIEW, S.HIRED) is S.HIRED
    assert rules.transition(S.OFFERED, S.NO_SHOW) is S.NO_SHOW
    for current, target in [
        (S.SUBMITTED, S.HIRED), (S.SUBMITTED, S.OFFERED), (S.HIRED, S.CANCELLED),
        (S.REFUSED, S.SCREENING), (S.SUBMITTED, S.OBSOLETE), (S.OBSOLETE, S.SUBMITTED),
    ]:  # fmt: skip
        with pytest.raises(DomainError):
            rules.transition(current, target)


def test_a_hire_needs_a_recent_start_date_and_a_contract() -> None:
    week_ago = TODAY - timedelta(days=7)
    assert rules.check_hire(start_date=week_ago, contract_type="pkwt", today=TODAY,
                            backdate_days=7) == week_ago  # fmt: skip
    for start, contract, loc in [
        (None, "pkwt", "start_date"),
        (TODAY, None, "contract_type"),
        (TODAY - timedelta(days=8), "pkwt", "start_date"),
        (TODAY + timedelta(days=400), "pkwt", "start_date"),
    ]:
        with pytest.raises(FieldError) as error:
            rules.check_hire(start_date=start, contract_type=contract, today=TODAY, backdate_days=7)
        assert error.value.loc == (loc,)
    with pytest.raises(FieldError):
        rules.check_reason(S.REFUSED, "  ")
    rules.check_reason(S.WITHDRAWN, None)


def _vacancy(**overrides: object) -> dict:
    return {
        "valid_until": TODAY + timedelta(days=30), "age_min": None, "age_max": None,
        "education": {"minimum": 5, "maximum": None}, "wage": {"minimum": 1, "maximum": 2},
        "contract_type": "pkwt", "contract_months": 12, "openings": 2,
        "work_desa_kode": "32.16.09.2004",
    } | overrides  # fmt: skip


def test_vacancy_fields_are_checked_across_fields() -> None:
    assert check_fields(_vacancy(), today=TODAY) == {"work_kecamatan_kode": "32.16.09"}
    for overrides, loc in [
        ({"valid_until": TODAY - timedelta(days=1)}, ("valid_until",)),
        ({"valid_until": TODAY + timedelta(days=181)}, ("valid_until",)),
        ({"contract_months": 61}, ("contract_months",)),
        ({"work_desa_kode": "32.16.09.2999"}, ("work_desa_kode",)),
        ({"education": {"minimum": 6, "maximum": 5}}, ("education", "maximum")),
    ]:
        with pytest.raises(FieldError) as error:
            check_fields(_vacancy(**overrides), today=TODAY)
        assert error.value.loc == loc
    with pytest.raises(FieldError) as error:
        check_fields(_vacancy(openings=1), today=TODAY, hires=2)
    assert error.value.loc == ("openings",)


def test_vacancy_states() -> None:
    assert closing_status(V.PUBLISHED, "closed") is V.CLOSED
    assert closing_status(V.DRAFT, "withdrawn") is V.WITHDRAWN
    with pytest.raises(DomainError):
        closing_status(V.DRAFT, "closed")
    with pytest.raises(DomainError):
        closing_status(V.FILLED, "withdrawn")
    check_edit(V.DRAFT, {"title"})
    check_edit(V.PUBLISHED, {"openings", "valid_until"})
    with pytest.raises(DomainError, match="title"):
        check_edit(V.PUBLISHED, {"openings", "title"})
    with pytest.raises(DomainError):
        check_edit(V.PENDING_REVIEW, {"title"})


def test_a_report_row_is_checked_without_echoing_its_values() -> None:
    good = nik()
    content = (
        "\ufeffNIK,Start_Date,Contract_Type,job_title\n"
        f"{good},2026-11-20,PKWT,Operator\n"
        f"'{good[:6]} {good[6:]},20-11-2026,magang,\n"
        "3216011302900000,2026-11-20,pkwt,\n"
        f"{good},2026-06-01,pkwt,\n"
        f"{good},2026-11-20,borongan,\n"
        ",,,\n"
    ).encode()
    rows = list(placement.parse(content, today=TODAY, backdate_days=90))
    assert [line for line, _ in rows] == [2, 3, 4, 5, 6]
    first, second = rows[0][1], rows[1][1]
    assert isinstance(first, placement.ReportRow)
    assert isinstance(second, placement.ReportRow)
    assert (first.nik, first.contract_type, second.nik, second.contract_type) == (
        good, "pkwt", good, "magang",
    )  # fmt: skip
    assert good not in repr(first)
    reasons = [outcome for _, outcome in rows[2:]]
    assert [r.split(":")[0] for r in reasons] == ["nik", "start_date", "contract_type"]
    assert all(good not in r for r in reasons)


def test_a_report_without_its_columns_or_not_in_utf8_says_so() -> None:
    [(line, reason)] = placement.parse(b"nik,tanggal\n1,2\n", today=TODAY, backdate_days=9)
    assert (line, "start_date" in reason) == (1, True)
    [(line, reason)] = placement.parse(
        b"nik,start_date,contract_type\n\xff\n", today=TODAY, backdate_days=9
    )
    assert (line, "UTF-8" in reason) == (2, True)


def test_the_lookup_is_the_registry_s_keyed_hash() -> None:
    import base64
    import hashlib
    import hmac

    key = base64.b64encode(b"k" * 32).decode()
    expected = hmac.new(b"k" * 32, b"3216014508010003", hashlib.sha256).hexdigest()
    assert placement.NikLookup(key)("3216014508010003") == expected
    with pytest.raises(ValueError, match="32 bytes"):
        placement.NikLookup(base64.b64encode(b"short").decode())
