"""The committed JSON Schema of every event type, and the rule for what breaks a consumer.

`python -m kerjalokal.events.schemas` writes `schemas/<event type>.json` beside this module;
`--check` writes nothing and exits non-zero listing every drift (missing, changed, orphan).
Writing refuses a breaking change unless `--allow-breaking` is given: within a major version an
event changes only by adding optional fields; a breaking change is a new `.vN` type instead.

A change is breaking when a consumer that read the old schema, or a new model that reads events
already published (the replayable log), can fail on it:

- a property removed, or a property newly required;
- a type changed: a variant of `anyOf` or of a `type` list removed or added (a consumer of
  `string` rejects a `null` as surely as one of `string | null` misses a removed `null`);
- an enum or Literal narrowed (a value removed), or an enum put on a field that had none;
- a `format` changed, added or removed; a `pattern` changed; a length or range bound tightened;
- the event moved between the public and the restricted exchange (`x-restricted`).

Adding an optional property, widening an enum and changing titles, descriptions, examples or
defaults are not breaking.
"""

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from . import EVENT_TYPES
from .base import Event

SCHEMA_DIR = Path(__file__).with_name("schemas")
COMMAND = "python -m kerjalokal.events.schemas"

Schema = dict[str, Any]

_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")


def schema_of(cls: type[Event]) -> Schema:
    """The event's JSON Schema as it travels: serialization mode, titled by its event type."""
    schema = cls.model_json_schema(mode="serialization")
    schema["$id"] = cls.TYPE
    schema["title"] = cls.TYPE
    schema["x-restricted"] = cls.RESTRICTED
    return schema


def render(schema: Schema) -> str:
    """The committed text of a schema: sorted keys, indent 2, one trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def path_of(directory: Path, event_type: str) -> Path:
    return Path(directory) / f"{event_type}.json"


def write_all(directory: Path | str = SCHEMA_DIR) -> list[Path]:
    """Write every event type's schema into `directory`; return the files whose text changed."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    changed = []
    for event_type, cls in sorted(EVENT_TYPES.items()):
        path = path_of(directory, event_type)
        text = render(schema_of(cls))
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def drift(directory: Path | str = SCHEMA_DIR) -> tuple[list[str], list[str]]:
    """Compare the committed schemas with the models: (every drift, the breaking ones)."""
    directory = Path(directory)
    problems: list[str] = []
    breaking: list[str] = []
    for event_type, cls in sorted(EVENT_TYPES.items()):
        path = path_of(directory, event_type)
        if not path.exists():
            problems.append(f"{event_type}: no committed schema ({path.name} missing)")
            continue
        old = json.loads(path.read_text(encoding="utf-8"))
        new = schema_of(cls)
        for change in breaking_changes(old, new):
            breaking.append(f"{event_type}: BREAKING {change}")
        if path.read_text(encoding="utf-8") != render(new):
            problems.append(f"{event_type}: committed schema differs from the model")
    known = {path_of(directory, event_type).name for event_type in EVENT_TYPES}
    if directory.is_dir():
        for orphan in sorted(p.name for p in directory.glob("*.json") if p.name not in known):
            breaking.append(f"{orphan[: -len('.json')]}: BREAKING event type removed")
    return breaking + problems, breaking


# --- breaking changes ---------------------------------------------------------------------------


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Every change from `old` to `new` that can break a consumer (see the module docstring).

    Walks nested objects, array items, `anyOf`/`oneOf` variants and `$ref`s into `$defs`;
    each finding names the path where it happened (`$` is the event itself).
    """
    found: list[str] = []
    if bool(old.get("x-restricted", False)) != bool(new.get("x-restricted", False)):
        found.append(
            f"$: x-restricted changed from {old.get('x-restricted', False)}"
            f" to {new.get('x-restricted', False)}"
        )
    _compare(old, new, "$", _Walk(old, new), found)
    return found


class _Walk:
    """The two documents being compared, for `$ref` lookups, and the pairs already compared."""

    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self.old_root = old_root
        self.new_root = new_root
        self.seen: set[tuple[str, str]] = set()


def _resolve(node: Any, root: Schema) -> tuple[Schema, str | None]:
    """Follow local `$ref`s (and pydantic's single-element `allOf` wrapper) to the schema."""
    ref = None
    for _ in range(64):
        if not isinstance(node, dict):
            return {}, ref
        if "$ref" in node:
            ref = node["$ref"]
            node = _lookup(root, ref)
        elif "allOf" in node and len(node["allOf"]) == 1:
            node = node["allOf"][0]
        else:
            return node, ref
    raise ValueError(f"$ref cycle without a schema: {ref}")


def _lookup(root: Schema, ref: str) -> Any:
    if not ref.startswith("#"):
        raise ValueError(f"only local $refs are supported, not {ref!r}")
    node: Any = root
    for part in ref.lstrip("#").strip("/").split("/"):
        if not part:
            continue
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            raise ValueError(f"unresolvable $ref {ref!r}")
        node = node[part]
    return node


def _variants(node: Any, root: Schema) -> Iterator[Schema]:
    """The alternatives a value may take: `anyOf`/`oneOf` flattened, a `type` list split."""
    schema, _ = _resolve(node, root)
    union = schema.get("anyOf") or schema.get("oneOf")
    if union:
        for variant in union:
            yield from _variants(variant, root)
    elif isinstance(schema.get("type"), list):
        for type_ in schema["type"]:
            yield {**schema, "type": type_}
    else:
        yield node if isinstance(node, dict) else {}


def _kind(variant: Schema, root: Schema) -> str:
    schema, _ = _resolve(variant, root)
    if "type" in schema:
        return str(schema["type"])
    values = _enum(schema)
    if values is not None:
        kinds = sorted({json_type(value) for value in values})
        return "|".join(kinds) or "never"
    if "properties" in schema:
        return "object"
    return "any"


def json_type(value: Any) -> str:
    """The JSON Schema type name of a decoded JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _enum(schema: Schema) -> list[Any] | None:
    if "enum" in schema:
        return list(schema["enum"])
    if "const" in schema:
        return [schema["const"]]
    return None


def _by_kind(node: Any, root: Schema) -> dict[str, list[Schema]]:
    kinds: dict[str, list[Schema]] = {}
    for variant in _variants(node, root):
        kinds.setdefault(_kind(variant, root), []).append(variant)
    return kinds


def _compare(old: Any, new: Any, path: str, walk: _Walk, found: list[str]) -> None:
    old_kinds = _by_kind(old, walk.old_root)
    new_kinds = _by_kind(new, walk.new_root)
    if old_kinds.keys() != new_kinds.keys():
        lost = sorted(old_kinds.keys() - new_kinds.keys())
        gained = sorted(new_kinds.keys() - old_kinds.keys())
        change = (
            "narrowed" if lost and not gained else "widened" if gained and not lost else "changed"
        )
        found.append(
            f"{path}: type {change} from {' | '.join(sorted(old_kinds))}"
            f" to {' | '.join(sorted(new_kinds))}"
        )
    for kind in sorted(old_kinds.keys() & new_kinds.keys()):
        for old_variant, new_variant in _pair(old_kinds[kind], new_kinds[kind], walk):
            _compare_variant(old_variant, new_variant, path, walk, found)


def _pair(olds: list[Schema], news: list[Schema], walk: _Walk) -> Iterable[tuple[Schema, Schema]]:
    """Match variants of one kind: by their `$ref` or title where several share the kind."""
    if len(olds) == 1 and len(news) == 1:
        return [(olds[0], news[0])]

    def name(variant: Schema, root: Schema) -> str | None:
        schema, ref = _resolve(variant, root)
        return ref.rsplit("/", 1)[-1] if ref else schema.get("title")

    by_name = {name(variant, walk.new_root): variant for variant in news}
    return [
        (variant, by_name.get(name(variant, walk.old_root), news[min(i, len(news) - 1)]))
        for i, variant in enumerate(olds)
    ]


def _compare_variant(old: Schema, new: Schema, path: str, walk: _Walk, found: list[str]) -> None:
    old_schema, old_ref = _resolve(old, walk.old_root)
    new_schema, new_ref = _resolve(new, walk.new_root)
    if old_ref or new_ref:  # a definition is compared once: that also ends recursive models
        key = (old_ref or path, new_ref or path)
        if key in walk.seen:
            return
        walk.seen.add(key)

    if old_schema.get("format") != new_schema.get("format"):
        found.append(
            f"{path}: format changed from {old_schema.get('format')!r}"
            f" to {new_schema.get('format')!r}"
        )
    if old_schema.get("pattern") != new_schema.get("pattern"):
        found.append(
            f"{path}: pattern changed from {old_schema.get('pattern')!r}"
            f" to {new_schema.get('pattern')!r}"
        )
    _compare_bounds(old_schema, new_schema, path, found)

    old_values, new_values = _enum(old_schema), _enum(new_schema)
    if new_values is not None:
        if old_values is None:
            found.append(f"{path}: enum added, only {new_values!r} allowed now")
        else:
            removed = [value for value in old_values if value not in new_values]
            if removed:
                found.append(f"{path}: enum narrowed, removed {removed!r}")

    _compare_object(old_schema, new_schema, path, walk, found)
    _compare_array(old_schema, new_schema, path, walk, found)


def _compare_bounds(old: Schema, new: Schema, path: str, found: list[str]) -> None:
    for key in _LOWER_BOUNDS:
        if key in new and (key not in old or new[key] > old[key]):
            found.append(f"{path}: {key} tightened from {old.get(key)!r} to {new[key]!r}")
    for key in _UPPER_BOUNDS:
        if key in new and (key not in old or new[key] < old[key]):
            found.append(f"{path}: {key} tightened from {old.get(key)!r} to {new[key]!r}")


def _compare_object(old: Schema, new: Schema, path: str, walk: _Walk, found: list[str]) -> None:
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    old_required = set(old.get("required", ()))
    for name in old_props:
        if name not in new_props:
            found.append(f"{path}.{name}: property removed")
    for name in new.get("required", ()):
        if name not in old_required:
            what = "property became required" if name in old_props else "new required property"
            found.append(f"{path}.{name}: {what}")
    for name in old_props:
        if name in new_props:
            _compare(old_props[name], new_props[name], f"{path}.{name}", walk, found)

    old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
    if isinstance(old_extra, dict) and isinstance(new_extra, dict):
        _compare(old_extra, new_extra, f"{path}.*", walk, found)


def _compare_array(old: Schema, new: Schema, path: str, walk: _Walk, found: list[str]) -> None:
    old_items, new_items = old.get("items"), new.get("items")
    if isinstance(old_items, dict) and isinstance(new_items, dict):
        _compare(old_items, new_items, f"{path}[]", walk, found)
    old_prefix: list[Any] = old.get("prefixItems", [])
    new_prefix: list[Any] = new.get("prefixItems", [])
    for i, old_item in enumerate(old_prefix):
        if i >= len(new_prefix):
            found.append(f"{path}[{i}]: tuple item removed")
        else:
            _compare(old_item, new_prefix[i], f"{path}[{i}]", walk, found)


# --- command line ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=COMMAND, description="Write (or check) the committed JSON Schema of every event."
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 listing every drift"
    )
    parser.add_argument(
        "--allow-breaking",
        action="store_true",
        help="write even breaking changes (only for an event type no consumer has seen yet)",
    )
    parser.add_argument("--dir", type=Path, default=SCHEMA_DIR, help="where the schemas live")
    args = parser.parse_args(argv)

    problems, breaking = drift(args.dir)
    if args.check:
        for problem in problems:
            print(problem, file=sys.stderr)
        if breaking:
            print(
                f"{len(breaking)} breaking change(s): keep the committed type and publish a new"
                " .vN type beside it",
                file=sys.stderr,
            )
        if len(problems) > len(breaking):
            print(f"compatible drift: run `{COMMAND}` and commit", file=sys.stderr)
        if problems:
            return 1
        print(f"{len(EVENT_TYPES)} event schemas up to date")
        return 0
    if breaking and not args.allow_breaking:
        for problem in breaking:
            print(problem, file=sys.stderr)
        print(
            "refusing to overwrite: publish a new .vN event type beside the old one instead"
            " (or pass --allow-breaking if no consumer has seen this type yet)",
            file=sys.stderr,
        )
        return 1
    for path in write_all(args.dir):
        print(f"wrote {path}")
    if args.allow_breaking:
        for path in sorted(Path(args.dir).glob("*.json")):
            if path.name[: -len(".json")] not in EVENT_TYPES:
                path.unlink()
                print(f"removed {path} (no such event type any more)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
