"""Kemendagri region codes (`PP.KK.CC.DDDD`): all provinces and kabupaten/kota, and the kecamatan
and desa/kelurahan of Kabupaten Bekasi, as of KEPMENDAGRI_VERSION."""

import re
from dataclasses import dataclass
from functools import cache

from kerjalokal.reference._csv import read_rows

KABUPATEN_BEKASI = "32.16"
KEPMENDAGRI_VERSION = "Kepmendagri No 300.2.2-2138 Tahun 2025"

_KODE_SHAPE = re.compile(r"\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?")
_TINGKAT_BY_PARTS = {1: "provinsi", 2: "kabupaten_kota", 3: "kecamatan", 4: "desa_kelurahan"}


class InvalidKode(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownRegion(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class Region:
    kode: str
    nama: str
    tingkat: str
    jenis: str | None = None


@dataclass(frozen=True, slots=True)
class KodeWilayah:
    """A well-formed code; says nothing about whether the region exists."""

    value: str

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.value.split("."))

    @property
    def tingkat(self) -> str:
        return _TINGKAT_BY_PARTS[len(self.parts)]

    @property
    def province_kode(self) -> str:
        return self.parts[0]

    @property
    def kabkota_kode(self) -> str | None:
        return self._prefix(2)

    @property
    def kecamatan_kode(self) -> str | None:
        return self._prefix(3)

    def _prefix(self, depth: int) -> str | None:
        return ".".join(self.parts[:depth]) if len(self.parts) >= depth else None


def parse_kode(kode: str) -> KodeWilayah:
    """Accept `PP`, `PP.KK`, `PP.KK.CC` or `PP.KK.CC.DDDD`."""
    value = kode.strip()
    if not _KODE_SHAPE.fullmatch(value):
        raise InvalidKode(
            f"Kode wilayah '{value}' harus berbentuk PP.KK.CC.DDDD /"
            f" Region code '{value}' must have the form PP.KK.CC.DDDD"
        )
    return KodeWilayah(value)


def is_in_kabupaten_bekasi(kode: str) -> bool:
    value = kode.strip()
    return value == KABUPATEN_BEKASI or value.startswith(KABUPATEN_BEKASI + ".")


def province(kode: str) -> Region | None:
    return _regions_by_tingkat("provinsi").get(kode.strip())


def kabkota(kode: str) -> Region | None:
    return _regions_by_tingkat("kabupaten_kota").get(kode.strip())


def kecamatan(kode: str) -> Region | None:
    return _regions_by_tingkat("kecamatan").get(kode.strip())


def desa(kode: str) -> Region | None:
    return _regions_by_tingkat("desa_kelurahan").get(kode.strip())


def kecamatan_of(desa_kode: str) -> Region:
    found = desa(desa_kode)
    if found is None:
        raise UnknownRegion(
            f"Kode desa '{desa_kode}' tidak ada di Kabupaten Bekasi /"
            f" Village code '{desa_kode}' does not exist in Kabupaten Bekasi"
        )
    return _regions_by_tingkat("kecamatan")[found.kode.rsplit(".", 1)[0]]


def all_desa() -> tuple[Region, ...]:
    return tuple(_regions_by_tingkat("desa_kelurahan").values())


def all_kecamatan() -> tuple[Region, ...]:
    return tuple(_regions_by_tingkat("kecamatan").values())


def retired(kode: str) -> str | None:
    """The code that replaced a retired Kabupaten Bekasi code, or None if it is not retired."""
    return _retired().get(kode.strip())


def find_desa(name: str, *, kecamatan: str | None = None) -> Region | None:
    """Match a desa/kelurahan name ignoring case and spaces ("Kedung Waringin" ==
    "kedungwaringin"); `kecamatan` narrows the search and is a code ("32.16.12") or a name."""
    wanted = _name_key(name)
    candidates = all_desa() if kecamatan is None else _desa_in(kecamatan)
    return next((region for region in candidates if _name_key(region.nama) == wanted), None)


def _desa_in(kecamatan_ref: str) -> tuple[Region, ...]:
    district = kecamatan(kecamatan_ref) or _find_kecamatan(kecamatan_ref)
    if district is None:
        return ()
    return tuple(r for r in all_desa() if r.kode.startswith(district.kode + "."))


def _find_kecamatan(name: str) -> Region | None:
    wanted = _name_key(name)
    return next((r for r in all_kecamatan() if _name_key(r.nama) == wanted), None)


def _name_key(name: str) -> str:
    return "".join(name.split()).casefold()


@cache
def _regions_by_tingkat(tingkat: str) -> dict[str, Region]:
    return {region.kode: region for region in _all_regions() if region.tingkat == tingkat}


@cache
def _all_regions() -> tuple[Region, ...]:
    national = read_rows("wilayah_provinsi_kabkota.csv")
    bekasi = read_rows("wilayah_kabupaten_bekasi.csv")
    below_kabkota = (row for row in bekasi if row["tingkat"] != "kabupaten_kota")
    return tuple(_region(row) for row in (*national, *below_kabkota))


def _region(row: dict[str, str]) -> Region:
    return Region(
        kode=row["kode"], nama=row["nama"], tingkat=row["tingkat"], jenis=row.get("jenis") or None
    )


@cache
def _retired() -> dict[str, str]:
    return {row["kode"]: row["replaced_by"] for row in read_rows("retired_wilayah.csv")}
