"""The bulk import's cheap paths give exactly what the general paths give: the events' JSON byte
for byte, and the same normalised value or the same refusal for every input."""

import base64
import os
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, EmailStr, ValidationError

from kerjalokal.testing.factories import registration
from registry.crypto import PersonalDataCipher
from registry.schemas import Email, RegistrationIn, _is_plain_email
from registry.services import Actor, prepare, registered_events, registered_payloads

NOW = datetime(2026, 11, 28, 9, 0, 0, 123456, tzinfo=UTC)
BULK = Actor(role="bulk_import", name="operator:test")


def key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


CIPHER = PersonalDataCipher(hmac_key=key(), data_key=key(), lookup_key=key())
NO_LOOKUP = PersonalDataCipher(hmac_key=key(), data_key=key())


def both(payload: dict[str, Any], *, cipher: PersonalDataCipher = CIPHER, now: datetime = NOW):
    prepared = prepare(
        cipher=cipher, data=RegistrationIn.model_validate(payload), actor=BULK, now=now
    )
    row = prepared.columns | {"version": 1, "in_training": False}
    models = registered_events(row, prepared.personal, now=now, nik_lookup=prepared.nik_lookup)
    slow = [(type(event), event.subject, event.model_dump_json()) for event in models]
    fast = registered_payloads(row, prepared.personal, now=now, nik_lookup=prepared.nik_lookup)
    return slow, fast


def test_the_import_events_are_the_models_json_byte_for_byte() -> None:
    for payload in (
        registration(),
        registration(email=None, consent={"contact": False, "channels": []}),
        registration(
            skills=["Pengelasan", " bubut ", "pengelasan"],
            certificates=[
                {"name": "Juru Las", "issuer": "BNSP", "year": 2024, "number": "X-1"},
                {"name": "K3 Umum"},
            ],
            occupation_interests=["7212.01", "7212.01", "8211"],
            education={"level": 7, "major": "Akuntansi"},
            address={"street": "Jl. Lain 3", "desa_kode": "32.75.01.1001"},  # not local
        ),
    ):
        slow, fast = both(payload)
        assert len(fast) == 3
        assert fast == slow


def test_without_a_lookup_key_no_identity_event_in_either() -> None:
    slow, fast = both(registration(), cipher=NO_LOOKUP)
    assert len(fast) == 2
    assert fast == slow


def test_times_in_any_offset_serialise_alike() -> None:
    for now in (NOW.replace(microsecond=0), NOW.astimezone(timezone(timedelta(hours=7)))):
        slow, fast = both(registration(), now=now)
        assert fast == slow


@settings(max_examples=300, deadline=None)
@given(
    name=st.text(min_size=1, max_size=60).filter(lambda s: s.strip()),
    major=st.none() | st.text(min_size=1, max_size=40).filter(lambda s: s.strip()),
    skills=st.lists(st.text(min_size=2, max_size=20).filter(lambda s: len(s.strip()) >= 2)),
)
def test_any_text_serialises_alike(name: str, major: str | None, skills: list[str]) -> None:
    """Names, majors and skills are free text: control characters, quotes, any script."""
    payload = registration(
        full_name=name,
        skills=skills[:50],
        education={"level": 5, "track": "kejuruan", "major": major},
    )
    slow, fast = both(payload)
    assert fast == slow


def outcome(check: Any, raw: str) -> tuple[str, str]:
    """What a check gives for `raw`: its value, or the type and reason of its refusal."""
    try:
        return "ok", check(raw)
    except Exception as error:
        return type(error).__name__, str(error)


def phone_table() -> list[str]:
    """Every leading pair after 8 and every length around the mobile lengths, with both prefixes,
    with the first and last digits varied; and a few numbers that are not mobiles at all."""
    numbers = []
    for second in "0123456789":
        for length in range(5, 15):
            for fill in "0", "5", "9":
                national = ("8" + second + fill * length)[: length + 2]
                numbers += [f"0{national}", f"+62{national}", f"62{national}"]
    for national in ("21830123", "2183501234", "8001234567", "8091234567", "80711234567"):
        numbers += [f"0{national}", f"+62{national}"]
    return numbers


def test_plain_mobile_numbers_take_the_fast_path_with_phonenumbers_answer() -> None:
    from registry.domain.contact import _PLAIN_MOBILE, _normalize_with_phonenumbers, normalize_phone

    fast = 0
    for raw in phone_table():
        assert outcome(normalize_phone, raw) == outcome(_normalize_with_phonenumbers, raw), raw
        fast += bool(_PLAIN_MOBILE.fullmatch(raw))
    assert fast > 100  # the table reaches the fast path, not only the fallback


@settings(max_examples=2000, deadline=None)
@given(
    st.one_of(
        st.text(alphabet="0123456789+ -().", max_size=20),
        st.from_regex(r"\A(0|\+62|62|\+6208|00628)8[0-9]{6,12}\Z"),
        st.text(max_size=20),
    )
)
def test_any_phone_gets_the_same_answer_as_from_phonenumbers(raw: str) -> None:
    from registry.domain.contact import _normalize_with_phonenumbers, normalize_phone

    assert outcome(normalize_phone, raw) == outcome(_normalize_with_phonenumbers, raw)


@settings(max_examples=2000, deadline=None)
@given(
    st.one_of(
        st.from_regex(r"\A[0-9]{1,4}[-/][0-9]{1,4}[-/][0-9]{1,4}\Z"),
        st.text(alphabet="0123456789-/ ", max_size=12),
        st.dates().map(lambda d: d.isoformat()),
        st.dates().map(lambda d: f"{d:%d-%m-%Y}"),
        st.dates().map(lambda d: f"{d:%d/%m/%Y}"),
        st.from_regex(r"\A[0-9]{2}[-/][0-9]{2}[-/][0-9]{4}\Z"),
    )
)
def test_dates_in_iso_form_skip_the_spreadsheet_formats_with_the_same_result(raw: str) -> None:
    from datetime import datetime as dt

    from registry.imports import _date

    def slow(value: str) -> str:
        value = value.strip()
        for fmt in ("%d-%m-%Y", "%d/%m/%Y"):
            try:
                return dt.strptime(value, fmt).date().isoformat()
            except ValueError:
                continue
        return value

    assert _date(raw) == slow(raw)


class _Before(BaseModel):
    email: EmailStr | None = None


class _Now(BaseModel):
    email: Email | None = None


def email_outcome(model: type[BaseModel], raw: Any) -> Any:
    try:
        return "ok", model.model_validate({"email": raw}).model_dump()
    except ValidationError as error:
        return "refused", error.errors(include_url=False)


EMAILS = [
    "warga1@example.org", "Siti.Rahma@gmail.com", "a@b.c", "a_b+c-d@mail.co.id",
    "postmaster@example.org", "Info@example.org", "x@localhost", "x@foo.local", "x@a.test",
    "x@a.invalid", "x@sub.example", "x@example.com.", "x@-a.com", "x@a-.com", "x@ab--cd.com",
    "x@xn--bcher-kva.example", "x@a.b1", "x@a.123", "x@EXAMPLE.org", "x@ex_ample.org",
    ".x@a.org", "x.@a.org", "x..y@a.org", "x@a..org", " x@a.org", "x@a.org ", "Siti <x@a.org>",
    '"x y"@a.org', "x@[127.0.0.1]", "ü@a.org", "x@bücher.de", "", "@a.org", "x@", "x@@a.org",
    "x" * 64 + "@a.org", "x" * 65 + "@a.org", "x@" + "a" * 63 + ".org", "x@" + "a" * 64 + ".org",
    "x@" + ".".join(["a" * 60] * 4) + ".org", "x" * 240 + "@" + "a" * 8 + ".org",
    "x" * 241 + "@" + "a" * 8 + ".org", None,
]  # fmt: skip


def test_the_email_table_gets_the_same_answer_as_from_email_str() -> None:
    fast = 0
    for raw in EMAILS:
        assert email_outcome(_Now, raw) == email_outcome(_Before, raw), raw
        fast += raw is not None and _is_plain_email(raw)
    assert fast >= 8


_LABEL = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?\Z")


@settings(max_examples=1500, deadline=None)
@given(
    st.one_of(
        st.emails(),
        st.builds(
            "{}@{}.{}".format,
            st.from_regex(r"\A[A-Za-z0-9._+-]{1,20}\Z"),
            st.lists(_LABEL, min_size=1, max_size=3).map(".".join),
            st.sampled_from(["com", "org", "id", "co.id", "local", "test", "arpa", "c0m", "x"]),
        ),
        st.text(alphabet="abcAB09._+-@ ", max_size=30),
        st.text(max_size=30),
    )
)
def test_any_email_gets_the_same_answer_as_from_email_str(raw: str) -> None:
    assert email_outcome(_Now, raw) == email_outcome(_Before, raw)
