"""Domicile: the desa/kelurahan of the KTP address. Locality is decided here, never by the NIK."""

from dataclasses import dataclass

from kerjalokal.reference import (
    KEPMENDAGRI_VERSION,
    InvalidKode,
    KodeWilayah,
    Region,
    desa,
    is_in_kabupaten_bekasi,
    kabkota,
    kecamatan_of,
    parse_kode,
    province,
    retired,
)
from registry.domain.errors import DomainError


class InvalidDomicile(DomainError):
    pass


@dataclass(frozen=True, slots=True)
class Domicile:
    """`desa` and `kecamatan` are known only inside Kabupaten Bekasi; elsewhere only the regency
    is checked. Store `kepmendagri` beside `kode`: codes are re-issued between decrees."""

    kode: str
    is_local: bool
    kabkota: Region
    kecamatan: Region | None
    desa: Region | None
    kepmendagri: str = KEPMENDAGRI_VERSION


def is_local(desa_kode: str) -> bool:
    """A well-formed Kabupaten Bekasi desa code is local, even one retired by a later decree."""
    try:
        kode = _desa_shaped(desa_kode)
    except InvalidDomicile:
        return False
    return is_in_kabupaten_bekasi(kode.value)


def validate_domicile(desa_kode: str) -> Domicile:
    kode = _desa_shaped(desa_kode)
    regency = _existing_regency(kode)
    if is_in_kabupaten_bekasi(kode.value):
        village = _bekasi_desa(kode.value)
        return Domicile(
            kode=kode.value,
            is_local=True,
            kabkota=regency,
            kecamatan=kecamatan_of(village.kode),
            desa=village,
        )
    if kode.parts[2] == "00" or kode.parts[3] == "0000":
        raise InvalidDomicile(_not_a_village(kode.value))
    return Domicile(kode=kode.value, is_local=False, kabkota=regency, kecamatan=None, desa=None)


def _desa_shaped(desa_kode: str) -> KodeWilayah:
    try:
        kode = parse_kode(desa_kode)
    except InvalidKode as error:
        raise InvalidDomicile(error.reason) from error
    if kode.tingkat != "desa_kelurahan":
        raise InvalidDomicile(_not_a_village(kode.value))
    return kode


def _existing_regency(kode: KodeWilayah) -> Region:
    if province(kode.province_kode) is None:
        raise InvalidDomicile(
            f"Kode provinsi {kode.province_kode} tidak dikenal /"
            f" Unknown province code {kode.province_kode}"
        )
    regency = kabkota(".".join(kode.parts[:2]))
    if regency is None:
        raise InvalidDomicile(
            f"Kode kabupaten/kota {kode.kabkota_kode} tidak dikenal /"
            f" Unknown regency/city code {kode.kabkota_kode}"
        )
    return regency


def _bekasi_desa(kode: str) -> Region:
    village = desa(kode)
    if village is not None:
        return village
    replacement = retired(kode)
    if replacement is not None:
        raise InvalidDomicile(_retired_reason(kode, replacement=replacement))
    raise InvalidDomicile(
        f"Kode desa {kode} tidak ada di Kabupaten Bekasi ({KEPMENDAGRI_VERSION}) /"
        f" Village code {kode} does not exist in Kabupaten Bekasi ({KEPMENDAGRI_VERSION})"
    )


def _retired_reason(kode: str, *, replacement: str) -> str:
    current = desa(replacement)
    name = f" {current.nama}" if current else ""
    return (
        f"Kode desa {kode} sudah tidak berlaku; gunakan {replacement}{name}"
        f" ({KEPMENDAGRI_VERSION}) / Village code {kode} is retired; use"
        f" {replacement}{name} ({KEPMENDAGRI_VERSION})"
    )


def _not_a_village(kode: str) -> str:
    return (
        f"Kode '{kode}' bukan kode desa/kelurahan (PP.KK.CC.DDDD) /"
        f" '{kode}' is not a village code (PP.KK.CC.DDDD)"
    )
