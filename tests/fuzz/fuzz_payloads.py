"""Hypothesis strategies for event payloads, from the committed JSON Schemas
(shared/src/kerjalokal/events/schemas/*.json): valid payloads, and invalid ones made from valid
ones (a required field missing, a field of the wrong JSON type, an enum value that does not exist,
a body that is not a JSON object or not JSON at all).

The event schemas use a small part of JSON Schema (object, array, string with the formats uuid,
date and date-time, integer, number, boolean, null, enum, const, anyOf, $ref to $defs); anything
else makes the strategy fail loudly rather than generate what the schema does not say.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from kerjalokal.events.schemas import SCHEMA_DIR, json_type

Schema = dict[str, Any]
SMALL = 127  # see the integer case below
JSON_TYPES = ("string", "integer", "number", "boolean", "null", "object", "array")
_SAMPLE_OF_TYPE: dict[str, Any] = {
    "string": "bukan-nilai / not a value",
    "integer": 7,
    "number": 7.5,
    "boolean": True,
    "null": None,
    "object": {"unexpected": ["nested"]},
    "array": [1, "two"],
}
_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40
)  # PostgreSQL text holds no NUL; the producers never send one (they come from PostgreSQL too)


_OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


def load_schema(event_type: str) -> Schema:
    schema: Schema = json.loads((SCHEMA_DIR / f"{event_type}.json").read_text())
    return schema


class _Builder:
    def __init__(self, root: Schema) -> None:
        self.root = root

    def resolve(self, node: Schema) -> Schema:
        while "$ref" in node:
            name = node["$ref"].removeprefix("#/$defs/")
            node = self.root["$defs"][name]
        return node

    def strategy(self, node: Schema) -> st.SearchStrategy[Any]:
        node = self.resolve(node)
        if "const" in node:
            return st.just(node["const"])
        if "enum" in node:
            return st.sampled_from(node["enum"])
        if "anyOf" in node:
            return st.one_of([self.strategy(option) for option in node["anyOf"]])
        kind = node.get("type")
        if isinstance(kind, list):
            return st.one_of([self.strategy(node | {"type": k}) for k in kind])
        if kind == "string":
            return self._string(node)
        if kind == "integer":
            # The schemas bound no integer; the consumers do (smallint and integer columns, the
            # int8 education level of vacancies' matching index): a larger value crashes the
            # handler, which retries and dead-letters it as failed. Known, see README.md.
            return st.integers(node.get("minimum", 0), node.get("maximum", SMALL))
        if kind == "number":
            return st.floats(node.get("minimum"), node.get("maximum"), allow_nan=False,
                             allow_infinity=False)  # fmt: skip
        if kind == "boolean":
            return st.booleans()
        if kind == "null":
            return st.none()
        if kind == "array":
            items = self.strategy(node.get("items", {"type": "string"}))
            return st.lists(items, min_size=node.get("minItems", 0), max_size=4)
        if kind == "object":
            return self._object(node)
        raise NotImplementedError(f"schema node not covered by the fuzz strategy: {node}")

    def _string(self, node: Schema) -> st.SearchStrategy[Any]:
        fmt = node.get("format")
        if fmt == "uuid":
            return st.uuids().map(str)
        if fmt == "date":
            return st.dates().map(lambda d: d.isoformat())
        if fmt == "date-time":
            # RFC 3339 offsets are whole minutes (no historic local mean time); from 1900, as
            # 0001-01-01T00:00+14:00 is a time before year 1 that PostgreSQL cannot store.
            return st.datetimes(min_value=datetime(1900, 1, 1), timezones=_OFFSETS).map(
                lambda d: d.isoformat()
            )
        if fmt is not None:
            raise NotImplementedError(f"string format not covered by the fuzz strategy: {fmt}")
        return _TEXT

    def _object(self, node: Schema) -> st.SearchStrategy[Any]:
        properties = node.get("properties")
        if properties is None:  # a free-form mapping
            return st.dictionaries(_TEXT, self.strategy(node.get("additionalProperties", {
                "type": "string"})), max_size=3)  # fmt: skip
        required = set(node.get("required", []))
        fields = {name: self.strategy(sub) for name, sub in properties.items() if name in required}
        optional = {
            name: self.strategy(sub) for name, sub in properties.items() if name not in required
        }
        return st.fixed_dictionaries(fields, optional=optional)

    def types_of(self, node: Schema) -> set[str]:
        """The JSON types a field may have; every type when the schema does not say."""
        node = self.resolve(node)
        if "const" in node or "enum" in node:
            values = node.get("enum", [node.get("const")])
            return {json_type(v) for v in values} | ({"number"} if any(
                json_type(v) == "integer" for v in values) else set())  # fmt: skip
        if "anyOf" in node:
            return set().union(*(self.types_of(option) for option in node["anyOf"]))
        kind = node.get("type")
        if kind is None:
            return set(JSON_TYPES)
        kinds = set(kind if isinstance(kind, list) else [kind])
        if kinds & {"integer", "number"}:
            kinds |= {"integer", "number", "boolean"}  # lax mode reads 7.0 as 7 and true as 1
        if node.get("format") in ("date", "date-time"):
            kinds |= {"integer", "number"}  # ... and a number as a Unix time
        return kinds


def valid(event_type: str) -> st.SearchStrategy[dict[str, Any]]:
    schema = load_schema(event_type)
    return _Builder(schema).strategy(schema)


@dataclass(frozen=True)
class Poison:
    """An invalid message: its body, its content type, and what is wrong with it."""

    body: bytes
    content_type: str
    why: str


def _wrong_type(builder: _Builder, schema: Schema, payload: dict[str, Any]) -> list[Poison]:
    found = []
    for name, sub in schema.get("properties", {}).items():
        allowed = builder.types_of(sub)
        for kind in JSON_TYPES:
            if kind in allowed or (kind == "integer" and "number" in allowed):
                continue
            if kind == "string" and allowed & {"integer", "number", "boolean"}:
                continue  # lax mode reads "7" as 7 and "true" as true; not a type error
            if kind == "integer" and "boolean" in allowed:
                continue  # ... and 1 as true
            wrong = payload | {name: _SAMPLE_OF_TYPE[kind]}
            found.append(Poison(_json(wrong), "application/json", f"{name}: {kind}"))
    return found


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def invalid(event_type: str) -> st.SearchStrategy[Poison]:
    """Invalid messages for the event type, each made from a valid payload."""
    schema = load_schema(event_type)
    builder = _Builder(schema)
    required = list(schema.get("required", []))
    enums = [name for name, sub in schema["properties"].items() if "enum" in builder.resolve(sub)]

    def missing(payload: dict[str, Any]) -> st.SearchStrategy[Poison]:
        return st.sampled_from(required).map(
            lambda name: Poison(
                _json({k: v for k, v in payload.items() if k != name}),
                "application/json",
                f"{name} missing",
            )
        )

    def wrong_type(payload: dict[str, Any]) -> st.SearchStrategy[Poison]:
        return st.sampled_from(_wrong_type(builder, schema, payload))

    def bad_enum(payload: dict[str, Any]) -> st.SearchStrategy[Poison]:
        return st.sampled_from(enums).map(
            lambda name: Poison(
                _json(payload | {name: "tidak-ada-nilai-ini"}),
                "application/json",
                f"{name}: not in the enum",
            )
        )

    payloads = valid(event_type)
    options: list[st.SearchStrategy[Poison]] = [
        payloads.flatmap(missing),
        payloads.flatmap(wrong_type),
        # not JSON at all
        st.binary(min_size=1, max_size=60)
        .filter(_not_json)
        .map(lambda b: Poison(b, "application/json", "not JSON")),
        _TEXT.filter(lambda t: _not_json(t.encode())).map(
            lambda t: Poison(t.encode(), "application/json", "not JSON (text)")
        ),
        # JSON, but not an object
        st.one_of(
            st.integers(),
            st.text(max_size=10),
            st.lists(st.integers(), max_size=3),
            st.none(),
            st.booleans(),
        ).map(lambda v: Poison(_json(v), "application/json", "JSON, not an object")),
        # a valid payload sent as something else than JSON
        payloads.map(lambda p: Poison(_json(p), "text/plain", "content type text/plain")),
    ]
    if required:
        options.insert(0, payloads.flatmap(missing))
    if enums:
        options.append(payloads.flatmap(bad_enum))
    return st.one_of(options)


def _not_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return True
    return False


def draw(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """`count` examples of `strategy`, the same ones on every run (derandomized)."""
    drawn: list[Any] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    collect()
    return drawn
