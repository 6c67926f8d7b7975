"""The printable AK/1 card (Kartu Tanda Bukti Pendaftaran Pencari Kerja) for the office."""

from functools import cache

import asyncpg
from jinja2 import Environment, PackageLoader, select_autoescape

from kerjalokal.reference import desa, education_level, kabkota, kecamatan

from .schemas import PersonalOut

PRINT_SCRIPT = """document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("print");
  if (button) button.addEventListener("click", () => window.print());
});
"""
"""Served as /ak1.js: the card page's Content-Security-Policy forbids inline scripts."""


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("registry"), autoescape=select_autoescape())


def _region_name(kode: str) -> str:
    region = desa(kode) or kecamatan(kode) or kabkota(kode)
    return region.nama if region else kode


def render_ak1(row: asyncpg.Record, personal: PersonalOut) -> str:
    level = education_level(row["education_level"])
    return (
        _environment()
        .get_template("ak1.html")
        .render(
            r=row,
            p=personal,
            desa=_region_name(row["desa_kode"]),
            kecamatan=_region_name(row["kecamatan_kode"]),
            kabkota=_region_name(row["kabkota_kode"]),
            education=level.label if level else "",
        )
    )
