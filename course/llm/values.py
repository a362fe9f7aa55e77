"""Schema-valid values drawn from the conversation: what a model would fill a schema with.

Real endpoints guarantee structured output that validates; a learner's own tools and a
framework's output schema (pydantic-ai's `final_result`, instructor's response model) are
schemas the shop brain has never seen. `value_for(schema, hints)` builds a value that validates
against any such schema (see `schema.py` for the subset), taking order numbers, amounts, emails,
names and places that the messages mention (`Hints.of(request)`) where a property's name asks
for one, a policy's own answer (`prefer`) where it already fits, and a plain valid value otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from .request import ChatRequest, message_text
from .schema import Schema, resolve, schema_problems, schema_types

__all__ = ["Hints", "value_for"]

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_AMOUNT = re.compile(r"\$\s?(\d+(?:,\d{3})*(?:\.\d{1,2})?)|(\d+\.\d{2})\s*(?:usd|dollars|eur)", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\d$.,:\-])#?(\d{3,6})(?![\d]|[.,]\d)")
_NAME = re.compile(r"\b(?i:my name is|i am|i'm|this is|name:)\s+([A-Z][a-z]+(?: [A-Z][a-z]+)?)")
_PLACE = re.compile(r"\b(?:in|to|from|at|for|of)\s+([A-Z][a-z]+(?: [A-Z][a-z]+)?)")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_TEXT_KEYS = ("reason", "summary", "description", "message", "body", "text", "answer", "question", "query",
              "content", "explanation", "response", "note", "comment", "detail", "title", "subject", "topic")


@dataclass(frozen=True)
class Hints:
    """What the conversation mentions, in order: the values a model would copy into arguments."""

    orders: tuple[int, ...] = ()
    amounts: tuple[float, ...] = ()
    emails: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    text: str = ""
    words: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, request: ChatRequest, *, last_user_only: bool = False) -> Hints:
        messages = [m for m in request.messages if m.get("role") not in ("system", "developer")]
        if last_user_only:
            messages = [m for m in messages if m.get("role") == "user"][-1:]
        return cls.of_text("\n".join(message_text(m) for m in messages), request.last_user_text or "")

    @classmethod
    def of_text(cls, text: str, prose: str = "") -> Hints:
        """Hints from plain text; `prose` is what free-text fields (reason, summary ...) get."""
        names = [*_NAME.findall(text)]
        names += [" ".join(p.capitalize() for p in re.split(r"[._]", e.split("@")[0]) if p) for e in _EMAIL.findall(text)]
        amounts = [float((a or b).replace(",", "")) for a, b in _AMOUNT.findall(text)]
        without_money = _AMOUNT.sub(" ", _EMAIL.sub(" ", text))
        return cls(
            orders=_unique(int(n) for n in _NUMBER.findall(without_money)),
            amounts=_unique(amounts),
            emails=_unique(_EMAIL.findall(text)),
            names=_unique(names),
            places=_unique(p for p in _PLACE.findall(text) if p.split()[0] not in _NOT_PLACES),
            dates=_unique(_DATE.findall(text)),
            text=" ".join((prose or text).split())[:400],
            words=frozenset(re.findall(r"[a-z]+", text.lower())),
        )

    def narrowed(self, **values: Any) -> Hints:
        """These hints with some lists replaced: one parallel call per order or place."""
        return replace(self, **values)


_NOT_PLACES = {"Order", "Hi", "Hello", "Thanks", "The", "My", "Your", "I", "It", "This"}


def _unique(values: Any) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(values))


_DEEP = 6  # past this depth a recursive schema (a tree of models) gets its empty or null branch


def value_for(
    schema: Schema, hints: Hints, prefer: object = None, *, key: str = "", root: Schema | None = None, depth: int = 0
) -> Any:
    """A value valid against `schema`: `prefer` if it fits, else one drawn from `hints`, else a default."""
    root = schema if root is None else root
    deeper = depth + 1
    schema = resolve(schema, root)
    if prefer is not None and _blank(prefer, schema, key, hints):
        prefer = None
    if prefer is not None and not schema_problems(prefer, schema, root):
        return prefer
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return _choose(schema["enum"], prefer, hints)
    options = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(options, list) and options:
        null = [o for o in options if "null" in schema_types(resolve(o, root))]
        real = [o for o in options if o not in null]
        pick = (null if depth > _DEEP and null else real or options)[0]
        return value_for(pick, hints, prefer, key=key, root=root, depth=deeper)
    if schema.get("allOf"):
        merged: Schema = {}
        for part in schema["allOf"]:
            merged.update(resolve(part, root))
        return value_for(merged, hints, prefer, key=key, root=root, depth=deeper)
    kinds = [k for k in schema_types(schema) if k != "null"] or schema_types(schema) or ["object" if "properties" in schema else "string"]
    if depth > _DEEP and "null" in schema_types(schema):
        return None
    kind = next((k for k in kinds if _hinted(k, key, hints) is not None), kinds[0])
    if kind == "object":
        return _object(schema, hints, prefer if isinstance(prefer, dict) else {}, root, deeper)
    if kind == "array":
        return _array(schema, hints, prefer, key, root, deeper)
    return _scalar(kind, schema, hints, _coerce(prefer, kind), key)


def _blank(value: object, schema: Schema, key: str, hints: Hints) -> bool:
    """A placeholder (0, "") where the conversation has the real value: a model would copy it."""
    if isinstance(value, (dict, list)) or value not in (0, "", None) or isinstance(value, bool):
        return False
    return any(_hinted(kind, key, hints) is not None for kind in schema_types(schema) or ["string"])


def _object(schema: Schema, hints: Hints, prefer: dict[str, Any], root: Schema, depth: int) -> dict[str, Any]:
    properties: dict[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    wanted = [k for k in properties if k in required or k in prefer or _hinted_any(k, properties[k], hints, root)]
    value = {k: value_for(properties[k], hints, prefer.get(k), key=k, root=root, depth=depth) for k in wanted}
    extra = schema.get("additionalProperties")
    if not properties and extra not in (False, None, True) and isinstance(extra, dict) and prefer:
        value = {k: value_for(extra, hints, v, key=k, root=root, depth=depth) for k, v in prefer.items()}
    return value


def _hinted_any(key: str, spec: Schema, hints: Hints, root: Schema) -> bool:
    return any(_hinted(kind, key, hints) is not None for kind in schema_types(resolve(spec, root)))


def _array(schema: Schema, hints: Hints, prefer: object, key: str, root: Schema, depth: int) -> list[Any]:
    found_items, found_min, found_max = schema.get("items"), schema.get("minItems"), schema.get("maxItems")
    items: Schema = found_items if isinstance(found_items, dict) else {}
    minimum: int = found_min if isinstance(found_min, int) else 0
    maximum: int | None = found_max if isinstance(found_max, int) else None
    kinds = schema_types(resolve(items, root))
    if isinstance(prefer, list) and prefer:
        values = [value_for(items, hints, item, key=key, root=root, depth=depth) for item in prefer]
    elif "integer" in kinds and hints.orders and "order" in key:
        values = list(hints.orders)
    elif "string" in kinds and "email" in key and hints.emails:
        values = list(hints.emails)
    else:
        count = minimum if depth > _DEEP else max(minimum, 1)
        values = [value_for(items, hints, None, key=key.rstrip("s"), root=root, depth=depth) for _ in range(count)]
    while len(values) < minimum:
        values.append(value_for(items, hints, None, key=key, root=root, depth=depth))
    return values[:maximum] if maximum is not None else values


def _hinted(kind: str, key: str, hints: Hints) -> Any:
    """The conversation's value for a property called `key` of JSON type `kind`, or None."""
    k = key.lower()
    if kind in ("integer", "string") and hints.orders and ("order" in k or k in ("id", "number", "order_no")):
        return hints.orders[0] if kind == "integer" else str(hints.orders[0])
    if kind in ("number", "integer") and hints.amounts and any(w in k for w in ("amount", "price", "total", "cost", "refund", "sum")):
        return hints.amounts[0] if kind == "number" else round(hints.amounts[0])
    if kind != "string":
        return None
    if "email" in k:
        return hints.emails[0] if hints.emails else None
    if "name" in k and hints.names:
        parts = hints.names[0].split()
        return parts[0] if "first" in k else parts[-1] if "last" in k or "sur" in k else hints.names[0]
    if any(w in k for w in ("city", "location", "place", "country", "destination", "where")) and hints.places:
        return hints.places[0]
    if "date" in k and hints.dates:
        return hints.dates[0]
    if any(w in k for w in _TEXT_KEYS) and hints.text:
        return hints.text
    return None


def _scalar(kind: str, schema: Schema, hints: Hints, prefer: object, key: str) -> Any:
    if prefer is not None and not schema_problems(prefer, schema):
        return prefer
    hinted = _hinted(kind, key, hints)
    if kind == "string":
        return _string(schema, hinted, hints, key)
    if kind in ("integer", "number"):
        low, high = schema.get("minimum"), schema.get("maximum")
        value = hinted if hinted is not None else (1 if any(w in key for w in ("quantity", "count", "limit")) else 0)
        value = max(value, low) if isinstance(low, (int, float)) else value
        value = min(value, high) if isinstance(high, (int, float)) else value
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return False
    return None


def _string(schema: Schema, hinted: Any, hints: Hints, key: str) -> str:
    formats = {"email": "customer@example.com", "date": "2026-01-01", "date-time": "2026-01-01T00:00:00Z",
               "uuid": "00000000-0000-4000-8000-000000000000", "uri": "https://example.com/"}
    fmt = schema.get("format")
    if isinstance(hinted, str):
        text = hinted
    elif isinstance(fmt, str) and fmt in formats:
        text = (hints.emails[0] if fmt == "email" and hints.emails else formats[fmt])
    else:
        text = hints.places[0] if hints.places and not key else (key.replace("_", " ") or "ok")
    minimum, maximum = schema.get("minLength"), schema.get("maxLength")
    if isinstance(minimum, int) and len(text) < minimum:
        text = text + "." * (minimum - len(text))
    return text[:maximum] if isinstance(maximum, int) else text


def _choose(choices: list[Any], prefer: object, hints: Hints) -> Any:
    """The enum value the conversation means (its words appear), else the preferred one, else the first."""
    if prefer in choices:
        return prefer
    for choice in choices:
        words = set(re.findall(r"[a-z]+", str(choice).lower()))
        if words and words <= hints.words:
            return choice
    return choices[0]


def _coerce(value: object, kind: str) -> object:
    """A policy's value in the type the schema asks for (1042 for "1042", "1042" for 1042)."""
    if kind == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if kind == "integer" and isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if kind == "number" and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return value
