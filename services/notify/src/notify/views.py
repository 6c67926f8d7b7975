"""HTML rendering for the public pages (templates/), and the pieces they share."""

import json
from functools import cache
from typing import Any

import segno
from jinja2 import Environment, PackageLoader, select_autoescape

from .domain.listing import CONTRACTS

REPORT_REASONS = {
    "asked_to_pay": "Diminta membayar / asked to pay",
    "fake": "Lowongan palsu atau perusahaan tidak ada / fake vacancy",
    "discriminatory": "Syarat diskriminatif (penampilan, status, suku...) / discriminatory",
    "wrong_information": "Informasi salah atau kedaluwarsa / wrong or outdated",
    "other": "Lainnya / other",
}


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("notify"), autoescape=select_autoescape())


def page(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(contracts=CONTRACTS, **context)


def qr_svg(url: str) -> str:
    return str(segno.make_qr(url, error="m").svg_inline(scale=4, omitsize=True))


def json_ld(data: dict[str, Any]) -> str:
    """JSON for a <script> element: nothing in it can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
