"""The registration checks that need no database, with a real cipher and no I/O."""

import base64
import os
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from kerjalokal.testing.factories import nik, registration
from registry.config import Settings
from registry.crypto import PersonalDataCipher
from registry.schemas import EducationIn, RegistrationIn
from registry.services import Actor, FieldError, education_columns, prepare, registered_events

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
OPERATOR = Actor(role="operator", name="test")


def key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def cipher() -> PersonalDataCipher:
    return PersonalDataCipher(hmac_key=key(), data_key=key())


def test_prepare_seals_personal_data_and_keeps_public_columns(cipher: PersonalDataCipher) -> None:
    data = RegistrationIn.model_validate(registration())
    prepared = prepare(cipher=cipher, data=data, actor=OPERATOR, now=NOW)
    columns = prepared.columns
    assert data.nik.encode() not in columns["personal"]
    assert cipher.open(columns["personal"], resident_id=columns["resident_id"])["nik"] == data.nik
    assert columns["nik_hmac"] == cipher.nik_lookup(data.nik)
    assert columns["status"] == "registered"
    assert columns["is_local"] is True
    assert columns["education_band"] == "SMK"


def test_a_sealed_record_cannot_be_moved_to_another_resident(cipher: PersonalDataCipher) -> None:
    sealed = cipher.seal({"nik": "x"}, resident_id=uuid4())
    with pytest.raises(Exception):  # noqa: B017 - InvalidTag from cryptography
        cipher.open(sealed, resident_id=uuid4())


def test_the_hmac_depends_on_the_key() -> None:
    a = PersonalDataCipher(hmac_key=key(), data_key=key())
    b = PersonalDataCipher(hmac_key=key(), data_key=key())
    assert a.nik_lookup("3216010101900001") != b.nik_lookup("3216010101900001")


def test_the_partner_lookup_is_a_hex_hmac_under_its_own_key() -> None:
    import hashlib
    import hmac

    lookup = key()
    cipher = PersonalDataCipher(hmac_key=key(), data_key=key(), lookup_key=lookup)
    expected = hmac.new(base64.b64decode(lookup), b"3216010101900001", hashlib.sha256).hexdigest()
    assert cipher.partner_lookup("3216010101900001") == expected
    assert cipher.partner_lookup("3216010101900001") != cipher.nik_lookup("3216010101900001").hex()
    assert PersonalDataCipher(hmac_key=key(), data_key=key()).partner_lookup("1") is None


def test_a_registration_records_the_identity_on_the_restricted_exchange_only() -> None:
    cipher = PersonalDataCipher(hmac_key=key(), data_key=key(), lookup_key=key())
    data = RegistrationIn.model_validate(registration())
    prepared = prepare(cipher=cipher, data=data, actor=OPERATOR, now=NOW)
    assert prepared.nik_lookup == cipher.partner_lookup(data.nik)
    row = prepared.columns | {"version": 1, "in_training": False}
    events = registered_events(row, prepared.personal, now=NOW, nik_lookup=prepared.nik_lookup)
    [identity] = [e for e in events if e.TYPE == "registry.resident_identity_recorded.v1"]
    assert identity.RESTRICTED
    assert identity.model_dump() == {
        "resident_id": prepared.columns["resident_id"],
        "version": 1,
        "recorded_at": NOW,
        "nik_lookup": prepared.nik_lookup,
        "is_local": True,
    }
    public = [e.model_dump_json() for e in events if not e.RESTRICTED]
    assert all(data.nik not in text and prepared.nik_lookup not in text for text in public)


def test_keys_must_be_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        PersonalDataCipher(hmac_key=base64.b64encode(b"short").decode(), data_key=key())


@pytest.mark.parametrize(
    ("education", "band", "track"),
    [
        ({"level": 5}, "SMA", None),
        ({"level": 5, "track": "kejuruan"}, "SMK", "kejuruan"),
        ({"level": 5, "band": "SMK"}, "SMK", "kejuruan"),
        ({"level": 8}, "S1", None),
        ({"level": 6, "band": "D1"}, "D1", None),
        ({"level": 1}, None, None),
    ],
)
def test_the_education_band_is_derived_or_checked(education: dict, band: str, track: str) -> None:
    columns = education_columns(EducationIn.model_validate(education), loc=("education",))
    assert (columns["education_band"], columns["education_track"]) == (band, track)


def test_a_band_outside_the_level_names_the_field() -> None:
    with pytest.raises(FieldError) as refused:
        education_columns(EducationIn(level=4, band="S1"), loc=("education",))
    assert refused.value.loc == ("education", "band")


def test_a_village_admin_registers_only_their_own_village(cipher: PersonalDataCipher) -> None:
    admin = Actor(role="village_admin", name="waluya", desa_kode="32.16.09.2004")
    own = registration(address={"street": "x", "desa_kode": "32.16.09.2004"})
    prepare(cipher=cipher, data=RegistrationIn.model_validate(own), actor=admin, now=NOW)
    other = registration(address={"street": "x", "desa_kode": "32.16.19.2004"})
    with pytest.raises(FieldError) as refused:
        prepare(cipher=cipher, data=RegistrationIn.model_validate(other), actor=admin, now=NOW)
    assert refused.value.loc == ("address", "desa_kode")


def test_consent_is_needed_for_channels_and_email_for_the_email_channel() -> None:
    with pytest.raises(ValueError, match="consent"):
        RegistrationIn.model_validate(registration(consent={"contact": False, "channels": ["sms"]}))
    with pytest.raises(ValueError, match="email"):
        RegistrationIn.model_validate(
            registration(email=None, consent={"contact": True, "channels": ["email"]})
        )


def test_unknown_fields_are_refused_not_ignored() -> None:
    with pytest.raises(ValueError, match="status"):
        RegistrationIn.model_validate(registration(status="placed"))


def test_warnings_come_from_the_nik_and_never_refuse(cipher: PersonalDataCipher) -> None:
    payload = registration(
        nik=nik(sex="L", birth_date=date(1990, 1, 2)), sex="P", birth_date="1990-01-02"
    )
    prepared = prepare(
        cipher=cipher, data=RegistrationIn.model_validate(payload), actor=OPERATOR, now=NOW
    )
    assert len(prepared.warnings) == 1


def test_a_district_admin_registers_residents_of_every_desa_of_their_kecamatan(
    cipher: PersonalDataCipher,
) -> None:
    admin = Actor(role="village_admin", name="cikarang utara", kecamatan_kode="32.16.09")
    for desa_kode in ("32.16.09.2004", "32.16.09.2001"):
        own = registration(address={"street": "x", "desa_kode": desa_kode})
        prepare(cipher=cipher, data=RegistrationIn.model_validate(own), actor=admin, now=NOW)
    other = registration(address={"street": "x", "desa_kode": "32.16.19.2004"})
    with pytest.raises(FieldError) as refused:
        prepare(cipher=cipher, data=RegistrationIn.model_validate(other), actor=admin, now=NOW)
    assert refused.value.loc == ("address", "desa_kode")


def test_village_admins_come_from_api_keys_not_from_the_environment() -> None:
    settings = Settings(
        REGISTRY_DATABASE_URL="postgresql://x/y", AMQP_URL="amqp://x", REGISTRY_NIK_HMAC_KEY=key(),
        REGISTRY_DATA_KEY=key(), OPERATOR_TOKEN="t", NIK_LOOKUP_KEY=key(),
        VILLAGE_ADMIN_TOKENS="a=32.16.09.2004",
    )  # fmt: skip
    assert not hasattr(settings, "village_admin_tokens")


def test_secrets_have_no_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REGISTRY_NIK_HMAC_KEY", "REGISTRY_DATA_KEY", "OPERATOR_TOKEN", "NIK_LOOKUP_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match="NIK_LOOKUP_KEY"):
        Settings(REGISTRY_DATABASE_URL="postgresql://x/y", AMQP_URL="amqp://x")  # type: ignore[call-arg]
