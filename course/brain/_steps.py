"""The shop brain's steps, and how each becomes a `Reply` that fits the schemas actually offered.

The brain decides in canonical terms (`Call("get_order", {"order_id": 1042})`); this module
adapts that to the request: arguments the offered schema has no property for are dropped,
required ones it does not know are filled (an alias such as `order` for `order_id`, an enum's
first value, an empty list), and finishing uses `done`/`done_for_now` when offered, else text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from course.llm.reply import Reply, ToolCall
from course.llm.request import ChatRequest

from . import _facts as facts
from ._facts import Conversation

__all__ = ["Call", "Finish", "Say", "Step", "classify", "fill", "to_reply"]

FINISH_TOOLS = ("done", "done_for_now")


@dataclass(frozen=True)
class Call:
    """Call a tool."""

    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Say:
    """Answer in plain text (no tools, or waiting for a human)."""

    text: str


@dataclass(frozen=True)
class Finish:
    """The ticket is handled: call the finish tool if offered, else say the summary."""

    summary: str


Step = Call | Say | Finish


def to_reply(step: Step, request: ChatRequest) -> Reply:
    if isinstance(step, Say):
        return Reply.text(step.text)
    if isinstance(step, Call):
        return Reply(tool_calls=[ToolCall(name=step.name, arguments=fill(request.tool_schema(step.name), step.args))])
    finish = next((name for name in FINISH_TOOLS if name in request.tool_names), None)
    if finish is None:
        return Reply.text(step.summary)
    known = {"summary": step.summary, "message": step.summary}
    return Reply(tool_calls=[ToolCall(name=finish, arguments=fill(request.tool_schema(finish), known))])


def fill(schema: dict[str, Any] | None, known: dict[str, Any]) -> dict[str, Any]:
    """Arguments for an offered schema: the known values it has a property for, and every required one."""
    properties = (schema or {}).get("properties")
    if properties is None:
        return dict(known)
    args = {key: _fit(properties[key], value) for key, value in known.items() if key in properties}
    for key in (schema or {}).get("required", []):
        if key not in args:
            alias = next((k for k in known if key in k or k in key), None)
            args[key] = known[alias] if alias else _placeholder(properties.get(key, {}), known)
    return args


_SYNONYMS = {
    "damaged": ("broken", "broke", "crack", "pieces", "bent", "dent", "shatter", "damag", "scratch", "dead pixel"),
    "not_received": ("never came", "never arrived", "missing", "not received", "lost", "didn't arrive", "never got"),
    "wrong_item": ("wrong item", "wrong size", "wrong colour", "wrong color", "not what i ordered"),
}


def _fit(spec: dict[str, Any], value: Any) -> Any:
    """A value the property accepts: for an enum, the choice the value means (as a model would pick)."""
    choices = spec.get("enum")
    if not choices or value in choices:
        return value
    text = str(value).lower()
    for choice in choices:
        words = (str(choice).lower().replace("_", " "), *_SYNONYMS.get(str(choice), ()))
        if any(word in text for word in words):
            return choice
    return "other" if "other" in choices else choices[0]


def _placeholder(spec: dict[str, Any], known: dict[str, Any]) -> Any:
    if spec.get("enum"):
        return spec["enum"][0]
    kind = spec.get("type")
    text = next((value for value in known.values() if isinstance(value, str)), "")
    defaults: dict[str, Any] = {"string": text, "integer": 0, "number": 0.0, "boolean": False, "array": [], "object": {}}
    return defaults.get(kind if isinstance(kind, str) else "string", text)


def classify(schema: dict[str, Any], c: Conversation) -> dict[str, Any]:
    """A triage answer (lesson 10): the ticket's category, in whatever shape the schema asks for."""
    kind = facts.category(c.ticket)
    stems = {"refund": ("refund",), "shipping": ("ship", "track", "deliver"), "account": ("account", "address")}[kind]
    refs = facts.order_refs(c.ticket)
    known: dict[str, Any] = {"category": kind, "reason": f"The customer's message is about {kind}.",
                             "order_id": refs[-1] if refs else 0}
    args = fill(schema, known)
    for key, spec in (schema.get("properties") or {}).items():
        choices = [str(value) for value in spec.get("enum") or []]
        match = next((v for v in choices if any(v.lower().startswith(s) or s in v.lower() for s in stems)), None)
        if match is not None:
            args[key] = match
    return args
