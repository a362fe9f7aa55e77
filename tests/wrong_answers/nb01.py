'''Wrong-but-plausible answers to lesson 01, natural language to tool calls: solution-cell grade id -> replacement
cell sources.

Each one breaks a behaviour the exercise asks for: the hidden tests of that exercise take points for it, and its
visible check fails on it too, except those in HIDDEN_ONLY.
'''

WRONG_ANSWERS: dict[str, list[str]] = {
    "issue_refund_model": [
        # described and required, but the reason is free text: no enum for the model, anything validates
        '''
class IssueRefund(ToolInput):
    """Refund money on an order. Only after check_refund_policy said the refund is eligible."""

    order_id: int = Field(description="The order number, e.g. 1042.")
    amount: float = Field(gt=0, description="Amount in US dollars, e.g. 18.50.")
    reason: str = Field(description="Why the customer is refunded: damaged, not_received, wrong_item, unwanted or other.")
''',
        # the enum is right, but nothing stops a refund of $0 or of minus $500
        '''
class IssueRefund(ToolInput):
    """Refund money on an order. Only after check_refund_policy said the refund is eligible."""

    order_id: int = Field(description="The order number, e.g. 1042.")
    amount: float = Field(description="Amount in US dollars, e.g. 18.50.")
    reason: Literal["damaged", "not_received", "wrong_item", "unwanted", "other"] = Field(
        description="Why the customer is refunded.")
''',
        # lets the model choose the idempotency key: an extra, optional field the model should never see
        '''
class IssueRefund(ToolInput):
    """Refund money on an order. Only after check_refund_policy said the refund is eligible."""

    order_id: int = Field(description="The order number, e.g. 1042.")
    amount: float = Field(gt=0, description="Amount in US dollars, e.g. 18.50.")
    reason: Literal["damaged", "not_received", "wrong_item", "unwanted", "other"] = Field(
        description="Why the customer is refunded.")
    idempotency_key: str | None = Field(default=None, description="A key unique to this refund; retries reuse it.")
''',
        # a plain BaseModel: unknown fields are silently dropped instead of refused
        '''
class IssueRefund(BaseModel):
    """Refund money on an order. Only after check_refund_policy said the refund is eligible."""

    order_id: int = Field(description="The order number, e.g. 1042.")
    amount: float = Field(gt=0, description="Amount in US dollars, e.g. 18.50.")
    reason: Literal["damaged", "not_received", "wrong_item", "unwanted", "other"] = Field(
        description="Why the customer is refunded.")
''',
        # the enum is there, but not the exercise's five: not_received became "lost"
        '''
class IssueRefund(ToolInput):
    """Refund money on an order. Only after check_refund_policy said the refund is eligible."""

    order_id: int = Field(description="The order number, e.g. 1042.")
    amount: float = Field(gt=0, description="Amount in US dollars, e.g. 18.50.")
    reason: Literal["damaged", "lost", "wrong_item", "unwanted", "other"] = Field(
        description="Why the customer is refunded.")
''',
        # ge=0 instead of gt=0: a refund of $0.00 goes through
        '''
class IssueRefund(ToolInput):
    """Refund money on an order. Only after check_refund_policy said the refund is eligible."""

    order_id: int = Field(description="The order number, e.g. 1042.")
    amount: float = Field(ge=0, description="Amount in US dollars, e.g. 18.50.")
    reason: Literal["damaged", "not_received", "wrong_item", "unwanted", "other"] = Field(
        description="Why the customer is refunded.")
''',
        # the docstring dropped with the draft: the tool has no description for the model
        '''
class IssueRefund(ToolInput):
    order_id: int = Field(description="The order number, e.g. 1042.")
    amount: float = Field(gt=0, description="Amount in US dollars, e.g. 18.50.")
    reason: Literal["damaged", "not_received", "wrong_item", "unwanted", "other"] = Field(
        description="Why the customer is refunded.")
''',
    ],
    "tool_schema": [
        # hand-built parameters: the properties are there, but no `required` and no `additionalProperties`
        '''
def tool_schema(name: str, model: type[BaseModel]) -> dict:
    """The OpenAI tool definition of `model`."""
    properties = model.model_json_schema()["properties"]
    return {"type": "function", "function": {"name": name, "description": model.__doc__ or "",
                                              "parameters": {"type": "object", "properties": properties},
                                              "strict": True}}
''',
        # right shape, but the descriptions the model needs are dropped
        '''
def tool_schema(name: str, model: type[BaseModel]) -> dict:
    """The OpenAI tool definition of `model`."""
    parameters = model.model_json_schema()
    parameters.pop("description", None)
    for prop in parameters["properties"].values():
        prop.pop("description", None)
    return {"type": "function", "function": {"name": name, "description": name.replace("_", " "),
                                              "parameters": parameters, "strict": True}}
''',
        # hard-codes what the visible check looks at: every tool looks like get_order
        '''
def tool_schema(name: str, model: type[BaseModel]) -> dict:
    """The OpenAI tool definition of `model`."""
    return {"type": "function", "function": {"name": name, "description": "Look up an order.", "strict": True,
                                              "parameters": GetOrder.model_json_schema()}}
''',
        # additionalProperties removed as noise: a strict endpoint refuses the definition
        '''
def tool_schema(name: str, model: type[BaseModel]) -> dict:
    """The OpenAI tool definition of `model`."""
    parameters = model.model_json_schema()
    parameters.pop("additionalProperties", None)
    return {"type": "function", "function": {"name": name, "description": (model.__doc__ or "").strip(),
                                              "parameters": parameters, "strict": True}}
''',
        # no description at all: the model is offered a name and a schema
        '''
def tool_schema(name: str, model: type[BaseModel]) -> dict:
    """The OpenAI tool definition of `model`."""
    parameters = model.model_json_schema()
    parameters.pop("description", None)
    return {"type": "function", "function": {"name": name, "parameters": parameters, "strict": True}}
''',
    ],
    "parse_tool_call": [
        # refuses unknown names, but lets pydantic's ValidationError (bad JSON, bad types) escape
        '''
def parse_tool_call(name: str, arguments: str, tools: dict[str, type[ToolInput]] = TOOLS) -> ToolInput:
    """The model's tool call as a validated, typed object."""
    if name not in tools:
        raise ToolCallError(f"Unknown tool {name!r}. Available tools: {', '.join(tools)}.")
    return tools[name].model_validate_json(arguments)
''',
        # parses the JSON but builds the object without validating it
        '''
def parse_tool_call(name: str, arguments: str, tools: dict[str, type[ToolInput]] = TOOLS) -> ToolInput:
    """The model's tool call as a typed object."""
    if name not in tools:
        raise ToolCallError(f"Unknown tool {name!r}. Available tools: {', '.join(tools)}.")
    try:
        data = json.loads(arguments)
    except json.JSONDecodeError as error:
        raise ToolCallError(f"Invalid JSON for {name}: {error}") from None
    return tools[name].model_construct(**data)
''',
        # ignores the `tools` it is given and always reads the global TOOLS
        '''
def parse_tool_call(name: str, arguments: str, tools: dict[str, type[ToolInput]] = TOOLS) -> ToolInput:
    """The model's tool call as a validated, typed object."""
    if name not in TOOLS:
        raise ToolCallError(f"Unknown tool {name!r}. Available tools: {', '.join(TOOLS)}.")
    try:
        return TOOLS[name].model_validate_json(arguments)
    except ValidationError as error:
        raise ToolCallError(f"Invalid arguments for {name}: {error}") from None
''',
        # says "invalid" without saying what: the model cannot fix what it is not told
        '''
def parse_tool_call(name: str, arguments: str, tools: dict[str, type[ToolInput]] = TOOLS) -> ToolInput:
    """The model's tool call as a validated, typed object."""
    if name not in tools:
        raise ToolCallError("Unknown tool.")
    try:
        return tools[name].model_validate_json(arguments)
    except ValidationError:
        raise ToolCallError("Invalid arguments.") from None
''',
        # json.loads first, without catching JSONDecodeError: broken JSON crashes the agent
        '''
def parse_tool_call(name: str, arguments: str, tools: dict[str, type[ToolInput]] = TOOLS) -> ToolInput:
    """The model's tool call as a validated, typed object."""
    if name not in tools:
        raise ToolCallError(f"Unknown tool {name!r}. Available tools: {', '.join(tools)}.")
    data = json.loads(arguments)
    try:
        return tools[name].model_validate(data)
    except ValidationError as error:
        raise ToolCallError(f"Invalid arguments for {name}: {error}") from None
''',
        # names the tool but not the problem: the model is told its call is wrong, not what to fix
        '''
def parse_tool_call(name: str, arguments: str, tools: dict[str, type[ToolInput]] = TOOLS) -> ToolInput:
    """The model's tool call as a validated, typed object."""
    if name not in tools:
        raise ToolCallError(f"Unknown tool {name!r}. Available tools: {', '.join(tools)}.")
    try:
        return tools[name].model_validate_json(arguments)
    except ValidationError:
        raise ToolCallError(f"Invalid arguments for {name}.") from None
''',
    ],
    "run_tool": [
        # a fresh idempotency key on every call: a repeated refund call pays twice
        '''
def run_tool(call: ToolInput, ticket: Ticket) -> str:
    """Run a parsed tool call against the shop."""
    import uuid
    match call:
        case GetOrder(order_id=order_id):
            result = shop_tools.get_order(order_id)
        case CheckRefundPolicy(order_id=order_id, amount=amount):
            result = shop_tools.check_refund_policy(order_id, amount)
        case IssueRefund(order_id=order_id, amount=amount, reason=reason):
            result = shop_tools.issue_refund(order_id, amount, reason, idempotency_key=uuid.uuid4().hex)
        case TrackShipment(order_id=order_id):
            result = shop_tools.track_shipment(order_id)
        case UpdateAddress(address=address):
            result = shop_tools.update_address(ticket.customer_email, address)
        case SendMessage(body=body):
            result = shop_tools.send_message(ticket.customer_email, body)
        case _:
            raise ToolCallError(f"No tool runs {type(call).__name__}.")
    return result.model_dump_json()
''',
        # messages go to a fixed address and the address change to the first fixture customer
        '''
def run_tool(call: ToolInput, ticket: Ticket) -> str:
    """Run a parsed tool call against the shop."""
    match call:
        case GetOrder(order_id=order_id):
            result = shop_tools.get_order(order_id)
        case CheckRefundPolicy(order_id=order_id, amount=amount):
            result = shop_tools.check_refund_policy(order_id, amount)
        case IssueRefund(order_id=order_id, amount=amount, reason=reason):
            result = shop_tools.issue_refund(order_id, amount, reason, idempotency_key=f"ticket-{ticket.ticket_id}-order-{order_id}")
        case TrackShipment(order_id=order_id):
            result = shop_tools.track_shipment(order_id)
        case UpdateAddress(address=address):
            result = shop_tools.update_address("maya.chen@example.com", address)
        case SendMessage(body=body):
            result = shop_tools.send_message("maya.chen@example.com", body)
        case _:
            raise ToolCallError(f"No tool runs {type(call).__name__}.")
    return result.model_dump_json()
''',
        # answers with a summary of its own instead of the shop's result, and returns None for unknown calls
        '''
def run_tool(call: ToolInput, ticket: Ticket) -> str:
    """Run a parsed tool call against the shop."""
    if isinstance(call, GetOrder):
        return shop_tools.get_order(call.order_id).model_dump_json()
    if isinstance(call, CheckRefundPolicy):
        decision = shop_tools.check_refund_policy(call.order_id, call.amount)
        return json.dumps({"eligible": decision.eligible})
    if isinstance(call, IssueRefund):
        shop_tools.issue_refund(call.order_id, call.amount, call.reason, idempotency_key=f"ticket-{ticket.ticket_id}-order-{call.order_id}")
        return json.dumps({"status": "refunded"})
    if isinstance(call, TrackShipment):
        return shop_tools.track_shipment(call.order_id).model_dump_json()
    if isinstance(call, UpdateAddress):
        return shop_tools.update_address(ticket.customer_email, call.address).model_dump_json()
    if isinstance(call, SendMessage):
        return shop_tools.send_message(ticket.customer_email, call.body).model_dump_json()
''',
        # no idempotency key: a repeated refund call pays twice
        '''
def run_tool(call: ToolInput, ticket: Ticket) -> str:
    """Run a parsed tool call against the shop."""
    match call:
        case GetOrder(order_id=order_id):
            result = shop_tools.get_order(order_id)
        case CheckRefundPolicy(order_id=order_id, amount=amount):
            result = shop_tools.check_refund_policy(order_id, amount)
        case IssueRefund(order_id=order_id, amount=amount, reason=reason):
            result = shop_tools.issue_refund(order_id, amount, reason)
        case TrackShipment(order_id=order_id):
            result = shop_tools.track_shipment(order_id)
        case UpdateAddress(address=address):
            result = shop_tools.update_address(ticket.customer_email, address)
        case SendMessage(body=body):
            result = shop_tools.send_message(ticket.customer_email, body)
        case _:
            raise ToolCallError(f"No tool runs {type(call).__name__}.")
    return result.model_dump_json()
''',
        # one constant key: the first refund ever made blocks every other refund
        '''
def run_tool(call: ToolInput, ticket: Ticket) -> str:
    """Run a parsed tool call against the shop."""
    match call:
        case GetOrder(order_id=order_id):
            result = shop_tools.get_order(order_id)
        case CheckRefundPolicy(order_id=order_id, amount=amount):
            result = shop_tools.check_refund_policy(order_id, amount)
        case IssueRefund(order_id=order_id, amount=amount, reason=reason):
            result = shop_tools.issue_refund(order_id, amount, reason, idempotency_key="refund")
        case TrackShipment(order_id=order_id):
            result = shop_tools.track_shipment(order_id)
        case UpdateAddress(address=address):
            result = shop_tools.update_address(ticket.customer_email, address)
        case SendMessage(body=body):
            result = shop_tools.send_message(ticket.customer_email, body)
        case _:
            raise ToolCallError(f"No tool runs {type(call).__name__}.")
    return result.model_dump_json()
''',
    ],
}


# --- Mistakes learners made that once passed every check: each a small slip of the reference cell -----------

from special_cases._cells import slip

_KEY = 'key = f"ticket-{ticket.ticket_id}-order-{order_id}"'

WRONG_ANSWERS["issue_refund_model"].append(
    # the draft's docstring kept: the model loses "Only after check_refund_policy said the refund is eligible"
    slip(1, "issue_refund_model", '"""Refund money on an order. Only after check_refund_policy said the refund is eligible."""',
          '"""Refund an order."""'))
WRONG_ANSWERS["tool_schema"].append(
    # the docstring as Python keeps it, blank lines and indentation included
    slip(1, "tool_schema", '"description": (model.__doc__ or "").strip(),', '"description": model.__doc__ or "",'))
WRONG_ANSWERS["parse_tool_call"] += [
    # falls back on the notebook's own names: `model_name` is found, and is no tool
    slip(1, "parse_tool_call", "model = tools.get(name)", "model = tools.get(name) or globals().get(name)"),
    # validates an already-parsed object: JSON that is no object ([1042]) raises TypeError, not ToolCallError
    slip(1, "parse_tool_call", "    try:\n        return model.model_validate_json(arguments)\n",
          "    try:\n        data = json.loads(arguments)\n    except json.JSONDecodeError as error:\n"
          "        raise ToolCallError(f\"Invalid JSON for {name}: {error.msg}.\") from None\n"
          "    try:\n        return model(**data)\n"),
    # reports the first problem only, where the model needs each one to fix its call in one go
    slip(1, "parse_tool_call",
          "problems = \"; \".join(f\"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}\" for e in error.errors())",
          "first = error.errors()[0]\n        problems = f\"{'.'.join(map(str, first['loc'])) or 'arguments'}: {first['msg']}\""),
    # indexes loc: an error about the JSON itself has an empty loc, and the IndexError escapes
    slip(1, "parse_tool_call", "{'.'.join(map(str, e['loc'])) or 'arguments'}", "{e['loc'][0]}"),
]
WRONG_ANSWERS["run_tool"] += [
    # the key from the ticket alone: a second order's refund on the same ticket is refused
    slip(1, "run_tool", _KEY, 'key = f"ticket-{ticket.ticket_id}"'),
    # the key from the order alone: the same order on a new ticket is refused
    slip(1, "run_tool", _KEY, 'key = f"order-{order_id}"'),
    # the key from the email and the order: the customer's next ticket about that order is refused
    slip(1, "run_tool", _KEY, 'key = f"{ticket.customer_email}-{order_id}"'),
    # catches the shop's errors and returns them as a result: the model reads a failed call as done
    slip(1, "run_tool", "    return result.model_dump_json()",
          "    return result.model_dump_json()\n\n\n_run_tool = run_tool\n\n\n"
          "def run_tool(call: ToolInput, ticket: Ticket) -> str:\n    try:\n        return _run_tool(call, ticket)\n"
          "    except ShopError as error:\n        return json.dumps({\"error\": str(error)})"),
]
