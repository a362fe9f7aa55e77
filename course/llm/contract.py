"""The promises a real endpoint keeps, kept by the fake for every source of replies.

A real model honours `tool_choice` ("none" never calls a tool, "required" always calls one, a
named function calls exactly that one) and, under a JSON-schema `response_format` or for tool
arguments, answers with JSON that validates. Code that is right against a real model must not
fail against the fake, so:

- `script_problem(reply, request)`: a scripted reply that breaks a promise is the test author's
  mistake, reported naming both the reply and the request's setting (the fake fails loudly);
- `conform(reply, request)`: a policy's reply is brought into line (a due call is made, a call
  that is not allowed is turned into words, arguments and content are made to validate);
- `schema_policy(request)`: what a model does with tools it knows only by their schemas (a
  learner's own, a framework's output tool): call the ones the user asks about, in parallel when
  the user asks about two things, and answer in words once their results are in.

Faults are exempt on purpose: they are the model breaking its promises.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .reply import Reply, ToolCall
from .request import ChatRequest, message_text
from .schema import memo, schema_problems
from .values import Hints, value_for

__all__ = ["conform", "due_calls", "schema_policy", "script_problem"]

_OUTPUT_TOOLS = re.compile(r"^(final_result|final_answer|final_output|done|done_for_now|finish|respond|answer|output)")
_STOP = {"get", "set", "the", "a", "an", "of", "to", "for", "and", "or", "is", "tool", "function", "call", "result", "info"}


def _forced(request: ChatRequest) -> str | None:
    choice = request.tool_choice
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        return name if isinstance(name, str) else None
    return None


def _choice_label(request: ChatRequest) -> str:
    forced = _forced(request)
    return f"names the function '{forced}'" if forced else f"is '{request.tool_choice}'"


def _what(reply: Reply) -> str:
    if reply.tool_calls:
        return "calls " + ", ".join(call.name for call in reply.tool_calls)
    return "answers in text (no tool call)"


def script_problem(reply: Reply, request: ChatRequest) -> str | None:
    """Why a scripted reply contradicts the request's `tool_choice` or `response_format`, or None."""
    choice, forced, names = request.tool_choice, _forced(request), [call.name for call in reply.tool_calls]
    if (choice == "none" and names) or (choice == "required" and not names) or (forced and names != [forced]):
        return f"the scripted reply {_what(reply)}, but the request's tool_choice {_choice_label(request)}."
    spec = request.response_format or {}
    if names or reply.refusal or reply.content is None or reply.finish_reason in ("length", "content_filter"):
        return None
    if spec.get("type") not in ("json_schema", "json_object"):
        return None
    label = f"{spec['type']} '{(spec.get('json_schema') or {}).get('name', 'response')}'" if spec["type"] == "json_schema" else "json_object"
    try:
        value = json.loads(reply.content)
    except ValueError:
        return f"the scripted reply's content is not JSON ({reply.content[:60]!r}), but the request's response_format is {label}."
    if spec["type"] == "json_object" and not isinstance(value, dict):
        return f"the scripted reply's content is not a JSON object, but the request's response_format is {label}."
    json_schema = spec.get("json_schema") or {}
    problems = schema_problems(value, json_schema.get("schema") or {}) if json_schema.get("strict") else []
    if problems:
        return f"the scripted reply's content does not validate against the request's response_format {label}: {'; '.join(problems[:3])}."
    return None


def conform(reply: Reply, request: ChatRequest) -> Reply:
    """`reply` changed as little as possible so that it keeps every promise the request asks for."""
    calls, content, forced = list(reply.tool_calls), reply.content, _forced(request)
    if request.tool_choice == "none" and calls:
        content = content or "I would " + " and ".join(_describe(call) for call in calls) + "."
        calls = []
    elif forced:
        calls = [call for call in calls if call.name == forced][:1] or due_calls(request, content, forced=forced)
    elif request.tool_choice == "required":
        calls = [call for call in calls if call.name in request.tool_names] or due_calls(request, content)
    calls = [_valid_call(call, request, content) for call in calls]
    if not calls:
        content = _valid_content(content, reply, request)
    if calls == reply.tool_calls and content == reply.content:
        return reply
    finish = reply.finish_reason if reply.finish_reason in ("length", "content_filter") else None
    return reply.model_copy(update={"tool_calls": calls, "content": content if not calls or content else None, "finish_reason": finish})


def _describe(call: ToolCall) -> str:
    return f"call {call.name} with {call.arguments_json()}"


def _valid_call(call: ToolCall, request: ChatRequest, text: str | None) -> ToolCall:
    schema = request.tool_schema(call.name)
    if schema is None or isinstance(call.arguments, str):
        return call
    arguments, parameters = call.arguments, schema or {}
    if not memo(("valid", parameters, arguments), lambda: schema_problems(arguments, parameters)):
        return call  # the common case, kept cheap: hints are read only for a repair
    hints = Hints.of(request)
    arguments = value_for(parameters, hints.narrowed(text=text) if text else hints, call.arguments)
    return call.model_copy(update={"arguments": arguments})


def _valid_content(content: str | None, reply: Reply, request: ChatRequest) -> str | None:
    spec = request.response_format or {}
    if spec.get("type") not in ("json_schema", "json_object") or reply.refusal or reply.finish_reason in ("length", "content_filter"):
        return content
    schema = (spec.get("json_schema") or {}).get("schema") if spec["type"] == "json_schema" else _prompt_schema(request)
    try:
        value: Any = json.loads(content or "")
    except ValueError:
        value = None
    if isinstance(value, dict) and (schema is None or not schema_problems(value, schema)):
        return content
    hints = Hints.of(request)
    prose = hints.narrowed(text=" ".join(content.split())) if content and value is None else hints
    if schema is None:
        return json.dumps({"answer": prose.text})
    return json.dumps(value_for(schema, prose, value))


def _prompt_schema(request: ChatRequest) -> dict[str, Any] | None:
    """Under JSON mode the schema is in the instructions (instructor's JSON mode): a model follows it."""
    decoder = json.JSONDecoder()
    for message in request.messages:
        if message.get("role") not in ("system", "developer"):
            continue
        text = message_text(message)
        for start in [i for i, char in enumerate(text) if char == "{"][:50]:
            try:
                value, _ = decoder.raw_decode(text, start)
            except ValueError:
                continue
            if isinstance(value, dict) and isinstance(value.get("properties"), dict):
                return value
    return None


def due_calls(request: ChatRequest, text: str | None = None, *, forced: str | None = None) -> list[ToolCall]:
    """The calls a model makes when one is due: the named tool, else those the user asks about.

    Several calls when the user asks about two things (two tools, or two orders or places for one
    tool) and `parallel_tool_calls` is not false; a framework's output tool when nothing matches.
    """
    hints = Hints.of(request)
    if text:
        hints = hints.narrowed(text=" ".join(text.split()))
    if forced:
        return [_call(request, forced, hints)]
    output = next((name for name in request.tool_names if _OUTPUT_TOOLS.match(name)), None)
    if output and _results(request):  # the tools have answered: time for the final answer
        return [_call(request, output, hints)]
    ranked = _ranked(request)
    parallel = getattr(request, "parallel_tool_calls", None) is not False
    if ranked and parallel and len(ranked) >= 2:
        return [_call(request, name, hints) for name in ranked]
    if ranked:
        name = ranked[0]
        asked = Hints.of(request, last_user_only=True)
        for field, many in (("orders", asked.orders), ("places", asked.places), ("emails", asked.emails)):
            if parallel and len(many) >= 2 and _uses(request, name, field):
                return [_call(request, name, hints.narrowed(**{field: (one,)})) for one in many]
        return [_call(request, name, hints)]
    return [_call(request, output or request.tool_names[0], hints)] if request.tool_names else []


def _call(request: ChatRequest, name: str, hints: Hints) -> ToolCall:
    return ToolCall(name=name, arguments=value_for(request.tool_schema(name) or {"type": "object", "properties": {}}, hints))


def _uses(request: ChatRequest, name: str, field: str) -> bool:
    keys = " ".join((request.tool_schema(name) or {}).get("properties", {}))
    return {"orders": "order" in keys or "id" in keys, "emails": "email" in keys}.get(field, bool(keys))


def _words(text: str) -> set[str]:
    return {w.rstrip("s") for w in re.findall(r"[a-z]+", text.lower().replace("_", " ")) if w not in _STOP and len(w) > 2}


def _ranked(request: ChatRequest) -> list[str]:
    """Offered tools (output tools aside) whose name or description the user's last message mentions."""
    asked = _words(request.last_user_text or "")
    scored: list[tuple[int, int, str]] = []
    for index, tool in enumerate(request.tools or []):
        function = tool.get("function") or {}
        name = str(function.get("name", ""))
        if _OUTPUT_TOOLS.match(name):
            continue
        score = 3 * len(_words(name) & asked) + len(_words(str(function.get("description", ""))) & asked)
        if score:
            scored.append((-score, index, name))
    return [name for _, _, name in sorted(scored)]


def _results(request: ChatRequest) -> list[str]:
    """The tool results that came in since the user last spoke."""
    last_user = max((i for i, m in enumerate(request.messages) if m.get("role") == "user"), default=-1)
    return [message_text(m) for m in request.messages[last_user + 1 :] if m.get("role") == "tool"]


def schema_policy(request: ChatRequest) -> Reply:
    """A policy for tools known only by their schemas: call what is asked about, then answer."""
    results = _results(request)
    output = any(_OUTPUT_TOOLS.match(name) for name in request.tool_names)
    if results and output:
        return Reply(tool_calls=due_calls(request))
    if results or not request.tools or request.tool_choice == "none":
        answer = "Here is what I found: " + "; ".join(r.strip() for r in results) if results else "How can I help?"
        return Reply.text(answer[:600])
    ranked = _ranked(request)
    if ranked or output or len(request.tool_names) == 1:
        return Reply(tool_calls=due_calls(request))
    return Reply.text(f"I can help with that using {', '.join(request.tool_names)}. What would you like me to do?")
