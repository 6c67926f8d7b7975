"""What residents read: Bahasa Indonesia first, a short English hint where it fits. Templates
live in templates/messages; rows keep only their parameters (no personal data), and the greeting
and opt-out link are filled in at send time."""

from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

SUBJECTS = {
    "lowongan_cocok": "Lowongan kerja yang cocok untuk Anda / A job that fits you",
    "pelatihan_terdaftar": "Anda terdaftar di pelatihan / You are enrolled in training",
    "pelatihan_selesai": "Pelatihan Anda selesai / Your training has ended",
    "diterima_kerja": "Selamat, Anda diterima bekerja / Congratulations on your new job",
    "status_lamaran": "Kabar lamaran kerja Anda / News about your application",
}
APPLICATION_NEWS = {
    "interview": "Anda dipanggil wawancara / you are invited to an interview.",
    "offered": "Anda mendapat tawaran kerja / you have a job offer.",
    "refused": "tidak dilanjutkan / not selected.",
    "cancelled": "dibatalkan perusahaan / cancelled by the company.",
}


@dataclass(frozen=True)
class Message:
    subject: str
    text: str


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("notify", "templates/messages"),
        autoescape=False,  # noqa: S701 - plain text for SMS, WhatsApp and text/plain mail
        undefined=StrictUndefined,
        trim_blocks=True,
    )


def render(template: str, params: dict[str, Any], *, name: str | None, opt_out: str) -> Message:
    text = (
        _environment()
        .get_template(f"{template}.txt")
        .render(params | {"name": name or "Warga", "opt_out": opt_out})
    )
    return Message(subject=SUBJECTS[template], text=text.strip())


def first_name(full_name: str) -> str | None:
    """Only the first word of the name is kept, for the greeting."""
    words = full_name.split()
    return words[0][:40] if words else None
