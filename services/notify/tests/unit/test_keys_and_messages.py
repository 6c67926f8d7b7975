"""Keys that follow from the cause, opt-out tokens, and what residents read."""

from uuid import uuid4

import pytest

from notify.domain.keys import delivery_key, opt_out_token, resident_of
from notify.messages import SUBJECTS, first_name, render


def test_the_same_cause_gives_the_same_key_and_any_other_cause_another() -> None:
    resident = uuid4()
    key = delivery_key("event-1", resident, "whatsapp")
    assert key == delivery_key("event-1", str(resident), "whatsapp")
    assert key != delivery_key("event-2", resident, "whatsapp")
    assert key != delivery_key("event-1", resident, "sms")
    assert key != delivery_key("event-1", uuid4(), "whatsapp")


def test_an_opt_out_token_names_its_resident_and_cannot_be_forged() -> None:
    resident = uuid4()
    token = opt_out_token(b"key", resident)
    assert resident_of(b"key", token) == resident
    assert resident_of(b"other key", token) is None
    assert resident_of(b"key", opt_out_token(b"key", uuid4())) != resident
    forged = opt_out_token(b"key", resident)[:22] + opt_out_token(b"key", uuid4())[22:]
    assert resident_of(b"key", forged) is None
    for junk in ("", "x", "!!!", token + "AA"):
        assert resident_of(b"key", junk) is None
    assert str(resident) not in token
    assert resident.hex not in token


def test_only_the_first_name_is_kept() -> None:
    assert first_name("Siti Nurhaliza Rahmawati") == "Siti"
    assert first_name("   ") is None


PARAMS = {
    "lowongan_cocok": {
        "title": "Operator Las", "company": "PT Contoh", "verified": True,
        "place": "Kawasan Jababeka, Kec. Cikarang Utara", "valid_until": "5 Desember 2026",
        "link": "https://lowongan.test/lowongan/1",
    },
    "pelatihan_terdaftar": {"vocation": "Menjahit"},
    "pelatihan_selesai": {"passed": True, "skills": ["Las SMAW"], "board": "https://l.test/"},
    "diterima_kerja": {"company": "PT Contoh", "start_date": "1 Desember 2026"},
    "status_lamaran": {
        "status_text": "Anda dipanggil wawancara.", "reason": None, "title": "Operator Las",
        "company": "PT Contoh", "link": "https://l.test/lowongan/1",
    },
}  # fmt: skip


@pytest.mark.parametrize("template", sorted(SUBJECTS))
def test_every_template_greets_in_bahasa_indonesia_and_offers_the_opt_out(template: str) -> None:
    message = render(template, PARAMS[template], name="Siti", opt_out="https://l.test/berhenti/t")
    assert message.text.startswith("Halo Siti,")
    assert message.text.endswith("https://l.test/berhenti/t")
    assert "{{" not in message.text
    assert " / " in message.subject  # Bahasa Indonesia, then English
    assert len(message.text) < 480  # three SMS segments at most


def test_a_job_alert_says_it_is_free_and_links_to_the_vacancy() -> None:
    message = render("lowongan_cocok", PARAMS["lowongan_cocok"], name=None, opt_out="o")
    assert message.text.startswith("Halo Warga,")
    assert "GRATIS, tanpa biaya" in message.text
    assert "https://lowongan.test/lowongan/1" in message.text
    assert "(perusahaan terverifikasi)" in message.text


def test_a_missing_parameter_is_an_error_not_a_blank() -> None:
    with pytest.raises(Exception, match="vocation"):
        render("pelatihan_terdaftar", {}, name="Siti", opt_out="o")
