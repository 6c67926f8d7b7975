"""The public event contract: committed schemas, the breaking-change guard, routing keys, privacy.

Agencies integrate against these schemas. Within a major version an event changes only by adding
optional fields; anything else is a new `.vN` type published beside the old one.
"""

import copy
import importlib
import json
import re
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any, Literal

import pytest
from pydantic import BaseModel, ValidationError, create_model

from kerjalokal.events import EVENT_TYPES, Event
from kerjalokal.events.schemas import (
    COMMAND,
    SCHEMA_DIR,
    breaking_changes,
    drift,
    path_of,
    render,
    schema_of,
    write_all,
)

ROUTING_KEY = re.compile(r"^(registry|vacancies|training|notify|console)\.[a-z_]+\.v[0-9]+$")
EVENTS = sorted(EVENT_TYPES)

# DESIGN.md, privacy: NIK, names, phone numbers, emails and addresses never appear in public
# events. A property is personal when one of its snake_case words is one of these (English and
# the Indonesian words a form here would use).
PERSONAL_WORDS = {
    "nik", "name", "nama", "phone", "telepon", "telp", "hp", "msisdn", "email", "surel",
    "address", "alamat", "street", "jalan",
}  # fmt: skip
# (schema path, why it is not personal data). Keep this list short and every reason concrete.
NOT_PERSONAL = {
    "$defs.Certificate.properties.name": "the certificate's title (e.g. 'Juru Las Tingkat 1')",
    "properties.company_name": "a company's registered name (a business, not a person)",
    "properties.work_address": "the workplace (a factory in an industrial estate), not a home",
}


# --- (1) committed schemas ----------------------------------------------------------------------


@pytest.mark.parametrize("event_type", EVENTS)
def test_committed_schema_has_no_breaking_change(event_type: str) -> None:
    path = path_of(SCHEMA_DIR, event_type)
    assert path.exists(), f"{path.name} is not committed: run `{COMMAND}` and commit"
    committed = json.loads(path.read_text(encoding="utf-8"))
    changes = breaking_changes(committed, schema_of(EVENT_TYPES[event_type]))
    assert not changes, (
        f"breaking change to {event_type}: {changes}. Keep this type as it is and publish a "
        "new .vN type beside it until every consumer has moved."
    )


@pytest.mark.parametrize("event_type", EVENTS)
def test_committed_schema_equals_the_model(event_type: str) -> None:
    path = path_of(SCHEMA_DIR, event_type)
    assert path.exists(), f"{path.name} is not committed: run `{COMMAND}` and commit"
    committed = path.read_text(encoding="utf-8")
    assert json.loads(committed) == schema_of(EVENT_TYPES[event_type]), (
        f"{event_type} changed compatibly: run `{COMMAND}` and commit"
    )
    assert committed == render(schema_of(EVENT_TYPES[event_type])), (
        f"{path.name} is not in the generated layout: run `{COMMAND}` and commit"
    )


def test_no_event_type_was_removed() -> None:
    orphans = sorted(
        p.name for p in SCHEMA_DIR.glob("*.json") if p.name[: -len(".json")] not in EVENT_TYPES
    )
    assert not orphans, (
        f"schemas committed for event types that no longer exist: {orphans}. Removing an event "
        "type breaks its consumers: keep publishing it until they have moved."
    )


def test_check_command_agrees_with_the_committed_files() -> None:
    problems, breaking = drift(SCHEMA_DIR)
    assert (problems, breaking) == ([], []), f"run `{COMMAND}` and commit"


def test_write_all_writes_the_layout_the_check_reads(tmp_path) -> None:
    written = write_all(tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{t}.json" for t in EVENT_TYPES)
    assert write_all(tmp_path) == []  # idempotent: nothing changes the second time
    text = (tmp_path / "vacancies.resident_hired.v1.json").read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert drift(tmp_path) == ([], [])


def test_check_reports_every_kind_of_drift(tmp_path) -> None:
    write_all(tmp_path)
    hired = tmp_path / "vacancies.resident_hired.v1.json"
    schema = json.loads(hired.read_text(encoding="utf-8"))
    schema["properties"]["contract_type"]["enum"].append("harian")  # the model lost a value
    hired.write_text(render(schema), encoding="utf-8")
    (tmp_path / "registry.resident_verified.v1.json").unlink()
    (tmp_path / "registry.resident_moved.v1.json").write_text("{}\n", encoding="utf-8")

    problems, breaking = drift(tmp_path)

    assert any("vacancies.resident_hired.v1: BREAKING" in p and "harian" in p for p in breaking)
    assert "registry.resident_moved.v1: BREAKING event type removed" in breaking
    assert any(p.startswith("registry.resident_verified.v1: no committed schema") for p in problems)
    assert set(breaking) <= set(problems)


@pytest.mark.parametrize("event_type", EVENTS)
def test_schema_names_the_event_and_its_exchange(event_type: str) -> None:
    cls = EVENT_TYPES[event_type]
    schema = schema_of(cls)
    assert schema["$id"] == schema["title"] == event_type
    assert schema["x-restricted"] is cls.RESTRICTED
    assert schema["type"] == "object"


# --- (2) the guard itself -----------------------------------------------------------------------


def _obj(properties: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict:
    return {"type": "object", "properties": properties, "required": required or [], **extra}


STR = {"type": "string"}
INT = {"type": "integer"}
NULLABLE_STR = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
NULLABLE_INT_OR_STR = {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]}
UUID = {"type": "string", "format": "uuid"}

BASE = _obj({"id": UUID, "status": STR, "note": NULLABLE_STR}, ["id", "status"])
WITH_NESTED = {
    **_obj(
        {
            "id": UUID,
            "profile": {"$ref": "#/$defs/Profile"},
            "skills": {"type": "array", "items": {"$ref": "#/$defs/Skill"}},
        },
        ["id", "profile"],
    ),
    "$defs": {
        "Profile": _obj(
            {
                "sex": {"type": "string", "enum": ["L", "P"]},
                "track": {
                    "anyOf": [{"type": "string", "enum": ["umum", "kejuruan"]}, {"type": "null"}]
                },
                "birth_date": {"type": "string", "format": "date"},
            },
            ["sex"],
        ),
        "Skill": _obj({"skill": STR, "level": INT}, ["skill"]),
    },
}


def _edit(schema: dict, path: list[str | int], value: Any = ..., *, drop: bool = False) -> dict:
    """A deep copy of `schema` with the node at `path` replaced (or removed with drop=True)."""
    result = copy.deepcopy(schema)
    node: Any = result
    for key in path[:-1]:
        node = node[key]
    if drop:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return result


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        pytest.param(_edit(BASE, ["properties", "note"], drop=True), "$.note: property removed",
                     id="removed-optional-property"),
        pytest.param(_edit(BASE, ["properties", "status"], drop=True), "$.status: property removed",
                     id="removed-required-property"),
        pytest.param(_edit(BASE, ["required"], ["id", "status", "note"]),
                     "$.note: property became required", id="optional-became-required"),
        pytest.param(_edit(_edit(BASE, ["properties", "code"], STR), ["required"],
                           ["id", "status", "code"]),
                     "$.code: new required property", id="new-required-property"),
        pytest.param(_edit(BASE, ["properties", "status"], INT),
                     "$.status: type changed from string to integer", id="type-changed"),
        pytest.param(_edit(BASE, ["properties", "note"], STR),
                     "$.note: type narrowed from null | string to string", id="anyof-narrowed"),
        pytest.param(_edit(BASE, ["properties", "status"], NULLABLE_STR),
                     "$.status: type widened from string to null | string", id="null-added"),
        pytest.param(_edit(BASE, ["properties", "note"], NULLABLE_INT_OR_STR),
                     "$.note: type widened from null | string to integer | null | string",
                     id="anyof-widened"),
        pytest.param(_edit(BASE, ["properties", "id", "format"], "uri"),
                     "$.id: format changed from 'uuid' to 'uri'", id="format-changed"),
        pytest.param(_edit(BASE, ["properties", "id", "format"], drop=True),
                     "$.id: format changed from 'uuid' to None", id="format-removed"),
        pytest.param(_edit(BASE, ["properties", "status", "format"], "date"),
                     "$.status: format changed from None to 'date'", id="format-added"),
        pytest.param(_edit(BASE, ["properties", "status", "enum"], ["active"]),
                     "$.status: enum added, only ['active'] allowed now", id="enum-added"),
        pytest.param(_edit(BASE, ["properties", "status", "maxLength"], 8),
                     "$.status: maxLength tightened from None to 8", id="bound-added"),
        pytest.param(_edit(BASE, ["properties", "status", "pattern"], "^[a-z]+$"),
                     "$.status: pattern changed from None to '^[a-z]+$'", id="pattern-added"),
        pytest.param(_edit(BASE, ["x-restricted"], True),
                     "$: x-restricted changed from False to True", id="made-restricted"),
    ],
)  # fmt: skip
def test_guard_catches_top_level_breaking_change(new: dict, expected: str) -> None:
    assert breaking_changes(BASE, new) == [expected]


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        pytest.param(_edit(WITH_NESTED, ["$defs", "Profile", "properties", "birth_date"],
                           drop=True),
                     "$.profile.birth_date: property removed", id="nested-removed"),
        pytest.param(_edit(WITH_NESTED, ["$defs", "Profile", "required"], ["sex", "birth_date"]),
                     "$.profile.birth_date: property became required", id="nested-required"),
        pytest.param(_edit(WITH_NESTED, ["$defs", "Profile", "properties", "sex", "enum"], ["L"]),
                     "$.profile.sex: enum narrowed, removed ['P']", id="enum-narrowed"),
        pytest.param(_edit(WITH_NESTED, ["$defs", "Profile", "properties", "sex"],
                           {"type": "string", "const": "L"}),
                     "$.profile.sex: enum narrowed, removed ['P']", id="literal-narrowed-to-one"),
        pytest.param(_edit(WITH_NESTED, ["$defs", "Profile", "properties", "track", "anyOf", 0,
                                         "enum"], ["umum"]),
                     "$.profile.track: enum narrowed, removed ['kejuruan']",
                     id="optional-literal-narrowed"),
        pytest.param(_edit(WITH_NESTED, ["$defs", "Profile", "properties", "birth_date",
                                         "format"], "date-time"),
                     "$.profile.birth_date: format changed from 'date' to 'date-time'",
                     id="nested-format"),
        pytest.param(_edit(WITH_NESTED, ["$defs", "Skill", "properties", "level"], STR),
                     "$.skills[].level: type changed from integer to string",
                     id="array-item-type"),
        pytest.param(_edit(WITH_NESTED, ["$defs", "Skill", "required"], ["skill", "level"]),
                     "$.skills[].level: property became required", id="array-item-required"),
        pytest.param(_edit(WITH_NESTED, ["properties", "skills", "items"], STR),
                     "$.skills[]: type changed from object to string", id="items-changed"),
        pytest.param(_edit(WITH_NESTED, ["properties", "profile"], STR),
                     "$.profile: type changed from object to string", id="object-to-string"),
    ],
)  # fmt: skip
def test_guard_catches_nested_breaking_change(new: dict, expected: str) -> None:
    assert breaking_changes(WITH_NESTED, new) == [expected]


@pytest.mark.parametrize(
    "new",
    [
        pytest.param(BASE, id="identical"),
        pytest.param(_edit(BASE, ["properties", "extra"], NULLABLE_STR), id="optional-added"),
        pytest.param(_edit(BASE, ["required"], ["id"]), id="required-became-optional"),
        pytest.param(_edit(BASE, ["properties", "status", "title"], "Status"), id="title-added"),
        pytest.param(_edit(BASE, ["description"], "Now documented."), id="description-added"),
        pytest.param(_edit(BASE, ["examples"], [{"id": "x"}]), id="examples-added"),
        pytest.param(_edit(BASE, ["properties", "note", "default"], ""), id="default-changed"),
        pytest.param(_edit(BASE, ["x-restricted"], False), id="explicitly-public"),
        pytest.param(_edit(WITH_NESTED, ["$defs", "Profile", "properties", "sex", "enum"],
                           ["L", "P", "X"]), id="enum-widened"),
        pytest.param(_edit(WITH_NESTED, ["$defs", "Profile", "properties", "sex", "enum"],
                           ["P", "L"]), id="enum-reordered"),
        pytest.param(_edit(WITH_NESTED, ["$defs", "Profile", "properties", "sex"], STR),
                     id="enum-dropped"),
        pytest.param(_edit(WITH_NESTED, ["$defs", "Skill", "properties", "scheme"], NULLABLE_STR),
                     id="nested-optional-added"),
        pytest.param(_edit(_edit(WITH_NESTED, ["$defs", "Profile2"],
                                 WITH_NESTED["$defs"]["Profile"]),
                           ["properties", "profile"], {"$ref": "#/$defs/Profile2"}),
                     id="definition-renamed"),
        pytest.param(_edit(WITH_NESTED, ["properties", "profile"],
                           {"allOf": [{"$ref": "#/$defs/Profile"}], "description": "Who."}),
                     id="ref-wrapped-in-allof"),
    ],
)  # fmt: skip
def test_guard_passes_additive_change(new: dict) -> None:
    old = WITH_NESTED if "$defs" in new else BASE
    assert breaking_changes(old, new) == []


def test_guard_reports_every_change_at_once() -> None:
    new = _edit(_edit(BASE, ["properties", "note"], drop=True), ["properties", "status"], INT)
    assert sorted(breaking_changes(BASE, new)) == [
        "$.note: property removed",
        "$.status: type changed from string to integer",
    ]


def test_guard_ends_on_recursive_models() -> None:
    tree = {
        **_obj({"root": {"$ref": "#/$defs/Node"}}, ["root"]),
        "$defs": {
            "Node": _obj(
                {"label": STR, "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
                ["label"],
            )
        },
    }
    assert breaking_changes(tree, tree) == []
    narrowed = _edit(tree, ["$defs", "Node", "properties", "label"], INT)
    assert breaking_changes(tree, narrowed) == ["$.root.label: type changed from string to integer"]


def _hired_schema(**changes: Any) -> dict:
    """What pydantic generates for a small hire event, with some fields changed (None drops)."""
    fields: dict[str, Any] = {
        "hire_id": (uuid.UUID, ...),
        "contract_type": (Literal["pkwt", "pkwtt"], ...),
        "vacancy_id": (uuid.UUID | None, None),
    }
    fields |= changes
    fields = {name: spec for name, spec in fields.items() if spec is not None}
    return create_model("HiredV1", **fields).model_json_schema(mode="serialization")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({}, [], id="unchanged"),
        pytest.param({"note": (str | None, None)}, [], id="optional-field-added"),
        pytest.param({"contract_type": (Literal["pkwt", "pkwtt", "magang"], ...)}, [],
                     id="literal-widened"),
        pytest.param({"contract_type": (Literal["pkwt"], ...)},
                     ["$.contract_type: enum narrowed, removed ['pkwtt']"], id="literal-narrowed"),
        pytest.param({"start_date": (date, ...)}, ["$.start_date: new required property"],
                     id="required-field-added"),
        pytest.param({"vacancy_id": None}, ["$.vacancy_id: property removed"], id="field-removed"),
        pytest.param({"vacancy_id": (uuid.UUID, ...)},
                     ["$.vacancy_id: property became required",
                      "$.vacancy_id: type narrowed from null | string to string"],
                     id="optional-made-required"),
        pytest.param({"hire_id": (str, ...)}, ["$.hire_id: format changed from 'uuid' to None"],
                     id="uuid-to-str"),
        pytest.param({"hire_id": (int, ...)},
                     ["$.hire_id: type changed from string to integer"], id="uuid-to-int"),
    ],
)  # fmt: skip
def test_guard_on_pydantic_generated_schemas(changes: dict, expected: list[str]) -> None:
    assert breaking_changes(_hired_schema(), _hired_schema(**changes)) == expected


@pytest.mark.parametrize("event_type", EVENTS)
def test_guard_sees_a_removed_field_in_every_real_event(event_type: str) -> None:
    schema = schema_of(EVENT_TYPES[event_type])
    field = next(iter(schema["properties"]))
    assert breaking_changes(schema, schema) == []
    assert breaking_changes(schema, _edit(schema, ["properties", field], drop=True)) == [
        f"$.{field}: property removed"
    ]


# --- (3) examples -------------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", EVENTS)
def test_example_validates_and_round_trips(event_type: str) -> None:
    cls = EVENT_TYPES[event_type]
    event = cls.example()
    assert type(event) is cls
    payload = event.model_dump_json()
    assert cls.model_validate_json(payload) == event
    assert cls.model_validate(json.loads(payload)) == event
    assert cls.model_validate(event.model_dump(mode="json")) == event
    # the example documented in the schema is the one the class hands out
    assert cls.model_validate(schema_of(cls)["examples"][0]) == event


@pytest.mark.parametrize("event_type", EVENTS)
def test_example_sets_every_field(event_type: str) -> None:
    """An example that leaves fields at their defaults documents less than the contract."""
    cls = EVENT_TYPES[event_type]
    example = schema_of(cls)["examples"][0]
    assert set(example) == set(cls.model_fields), f"{event_type} example lacks or adds fields"


@pytest.mark.parametrize("event_type", EVENTS)
def test_example_matches_the_schema_types(event_type: str) -> None:
    """The serialized example uses only properties the schema names, with the JSON types it says."""
    cls = EVENT_TYPES[event_type]
    schema = schema_of(cls)
    _check_against_schema(json.loads(cls.example().model_dump_json()), schema, schema, "$")


def _check_against_schema(value: Any, node: dict, root: dict, path: str) -> None:
    if "$ref" in node:
        target: Any = root
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    variants = node.get("anyOf") or [node]
    errors = []
    for variant in variants:
        try:
            _check_variant(value, variant, root, path)
            return
        except AssertionError as error:
            errors.append(str(error))
    raise AssertionError(f"{path}: {value!r} matches no variant: {errors}")


def _check_variant(value: Any, node: dict, root: dict, path: str) -> None:
    if "$ref" in node or "anyOf" in node:
        _check_against_schema(value, node, root, path)
        return
    expected = node.get("type")
    python = {"string": str, "integer": int, "number": (int, float), "boolean": bool,
              "null": type(None), "array": list, "object": dict}  # fmt: skip
    if expected is not None:
        assert isinstance(value, python[expected]), f"{path}: {value!r} is not {expected}"
        assert expected == "boolean" or not isinstance(value, bool), f"{path}: bool for {expected}"
    if "enum" in node:
        assert value in node["enum"], f"{path}: {value!r} not in {node['enum']}"
    if expected == "object":
        properties = node.get("properties", {})
        assert set(node.get("required", ())) <= set(value), f"{path}: required missing"
        for key, item in value.items():
            assert key in properties, f"{path}.{key} is not in the schema"
            _check_against_schema(item, properties[key], root, f"{path}.{key}")
    if expected == "array":
        for i, item in enumerate(value):
            _check_against_schema(item, node["items"], root, f"{path}[{i}]")


# --- (4) routing keys and producers -------------------------------------------------------------


@pytest.mark.parametrize("event_type", EVENTS)
def test_routing_key_names_producer_event_and_major_version(event_type: str) -> None:
    cls = EVENT_TYPES[event_type]
    assert event_type == cls.TYPE
    assert ROUTING_KEY.match(event_type), f"{event_type!r} is not <producer>.<event>.v<major>"
    producer, _, version = event_type.split(".")
    assert cls.producer() == producer
    assert cls.__module__ == f"kerjalokal.events.{producer}", (
        f"{cls.__name__} is published by {producer} but lives in {cls.__module__}"
    )
    major = version.removeprefix("v")
    assert cls.__name__.endswith(f"V{major}"), f"{cls.__name__} does not end in V{major}"


@pytest.mark.parametrize("event_type", EVENTS)
def test_subject_is_a_required_identifier(event_type: str) -> None:
    cls = EVENT_TYPES[event_type]
    schema = schema_of(cls)
    assert cls.SUBJECT in schema.get("required", ()), f"{cls.SUBJECT} must be a required field"
    assert schema["properties"][cls.SUBJECT].get("format") == "uuid"
    assert cls.example().subject == str(getattr(cls.example(), cls.SUBJECT))


def _all_event_classes() -> Iterator[type[Event]]:
    stack = list(Event.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("kerjalokal.events.") and hasattr(cls, "TYPE"):
            yield cls  # (a base without a TYPE, e.g. base.ResidentDataErased, is no event type)


def test_every_event_class_is_registered_once() -> None:
    for producer in ("registry", "vacancies", "training"):
        importlib.import_module(f"kerjalokal.events.{producer}")
    classes = list(_all_event_classes())
    types = [cls.TYPE for cls in classes]
    assert len(types) == len(set(types)), f"two classes share a routing key: {sorted(types)}"
    assert {cls.TYPE: cls for cls in classes} == EVENT_TYPES


# --- (5) privacy ---------------------------------------------------------------------------------


def _property_names(node: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    """Every property name anywhere in a schema (nested objects, items, variants, $defs)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for name in value:
                    yield f"{path}.properties.{name}".removeprefix("$."), name
            if key not in ("examples", "default", "const", "enum"):
                yield from _property_names(value, f"{path}.{key}")
    elif isinstance(node, list):
        for item in node:
            yield from _property_names(item, path)


def _words(name: str) -> set[str]:
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
    return {word for word in re.split(r"[^a-z0-9]+", snake) if word}


def _personal(schema: dict) -> list[str]:
    return sorted(
        f"{path} ({name})"
        for path, name in _property_names(schema)
        if _words(name) & PERSONAL_WORDS and path not in NOT_PERSONAL
    )


@pytest.mark.parametrize("event_type", [t for t in EVENTS if not EVENT_TYPES[t].RESTRICTED])
def test_public_event_carries_no_personal_data(event_type: str) -> None:
    found = _personal(schema_of(EVENT_TYPES[event_type]))
    assert not found, (
        f"{event_type} is public but has personal-looking properties {found}: carry the "
        "resident's random id instead, or move the data to a RESTRICTED event"
    )


def test_privacy_rule_can_fail() -> None:
    contacts = {
        "type": "array",
        "items": {"anyOf": [_obj({"phone_number": STR}), _obj({"nik": STR}), {"type": "null"}]},
    }
    schema = {
        **_obj({"resident_id": UUID, "home": {"$ref": "#/$defs/Home"}}),
        "$defs": {"Home": _obj({"streetAddress": STR, "contacts": contacts})},
    }
    assert _personal(schema) == [
        "$defs.Home.properties.contacts.items.anyOf.properties.nik (nik)",
        "$defs.Home.properties.contacts.items.anyOf.properties.phone_number (phone_number)",
        "$defs.Home.properties.streetAddress (streetAddress)",
    ]
    assert _personal(_obj({"full_name": STR, "email": STR, "nama": STR})) == [
        "properties.email (email)",
        "properties.full_name (full_name)",
        "properties.nama (nama)",
    ]
    assert _personal(_obj({"vocation": STR, "teknik": STR, "phonetic": STR})) == []


def test_privacy_rule_flags_the_restricted_contact_event() -> None:
    """The one event that must carry contact details is restricted, and the rule sees why."""
    contact = EVENT_TYPES["registry.resident_contact_changed.v1"]
    assert contact.RESTRICTED
    assert _personal(schema_of(contact)) == [
        "properties.email (email)",
        "properties.full_name (full_name)",
        "properties.phone (phone)",
    ]


def test_allowlisted_exceptions_still_exist() -> None:
    """An exception whose property is gone must leave the allowlist with it."""
    public = [schema_of(cls) for cls in EVENT_TYPES.values() if not cls.RESTRICTED]
    paths = {path for schema in public for path, _ in _property_names(schema)}
    assert set(NOT_PERSONAL) <= paths


# --- (6) frozen and tolerant --------------------------------------------------------------------


def _with_unknown_fields(payload: Any) -> Any:
    if isinstance(payload, dict):
        return {
            **{key: _with_unknown_fields(value) for key, value in payload.items()},
            "x_unknown_field": {"added": "by a newer producer"},
        }
    if isinstance(payload, list):
        return [_with_unknown_fields(item) for item in payload]
    return payload


def _models(value: Any) -> Iterator[BaseModel]:
    if isinstance(value, BaseModel):
        yield value
        for name in type(value).model_fields:
            yield from _models(getattr(value, name))
    elif isinstance(value, tuple | list | set | frozenset):
        for item in value:
            yield from _models(item)


@pytest.mark.parametrize("event_type", EVENTS)
def test_event_ignores_unknown_fields_at_every_level(event_type: str) -> None:
    cls = EVENT_TYPES[event_type]
    example = schema_of(cls)["examples"][0]
    event = cls.model_validate(_with_unknown_fields(example))
    assert event == cls.example()
    assert "x_unknown_field" not in event.model_dump_json()
    assert cls.model_validate_json(json.dumps(_with_unknown_fields(example))) == event


@pytest.mark.parametrize("event_type", EVENTS)
def test_event_is_frozen_all_the_way_down(event_type: str) -> None:
    cls = EVENT_TYPES[event_type]
    event = cls.example()
    with pytest.raises(ValidationError, match="frozen"):
        event.__setattr__(cls.SUBJECT, event.subject)
    hash(event)  # frozen and built of immutable values: usable as a key, safe to share
    for model in _models(event):
        config = type(model).model_config
        assert config.get("frozen") is True, f"{type(model).__name__} is not frozen"
        assert config.get("extra", "ignore") == "ignore", f"{type(model).__name__} is not tolerant"
        for name in type(model).model_fields:
            value = getattr(model, name)
            assert not isinstance(value, list | dict | set), (
                f"{type(model).__name__}.{name} is a mutable {type(value).__name__}: use a tuple"
            )
