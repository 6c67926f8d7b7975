from datetime import date

import pytest

from registry.domain import (
    Ak1Expired,
    ContactChannel,
    InvalidDomicile,
    InvalidNik,
    InvalidPhone,
    InvalidTransition,
    ResidentStatus,
    Sex,
    age_on,
    ak1_eligibility,
    allowed_targets,
    is_local,
    issue_ak1,
    nik_birth_date,
    nik_warnings,
    normalize_phone,
    parse_nik,
    report_in,
    sweep_status,
    transition,
    validate_domicile,
)

S = ResidentStatus
BEKASI_MAN = "3216011505900001"  # Tarumajaya, 15-05-90, serial 0001
BEKASI_WOMAN = "3216015505900002"  # day 55 = 15 + 40
GARUT_WOMAN = "3205104101990003"  # Kabupaten Garut, 01-01-99
CIKARANG_KOTA = "32.16.09.2001"
KOTA_BEKASI_KELURAHAN = "32.75.01.1001"


# NIK


def test_parse_male_nik() -> None:
    nik = parse_nik(BEKASI_MAN)
    assert (nik.value, nik.region_kode, nik.sex, nik.serial) == (
        BEKASI_MAN,
        "32.16.01",
        Sex.LAKI_LAKI,
        "0001",
    )
    assert (nik.birth_day, nik.birth_month, nik.birth_yy) == (15, 5, 90)


@pytest.mark.parametrize(
    ("raw", "day"), [(BEKASI_WOMAN, 15), (GARUT_WOMAN, 1), ("3216017112900001", 31)]
)
def test_parse_female_nik_takes_40_off_the_day(raw: str, day: int) -> None:
    nik = parse_nik(raw)
    assert nik.sex is Sex.PEREMPUAN
    assert nik.birth_day == day


@pytest.mark.parametrize(
    "raw", ["3216 0115 0590 0001", "3216.0115.0590.0001", " 3216011505900001 "]
)
def test_parse_nik_strips_spaces_and_dots(raw: str) -> None:
    assert parse_nik(raw).value == BEKASI_MAN


def test_29_february_is_a_valid_nik_date_in_any_year() -> None:
    assert parse_nik("3216012902010001").birth_day == 29


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("321601150590001", "NIK must be 16 digits, not 15"),
        ("32160115059000AB", "digits only"),
        ("9916011505900001", "Unknown province code 99"),
        ("3299011505900001", "Unknown regency/city code 32.99"),
        ("3216001505900001", "District code in the NIK must not be 00"),
        ("3216010005900001", "(00-05) is not a real date"),
        ("3216013205900001", "(32-05) is not a real date"),
        ("3216014005900001", "(40-05) is not a real date"),
        ("3216017205900001", "(72-05) is not a real date"),
        ("3216011513900001", "Birth month in the NIK (13) must be 01-12"),
        ("3216013102900001", "(31-02) is not a real date"),
        ("3216017102900001", "(71-02) is not a real date"),
        ("3216011505900000", "serial must not be 0000"),
    ],
)
def test_parse_nik_rejects_with_a_bilingual_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidNik) as raised:
        parse_nik(raw)
    assert reason in raised.value.reason
    assert " / " in raised.value.reason


def test_nik_is_a_value_error_and_never_shown_whole() -> None:
    nik = parse_nik(BEKASI_MAN)
    assert issubclass(InvalidNik, ValueError)
    assert nik.masked() == "3216\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u20220001"
    assert BEKASI_MAN not in repr(nik)


def test_no_warnings_when_declared_data_matches_the_nik() -> None:
    assert nik_warnings(parse_nik(BEKASI_MAN), sex="L", birth_date=date(1990, 5, 15)) == []
    assert (
        nik_warnings(parse_nik(GARUT_WOMAN), sex=Sex.PEREMPUAN, birth_date=date(1999, 1, 1)) == []
    )


def test_sex_mismatch_is_a_warning() -> None:
    warnings = nik_warnings(parse_nik(BEKASI_MAN), sex="P", birth_date=date(1990, 5, 15))
    assert len(warnings) == 1
    assert "Sex encoded in the NIK (L) differs from the declared sex (P)" in warnings[0]


@pytest.mark.parametrize("declared", [date(1990, 5, 16), date(1990, 6, 15), date(1991, 5, 15)])
def test_birth_date_mismatch_is_a_warning(declared: date) -> None:
    warnings = nik_warnings(parse_nik(BEKASI_MAN), sex="L", birth_date=declared)
    assert len(warnings) == 1
    assert "Birth date encoded in the NIK (15-05-1990)" in warnings[0]


def test_both_mismatches_give_two_warnings() -> None:
    assert len(nik_warnings(parse_nik(BEKASI_MAN), sex="P", birth_date=date(1991, 1, 1))) == 2


@pytest.mark.parametrize(
    ("raw", "declared", "resolved"),
    [
        ("3216011505050001", date(2005, 5, 15), date(2005, 5, 15)),
        ("3216011505050001", date(1905, 5, 15), date(1905, 5, 15)),
        ("3216011505010001", date(1999, 12, 31), date(2001, 5, 15)),
        ("3216011505990001", date(2001, 1, 5), date(1999, 5, 15)),
    ],
)
def test_century_comes_from_the_declared_date(raw: str, declared: date, resolved: date) -> None:
    assert nik_birth_date(parse_nik(raw), declared=declared) == resolved


def test_two_digit_year_matching_the_declared_year_needs_no_pivot() -> None:
    nik = parse_nik("3216011505050001")
    assert nik_warnings(nik, sex="L", birth_date=date(1905, 5, 15)) == []
    warning = nik_warnings(nik, sex="L", birth_date=date(2004, 5, 15))[0]
    assert "(15-05-2005)" in warning


def test_nik_29_february_in_a_common_year_still_warns_readably() -> None:
    nik = parse_nik("3216012902010001")
    assert nik_birth_date(nik, declared=date(2001, 3, 1)) is None
    assert "(29-02-..01)" in nik_warnings(nik, sex="L", birth_date=date(2001, 3, 1))[0]


# Domicile and locality


def test_garut_nik_with_a_cikarang_address_is_local() -> None:
    assert parse_nik(GARUT_WOMAN).region_kode.startswith("32.05")
    domicile = validate_domicile(CIKARANG_KOTA)
    assert domicile.is_local
    assert is_local(CIKARANG_KOTA)
    assert domicile.desa is not None
    assert domicile.desa.nama == "Cikarangkota"
    assert domicile.kecamatan is not None
    assert domicile.kecamatan.nama == "Cikarang Utara"
    assert domicile.kabkota.nama == "Kabupaten Bekasi"
    assert "2025" in domicile.kepmendagri


def test_bekasi_nik_living_in_kota_bekasi_is_not_local() -> None:
    assert parse_nik(BEKASI_MAN).region_kode.startswith("32.16")
    domicile = validate_domicile(KOTA_BEKASI_KELURAHAN)
    assert not domicile.is_local
    assert not is_local(KOTA_BEKASI_KELURAHAN)
    assert domicile.kabkota.nama == "Kota Bekasi"
    assert domicile.desa is None


def test_retired_bekasi_code_is_refused_naming_the_replacement() -> None:
    with pytest.raises(InvalidDomicile) as raised:
        validate_domicile("32.16.01.2007")
    assert "32.16.01.1007 Setia Asih" in raised.value.reason
    assert is_local("32.16.01.2007")


@pytest.mark.parametrize(
    ("kode", "reason"),
    [
        ("32.16.01.2099", "does not exist in Kabupaten Bekasi"),
        ("99.01.01.2001", "Unknown province code 99"),
        ("32.99.01.2001", "Unknown regency/city code 32.99"),
        ("32.75.00.1001", "not a village code"),
        ("32.75.01.0000", "not a village code"),
        ("32.75.01", "not a village code"),
        ("3275011001", "must have the form PP.KK.CC.DDDD"),
    ],
)
def test_invalid_domicile(kode: str, reason: str) -> None:
    with pytest.raises(InvalidDomicile) as raised:
        validate_domicile(kode)
    assert reason in raised.value.reason


# AK/1


def test_age_counts_whole_years() -> None:
    assert age_on(date(2008, 5, 10), date(2026, 5, 9)) == 17
    assert age_on(date(2008, 5, 10), date(2026, 5, 10)) == 18


def test_ak1_refused_under_18_with_the_age_and_the_date_it_becomes_possible() -> None:
    reason = ak1_eligibility(date(2008, 5, 10), date(2026, 5, 9))
    assert reason is not None
    assert "Age 17" in reason
    assert "10-05-2026" in reason


def test_ak1_allowed_on_the_18th_birthday_exactly() -> None:
    assert ak1_eligibility(date(2008, 5, 10), date(2026, 5, 10)) is None


def test_born_on_29_february_turns_18_on_28_february() -> None:
    assert ak1_eligibility(date(2008, 2, 29), date(2026, 2, 27)) is not None
    assert ak1_eligibility(date(2008, 2, 29), date(2026, 2, 28)) is None


def test_ak1_refused_for_a_birth_date_in_the_future() -> None:
    assert "future" in str(ak1_eligibility(date(2030, 1, 1), date(2026, 1, 1)))


def test_issue_ak1_number_validity_and_first_report() -> None:
    card = issue_ak1(sequence=123, issued_on=date(2026, 1, 15), kecamatan_kode="32.16.09")
    assert card.number == "AK1-3216-2026-0000123"
    assert card.valid_until == date(2028, 1, 15)
    assert card.next_report_due == date(2026, 7, 15)
    assert card.kecamatan_kode == "32.16.09"
    assert card.is_valid_on(date(2028, 1, 15))
    assert not card.is_valid_on(date(2028, 1, 16))


def test_card_issued_on_29_february_ends_on_28_february() -> None:
    card = issue_ak1(sequence=1, issued_on=date(2024, 2, 29), kecamatan_kode=None)
    assert card.valid_until == date(2026, 2, 28)
    assert card.next_report_due == date(2024, 8, 29)


def test_report_due_clamps_to_the_end_of_the_month() -> None:
    card = issue_ak1(sequence=1, issued_on=date(2026, 8, 31), kecamatan_kode=None)
    assert card.next_report_due == date(2027, 2, 28)


def test_report_in_moves_the_next_report_six_months_from_today() -> None:
    card = issue_ak1(sequence=1, issued_on=date(2026, 1, 15), kecamatan_kode=None)
    assert report_in(card, today=date(2026, 7, 10)).next_report_due == date(2027, 1, 10)
    assert report_in(card, today=date(2027, 12, 1)).next_report_due == date(2028, 1, 15)


def test_report_in_after_expiry_is_refused() -> None:
    card = issue_ak1(sequence=1, issued_on=date(2026, 1, 15), kecamatan_kode=None)
    with pytest.raises(Ak1Expired, match="expired on 15-01-2028"):
        report_in(card, today=date(2028, 1, 16))


@pytest.mark.parametrize(
    ("sequence", "kecamatan_kode"), [(0, None), (10_000_000, None), (1, "32.75.01")]
)
def test_issue_ak1_rejects_bad_input(sequence: int, kecamatan_kode: str | None) -> None:
    with pytest.raises(ValueError):
        issue_ak1(sequence=sequence, issued_on=date(2026, 1, 1), kecamatan_kode=kecamatan_kode)


# Status


ALLOWED = [
    (S.REGISTERED, S.VERIFIED),
    (S.VERIFIED, S.ACTIVE),
    (S.ACTIVE, S.LAPSED),
    (S.LAPSED, S.ACTIVE),
    (S.ACTIVE, S.PLACED),
    (S.LAPSED, S.PLACED),
    (S.VERIFIED, S.PLACED),
    (S.REGISTERED, S.PLACED),
    (S.ACTIVE, S.EXPIRED),
    (S.LAPSED, S.EXPIRED),
]


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_allowed_transitions(current: ResidentStatus, target: ResidentStatus) -> None:
    assert transition(current, target) is target


def test_allowed_targets_are_exactly_the_listed_transitions() -> None:
    listed = {(current, target) for current in S for target in allowed_targets(current)}
    assert listed == set(ALLOWED)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.REGISTERED, S.ACTIVE),
        (S.VERIFIED, S.LAPSED),
        (S.VERIFIED, S.EXPIRED),
        (S.ACTIVE, S.VERIFIED),
        (S.PLACED, S.ACTIVE),
        (S.EXPIRED, S.ACTIVE),
        (S.ACTIVE, S.ACTIVE),
    ],
)
def test_forbidden_transitions(current: ResidentStatus, target: ResidentStatus) -> None:
    with pytest.raises(InvalidTransition, match=f"cannot change from {current} to {target}"):
        transition(current, target)


DUE = date(2026, 7, 15)
VALID_UNTIL = date(2028, 1, 15)


@pytest.mark.parametrize(
    ("status", "today", "outcome"),
    [
        (S.ACTIVE, DUE, None),
        (S.ACTIVE, date(2026, 7, 16), S.LAPSED),
        (S.LAPSED, date(2026, 7, 16), None),
        (S.ACTIVE, date(2028, 1, 16), S.EXPIRED),
        (S.LAPSED, date(2028, 1, 16), S.EXPIRED),
        (S.VERIFIED, date(2028, 1, 16), None),
        (S.PLACED, date(2028, 1, 16), None),
        (S.EXPIRED, date(2028, 1, 16), None),
    ],
)
def test_sweep_status(status: ResidentStatus, today: date, outcome: ResidentStatus | None) -> None:
    assert (
        sweep_status(status=status, next_report_due=DUE, valid_until=VALID_UNTIL, today=today)
        == outcome
    )


def test_sweep_without_a_card_changes_nothing() -> None:
    assert sweep_status(status=S.ACTIVE, next_report_due=None, valid_until=None, today=DUE) is None


# Contact


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0812-3456-7890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("0856 1234 5678", "+6285612345678"),
    ],
)
def test_normalize_phone_to_e164(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("021-8900-0000", "not a mobile number"),
        ("(021) 8990 1234", "not a mobile number"),
        ("+65 9123 4567", "use an Indonesian number"),
        ("0811", "not valid"),
        ("nomor saya", "cannot be read"),
    ],
)
def test_normalize_phone_refuses_landlines_and_invalid_numbers(raw: str, reason: str) -> None:
    with pytest.raises(InvalidPhone) as raised:
        normalize_phone(raw)
    assert reason in raised.value.reason


def test_contact_channels() -> None:
    assert [channel.value for channel in ContactChannel] == ["whatsapp", "sms", "email"]
