import pytest

from kerjalokal import reference
from kerjalokal.reference import (
    BANDS,
    InvalidKode,
    UnknownRegion,
    all_desa,
    all_kecamatan,
    desa,
    find_desa,
    is_in_kabupaten_bekasi,
    kabkota,
    kecamatan,
    kecamatan_of,
    level_for_band,
    meets_minimum,
    parse_kode,
    province,
    retired,
)


def test_kabupaten_bekasi_has_187_desa_of_which_8_kelurahan() -> None:
    jenis = [region.jenis for region in all_desa()]
    assert len(jenis) == 187
    assert jenis.count("desa") == 179
    assert jenis.count("kelurahan") == 8


def test_kabupaten_bekasi_has_23_kecamatan() -> None:
    assert len(all_kecamatan()) == 23
    assert all(region.kode.startswith("32.16.") for region in all_kecamatan())


@pytest.mark.parametrize(
    ("kode", "nama", "desa_count"),
    [
        ("32.16.01", "Tarumajaya", 8),
        ("32.16.06", "Tambun Selatan", 10),
        ("32.16.13", "Pebayuran", 13),
        ("32.16.17", "Muaragembong", 6),
        ("32.16.18", "Setu", 11),
    ],
)
def test_desa_count_per_kecamatan_matches_the_decree(kode: str, nama: str, desa_count: int) -> None:
    district = kecamatan(kode)
    assert district is not None
    assert district.nama == nama
    assert sum(1 for region in all_desa() if kecamatan_of(region.kode) == district) == desa_count


def test_desa_lookup_is_limited_to_desa_of_kabupaten_bekasi() -> None:
    setia_asih = desa("32.16.01.1007")
    assert setia_asih is not None
    assert (setia_asih.nama, setia_asih.jenis) == ("Setia Asih", "kelurahan")
    assert desa("32.16.01") is None
    assert desa("32.75.01.1001") is None


def test_kecamatan_of_an_unknown_desa_is_an_error() -> None:
    with pytest.raises(UnknownRegion):
        kecamatan_of("32.16.01.2007")


def test_setia_asih_old_desa_code_is_retired_in_favour_of_the_kelurahan_code() -> None:
    assert desa("32.16.01.2007") is None
    assert retired("32.16.01.2007") == "32.16.01.1007"
    assert retired("32.16.01.1007") is None


@pytest.mark.parametrize("spelling", ["Kedungwaringin", "kedung waringin", "KEDUNG  WARINGIN"])
def test_find_desa_ignores_case_and_spaces(spelling: str) -> None:
    found = find_desa(spelling)
    assert found is not None
    assert found.kode == "32.16.12.2007"


def test_find_desa_within_a_kecamatan_by_code_or_name() -> None:
    assert find_desa("Setia Asih", kecamatan="32.16.01") == desa("32.16.01.1007")
    assert find_desa("setiaasih", kecamatan="tarumajaya") == desa("32.16.01.1007")
    assert find_desa("Setia Asih", kecamatan="32.16.02") is None
    assert find_desa("Setia Asih", kecamatan="Nowhere") is None
    assert find_desa("Bekasi Raya") is None


def test_kota_bekasi_is_not_kabupaten_bekasi() -> None:
    kota = kabkota("32.75")
    assert kota is not None
    assert kota.nama == "Kota Bekasi"
    assert not is_in_kabupaten_bekasi("32.75")
    assert not is_in_kabupaten_bekasi("32.75.01.1001")
    assert is_in_kabupaten_bekasi("32.16")
    assert is_in_kabupaten_bekasi("32.16.09.2001")
    assert not is_in_kabupaten_bekasi("32.160")


def test_province_32_is_jawa_barat() -> None:
    jabar = province("32")
    assert jabar is not None
    assert jabar.nama == "Jawa Barat"
    assert province("99") is None
    assert kabkota("32.99") is None


def test_parse_kode_accepts_each_level_and_names_its_parents() -> None:
    kode = parse_kode(" 32.16.01.1007 ")
    assert kode.value == "32.16.01.1007"
    assert kode.tingkat == "desa_kelurahan"
    assert kode.province_kode == "32"
    assert kode.kabkota_kode == "32.16"
    assert kode.kecamatan_kode == "32.16.01"
    assert parse_kode("32").kabkota_kode is None


@pytest.mark.parametrize("bad", ["3216011007", "32.16.1.1007", "32.16.01.107", "32-16", "", "AB"])
def test_parse_kode_rejects_malformed_codes(bad: str) -> None:
    with pytest.raises(InvalidKode, match=r"PP\.KK\.CC\.DDDD"):
        parse_kode(bad)


def test_decree_version_is_the_2025_one() -> None:
    assert reference.KEPMENDAGRI_VERSION == "Kepmendagri No 300.2.2-2138 Tahun 2025"
    assert reference.KABUPATEN_BEKASI == "32.16"


def test_education_levels_and_bands() -> None:
    assert [level.kode for level in reference.all_levels()] == list(range(1, 11))
    assert reference.education_level(1) == reference.EducationLevel(1, "TIDAK/BELUM SEKOLAH", ())
    assert reference.education_level(11) is None
    assert BANDS == ("SD", "SMP", "SMA", "SMK", "D1", "D2", "D3", "D4", "S1", "S2", "S3")
    assert [band for level in reference.all_levels() for band in level.bands] == list(BANDS)


@pytest.mark.parametrize(
    ("band", "kode"), [("SD", 3), ("SMA", 5), ("SMK", 5), ("smk", 5), ("D2", 6), ("S1", 8)]
)
def test_level_for_band(band: str, kode: int) -> None:
    level = level_for_band(band)
    assert level is not None
    assert level.kode == kode


def test_level_for_unknown_band_is_none() -> None:
    assert level_for_band("SLTA") is None


@pytest.mark.parametrize(
    ("level_kode", "minimum", "meets"),
    [
        (5, "SMK", True),
        (5, "SMA", True),
        (4, "SMA", False),
        (7, "SMK", True),
        (6, "D3", False),
        (8, "S1", True),
        (2, "SD", False),
    ],
)
def test_meets_minimum(level_kode: int, minimum: str, meets: bool) -> None:
    assert meets_minimum(level_kode, minimum) is meets


def test_meets_minimum_rejects_unknown_band_or_level() -> None:
    with pytest.raises(ValueError, match="Unknown education band"):
        meets_minimum(5, "SLTA")
    with pytest.raises(ValueError, match="Unknown education level"):
        meets_minimum(0, "SD")
