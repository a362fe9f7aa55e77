"""Reject what real endpoints reject, with their 400 wording, so nothing passes here and fails live.

Checked: required parameters, message roles, tool messages that answer every `tool_call_id` and
nothing else, `tool_choice` naming an offered tool, strict JSON schemas (tools and
`response_format`), and the context window.
"""

from __future__ import annotations

from typing import Any

from .reply import ErrorReply
from .request import ChatRequest
from .schema import memo

__all__ = ["strict_schema_problem", "validate_body", "validate_request"]

_ROLES = {"system", "developer", "user", "assistant", "tool", "function"}


def _invalid(message: str, param: str | None = None, code: str | None = None) -> ErrorReply:
    return ErrorReply(status=400, type="invalid_request_error", message=message, param=param, code=code)


def validate_body(body: object) -> ChatRequest | ErrorReply:
    """Parse a decoded JSON body into a request, or the error a real server gives."""
    if not isinstance(body, dict):
        return _invalid("We could not parse the JSON body of your request. The body must be a JSON object.")
    for name in ("model", "messages"):
        if name not in body:
            return _invalid(f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter")
    if not isinstance(body["messages"], list) or not body["messages"]:
        return _invalid("Invalid 'messages': empty array. Expected an array with minimum length 1.", param="messages", code="empty_array")
    if body.get("tools") is not None and not isinstance(body["tools"], list):
        return _invalid("Invalid type for 'tools': expected an array.", param="tools", code="invalid_type")
    try:
        return ChatRequest.model_validate(body)
    except ValueError as error:
        return _invalid(f"Invalid request body: {error}".splitlines()[0], code="invalid_value")


def validate_request(request: ChatRequest, context_window: int, prompt_tokens: int | None = None) -> ErrorReply | None:
    """The first reason a real endpoint would reject this request, or None.

    `prompt_tokens`, when the caller has counted them already, saves counting twice.
    """
    return (
        _check_messages(request.messages)
        or _check_tools(request)
        or _check_response_format(request)
        or _check_context(request, context_window, prompt_tokens)
    )


def _check_messages(messages: list[dict[str, Any]]) -> ErrorReply | None:
    pending: list[str] = []  # tool_call_ids still owed a tool message
    pending_at = 0
    for index, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in _ROLES:
            return _invalid(
                f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', 'tool', and 'developer'.",
                param=f"messages[{index}].role",
                code="invalid_value",
            )
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in pending:
                return _invalid(
                    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
                    param=f"messages.[{index}].role",
                )
            pending.remove(call_id)
            continue
        if pending:
            return _owed(pending, pending_at)
        if role == "assistant" and message.get("tool_calls"):
            pending = [call.get("id") for call in message["tool_calls"]]
            pending_at = index
    return _owed(pending, pending_at) if pending else None


def _owed(pending: list[str], index: int) -> ErrorReply:
    return _invalid(
        "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
        f"'tool_call_id'. The following tool_call_ids did not have response messages: {', '.join(map(str, pending))}",
        param=f"messages.[{index}].role",
    )


def _check_tools(request: ChatRequest) -> ErrorReply | None:
    for index, tool in enumerate(request.tools or []):
        function = tool.get("function") if isinstance(tool, dict) else None
        if tool.get("type") != "function" or not isinstance(function, dict) or not function.get("name"):
            return _invalid(
                f"Missing required parameter: 'tools[{index}].function'.",
                param=f"tools[{index}].function",
                code="missing_required_parameter",
            )
        if function.get("strict"):
            parameters = function.get("parameters") or {}
            problem = memo(("strict", parameters), lambda p=parameters: strict_schema_problem(p))
            if problem:
                return _invalid(
                    f"Invalid schema for function '{function['name']}': {problem}",
                    param=f"tools[{index}].function.parameters",
                    code="invalid_function_parameters",
                )
    choice = request.tool_choice
    if isinstance(choice, dict):
        name = choice.get("function", {}).get("name")
        if name not in request.tool_names:
            return _invalid(f"Invalid value for 'tool_choice': tool '{name}' is not in 'tools'.", param="tool_choice", code="invalid_value")
    elif choice == "required" and not request.tools:
        return _invalid("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", param="tool_choice")
    return None


def _check_response_format(request: ChatRequest) -> ErrorReply | None:
    spec = request.response_format or {}
    if spec.get("type") != "json_schema":
        return None
    json_schema = spec.get("json_schema") or {}
    if json_schema.get("strict"):
        problem = strict_schema_problem(json_schema.get("schema") or {})
        if problem:
            return _invalid(
                f"Invalid schema for response_format '{json_schema.get('name', 'response')}': {problem}",
                param="response_format",
                code="invalid_json_schema",
            )
    return None


def strict_schema_problem(schema: dict[str, Any], context: tuple[str, ...] = ()) -> str | None:
    """Why OpenAI's strict mode would reject `schema`, or None. Walks nested objects and $defs."""
    where = f"In context=({', '.join(repr(part) for part in context)}{',' if len(context) == 1 else ''})"
    if schema.get("type") == "object" or "properties" in schema:
        if schema.get("additionalProperties") is not False:
            return f"{where}, 'additionalProperties' is required to be supplied and to be false."
        properties = schema.get("properties") or {}
        missing = [key for key in properties if key not in (schema.get("required") or [])]
        if missing:
            return (
                f"{where}, 'required' is required to be supplied and to be an array including every key in "
                f"properties. Missing '{missing[0]}'."
            )
        for key, child in properties.items():
            problem = strict_schema_problem(child, (*context, "properties", key))
            if problem:
                return problem
    children: list[tuple[tuple[str, ...], dict[str, Any]]] = []
    for keyword in ("anyOf", "oneOf", "allOf"):
        children += [((*context, keyword, str(i)), child) for i, child in enumerate(schema.get(keyword) or [])]
    if isinstance(schema.get("items"), dict):
        children.append(((*context, "items"), schema["items"]))
    for keyword in ("$defs", "definitions"):
        children += [((*context, keyword, name), child) for name, child in (schema.get(keyword) or {}).items()]
    for path, child in children:
        if isinstance(child, dict):
            problem = strict_schema_problem(child, path)
            if problem:
                return problem
    return None


def _check_context(request: ChatRequest, context_window: int, used: int | None) -> ErrorReply | None:
    from .faults import context_length_exceeded

    used = request.prompt_tokens if used is None else used
    return context_length_exceeded(context_window, used) if used > context_window else None
