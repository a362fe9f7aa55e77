"""Check a JSON value against the JSON Schema subset that OpenAI's structured outputs accept.

The fake promises what a real endpoint promises under strict mode: content and tool arguments
that validate. This module is how it knows (and how a scripted reply that breaks the promise is
caught): types (with nullable type lists), `required`, `additionalProperties: false`, `enum`,
`const`, nested objects, arrays, `anyOf`/`oneOf`/`allOf` and local `$ref`s into `$defs`.
Standard library only, so the fake needs no `jsonschema` install.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Schema", "memo", "resolve", "schema_problems", "schema_types"]

Schema = dict[str, Any]
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


_MEMO: dict[str, Any] = {}


def memo(key: object, compute: Any) -> Any:
    """`compute()` remembered by the `repr` of `key`: agents send the same schemas on every call,
    and checking them each time is a measurable part of the fake's cost (see benchmarks/)."""
    text = repr(key)
    if text not in _MEMO:
        if len(_MEMO) > 1024:
            _MEMO.clear()
        _MEMO[text] = compute()
    return _MEMO[text]


def resolve(schema: Schema, root: Schema) -> Schema:
    """`schema` with a local `$ref` (`#/$defs/Name`, `#/definitions/Name`, `#`) followed, repeatedly."""
    seen: set[str] = set()
    while isinstance(schema.get("$ref"), str) and schema["$ref"] not in seen:
        ref = schema["$ref"]
        seen.add(ref)
        target: Any = root
        for part in ref.lstrip("#").strip("/").split("/") if ref != "#" else []:
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(target, dict) else {}
        extra = {key: value for key, value in schema.items() if key != "$ref"}
        schema = {**target, **extra} if isinstance(target, dict) else extra
    return schema


def schema_types(schema: Schema) -> list[str]:
    """The JSON types a schema names (`"type": ["string", "null"]` gives both), or [] for any."""
    kind = schema.get("type")
    if isinstance(kind, str):
        return [kind]
    return [k for k in kind if isinstance(k, str)] if isinstance(kind, list) else []


def _is(value: object, kind: str) -> bool:
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False
    if kind == "integer" and isinstance(value, float):
        return value.is_integer()
    return isinstance(value, _TYPES.get(kind, (object,)))


def schema_problems(value: object, schema: Schema, root: Schema | None = None, path: str = "$") -> list[str]:
    """Every way `value` breaks `schema`, as `path: reason` lines; [] when it validates."""
    root = schema if root is None else root
    schema = resolve(schema, root)
    for keyword in ("anyOf", "oneOf"):
        options = schema.get(keyword)
        if isinstance(options, list) and options and not any(
                not schema_problems(value, option, root, path) for option in options):
            return [f"{path}: matches none of the {keyword} options"]
    problems: list[str] = []
    for part in schema.get("allOf") or []:
        problems += schema_problems(value, part, root, path)
    kinds = schema_types(schema)
    if kinds and not any(_is(value, kind) for kind in kinds):
        return [*problems, f"{path}: expected {' or '.join(kinds)}, got {type(value).__name__} {value!r:.40}"]
    if "const" in schema and value != schema["const"]:
        problems.append(f"{path}: expected the constant {schema['const']!r}")
    if isinstance(schema.get("enum"), list) and value not in schema["enum"]:
        problems.append(f"{path}: {value!r:.40} is not one of {schema['enum']}")
    if isinstance(value, dict):
        problems += _object_problems(value, schema, root, path)
    if isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for index, item in enumerate(value):
                problems += schema_problems(item, items, root, f"{path}[{index}]")
        if isinstance(schema.get("minItems"), int) and len(value) < schema["minItems"]:
            problems.append(f"{path}: fewer than {schema['minItems']} items")
    if isinstance(value, str) and isinstance(schema.get("minLength"), int) and len(value) < schema["minLength"]:
        problems.append(f"{path}: shorter than {schema['minLength']} characters")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(schema.get("minimum"), (int, float)) and value < schema["minimum"]:
            problems.append(f"{path}: below the minimum {schema['minimum']}")
        if isinstance(schema.get("maximum"), (int, float)) and value > schema["maximum"]:
            problems.append(f"{path}: above the maximum {schema['maximum']}")
    return problems


def _object_problems(value: dict[str, Any], schema: Schema, root: Schema, path: str) -> list[str]:
    properties: dict[str, Any] = schema.get("properties") or {}
    problems = [f"{path}: missing required property '{key}'" for key in schema.get("required") or [] if key not in value]
    for key, item in value.items():
        if key in properties:
            problems += schema_problems(item, properties[key], root, f"{path}.{key}")
        elif schema.get("additionalProperties") is False:
            problems.append(f"{path}: unexpected property '{key}'")
        elif isinstance(schema.get("additionalProperties"), dict):
            problems += schema_problems(item, schema["additionalProperties"], root, f"{path}.{key}")
    return problems
