'''Wrong-but-plausible answers to lesson 04, tools are structured outputs: solution-cell grade id -> replacement cell sources.

Each one is a whole solution cell. Most pass the visible check of their exercise, yet each breaks a
behaviour that a hidden test of that exercise checks.
'''

WRONG_ANSWERS: dict[str, list[str]] = {
    "determine_next_step": [
        # ignores the intents it is given: always offers INTENT_SCHEMAS and parses with INTENTS
        """
def determine_next_step(thread: Thread, prompt: Prompt, log: list[ModelCall], budget: int = CONTEXT_BUDGET,
                        intents: dict[str, type[ToolInput]] = INTENTS) -> Intent:
    message = ask_model(prompt, build_context(thread, budget), INTENT_SCHEMAS, log)
    if not message.tool_calls:
        return Done(summary=message.content or "")
    call = message.tool_calls[0]
    return parse_tool_call(call.function.name, call.function.arguments, INTENTS)
""",
        # acts while deciding: runs the tool "to have the result ready", so the refund fires at decision time
        '''
def determine_next_step(thread: Thread, prompt: Prompt, log: list[ModelCall], budget: int = CONTEXT_BUDGET,
                        intents: dict[str, type[ToolInput]] = INTENTS) -> Intent:
    """Ask the model for the next step and return it as an intent."""
    message = ask_model(prompt, build_context(thread, budget), INTENT_SCHEMAS, log)
    if not message.tool_calls:
        return Done(summary=message.content or "")
    call = message.tool_calls[0]
    intent = parse_tool_call(call.function.name, call.function.arguments, INTENTS)
    if not isinstance(intent, Done):
        try:
            run_tool(intent, thread.ticket)
        except ShopError:
            pass
    return intent
''',
        # records the request in the thread while deciding: the thread changes under the caller's feet
        '''
def determine_next_step(thread: Thread, prompt: Prompt, log: list[ModelCall], budget: int = CONTEXT_BUDGET,
                        intents: dict[str, type[ToolInput]] = INTENTS) -> Intent:
    """Ask the model for the next step and return it as an intent."""
    message = ask_model(prompt, build_context(thread, budget), INTENT_SCHEMAS, log)
    if not message.tool_calls:
        return Done(summary=message.content or "")
    call = message.tool_calls[0]
    thread.events.append(ToolRequested(name=call.function.name, arguments=call.function.arguments))
    return parse_tool_call(call.function.name, call.function.arguments, INTENTS)
''',
        # parses against TOOLS (the default): a `done` call is "an unknown tool"
        '''
def determine_next_step(thread: Thread, prompt: Prompt, log: list[ModelCall], budget: int = CONTEXT_BUDGET,
                        intents: dict[str, type[ToolInput]] = INTENTS) -> Intent:
    """Ask the model for the next step and return it as an intent."""
    message = ask_model(prompt, build_context(thread, budget), INTENT_SCHEMAS, log)
    if not message.tool_calls:
        return Done(summary=message.content or "")
    call = message.tool_calls[0]
    return parse_tool_call(call.function.name, call.function.arguments)
''',
        # swallows a malformed call into Done: the agent quietly gives up instead of the loop deciding
        '''
def determine_next_step(thread: Thread, prompt: Prompt, log: list[ModelCall], budget: int = CONTEXT_BUDGET,
                        intents: dict[str, type[ToolInput]] = INTENTS) -> Intent:
    """Ask the model for the next step and return it as an intent."""
    message = ask_model(prompt, build_context(thread, budget), INTENT_SCHEMAS, log)
    if not message.tool_calls:
        return Done(summary=message.content or "")
    call = message.tool_calls[0]
    try:
        return parse_tool_call(call.function.name, call.function.arguments, INTENTS)
    except ToolCallError as error:
        return Done(summary=f"Could not understand the model: {error}")
''',
        # ignores the budget it is given
        '''
def determine_next_step(thread: Thread, prompt: Prompt, log: list[ModelCall], budget: int = CONTEXT_BUDGET,
                        intents: dict[str, type[ToolInput]] = INTENTS) -> Intent:
    """Ask the model for the next step and return it as an intent."""
    message = ask_model(prompt, build_context(thread, CONTEXT_BUDGET), INTENT_SCHEMAS, log)
    if not message.tool_calls:
        return Done(summary=message.content or "")
    call = message.tool_calls[0]
    return parse_tool_call(call.function.name, call.function.arguments, INTENTS)
''',
        # the text reply becomes a Done with a canned summary instead of the model's words
        '''
def determine_next_step(thread: Thread, prompt: Prompt, log: list[ModelCall], budget: int = CONTEXT_BUDGET,
                        intents: dict[str, type[ToolInput]] = INTENTS) -> Intent:
    """Ask the model for the next step and return it as an intent."""
    message = ask_model(prompt, build_context(thread, budget), INTENT_SCHEMAS, log)
    if not message.tool_calls:
        return Done(summary="All sorted." if message.content else "")
    call = message.tool_calls[0]
    return parse_tool_call(call.function.name, call.function.arguments, INTENTS)
''',
        # the last tool call of a reply instead of the first
        '''
def determine_next_step(thread: Thread, prompt: Prompt, log: list[ModelCall], budget: int = CONTEXT_BUDGET,
                        intents: dict[str, type[ToolInput]] = INTENTS) -> Intent:
    """Ask the model for the next step and return it as an intent."""
    message = ask_model(prompt, build_context(thread, budget), INTENT_SCHEMAS, log)
    if not message.tool_calls:
        return Done(summary=message.content or "")
    call = message.tool_calls[-1]
    return parse_tool_call(call.function.name, call.function.arguments, INTENTS)
''',
        # offers the lesson-01 tools only: the model is never offered done
        '''
def determine_next_step(thread: Thread, prompt: Prompt, log: list[ModelCall], budget: int = CONTEXT_BUDGET,
                        intents: dict[str, type[ToolInput]] = INTENTS) -> Intent:
    """Ask the model for the next step and return it as an intent."""
    message = ask_model(prompt, build_context(thread, budget), TOOL_SCHEMAS, log)
    if not message.tool_calls:
        return Done(summary=message.content or "")
    call = message.tool_calls[0]
    return parse_tool_call(call.function.name, call.function.arguments, INTENTS)
''',
    ],
    "execute": [
        # catches the shop's refusals but not ToolCallError: an intent no tool runs crashes the loop
        '''
def execute(intent: Intent, ticket: Ticket) -> Event:
    """Carry out one intent for `ticket` and report what happened, as an event."""
    name = intent_name(intent)
    if isinstance(intent, Done):
        return Finished(summary=intent.summary)
    try:
        return ToolResult(name=name, result=run_tool(intent, ticket))
    except ShopError as error:
        return ToolFailed(name=name, error=str(error))
''',
        # its own switch, which forgets update_address: the intent falls through to the error case
        '''
def execute(intent: Intent, ticket: Ticket) -> Event:
    """Carry out one intent for `ticket` and report what happened, as an event."""
    name = intent_name(intent)
    try:
        match intent:
            case Done(summary=summary):
                return Finished(summary=summary)
            case GetOrder() | CheckRefundPolicy() | IssueRefund() | TrackShipment() | SendMessage():
                return ToolResult(name=name, result=run_tool(intent, ticket))
            case _:
                return ToolFailed(name=name, error=f"No tool runs {type(intent).__name__}.")
    except (ToolCallError, ShopError) as error:
        return ToolFailed(name=name, error=str(error))
''',
        # like lesson 01's loop: a refusal comes back as a "result" that starts with Error
        '''
def execute(intent: Intent, ticket: Ticket) -> Event:
    """Carry out one intent for `ticket` and report what happened, as an event."""
    name = intent_name(intent)
    if isinstance(intent, Done):
        return Finished(summary=intent.summary)
    if name not in INTENTS:
        return ToolFailed(name=name, error=f"No tool runs {name}.")
    try:
        return ToolResult(name=name, result=run_tool(intent, ticket))
    except ShopError as error:
        return ToolResult(name=name, result=json.dumps({"error": str(error)}))
''',
        # a generic message instead of the shop's explanation, so the model cannot tell what to fix
        '''
def execute(intent: Intent, ticket: Ticket) -> Event:
    """Carry out one intent for `ticket` and report what happened, as an event."""
    name = intent_name(intent)
    if isinstance(intent, Done):
        return Finished(summary=intent.summary)
    try:
        return ToolResult(name=name, result=run_tool(intent, ticket))
    except (ToolCallError, ShopError):
        return ToolFailed(name=name, error="The tool failed.")
''',
        # names events by class ("IssueRefund") instead of by the tool name the model knows
        '''
def execute(intent: Intent, ticket: Ticket) -> Event:
    """Carry out one intent for `ticket` and report what happened, as an event."""
    name = type(intent).__name__
    if isinstance(intent, Done):
        return Finished(summary=intent.summary)
    try:
        return ToolResult(name=name, result=run_tool(intent, ticket))
    except (ToolCallError, ShopError) as error:
        return ToolFailed(name=name, error=str(error))
''',
        # catches every exception: a bug, or an outage that is not the shop's refusal, becomes the model's problem
        '''
def execute(intent: Intent, ticket: Ticket) -> Event:
    """Carry out one intent for `ticket` and report what happened, as an event."""
    name = intent_name(intent)
    if isinstance(intent, Done):
        return Finished(summary=intent.summary)
    try:
        return ToolResult(name=name, result=run_tool(intent, ticket))
    except Exception as error:
        return ToolFailed(name=name, error=str(error))
''',
        # no case for Done: it goes to run_tool, which has no tool for it, and comes back as a ToolFailed
        '''
def execute(intent: Intent, ticket: Ticket) -> Event:
    """Carry out one intent for `ticket` and report what happened, as an event."""
    name = intent_name(intent)
    try:
        return ToolResult(name=name, result=run_tool(intent, ticket))
    except (ToolCallError, ShopError) as error:
        return ToolFailed(name=name, error=str(error))
''',
    ],
    "run_agent": [
        # a malformed tool call is not caught: the first one ends the run with an exception
        '''
def run_agent(ticket: Ticket, policy: ShopPolicy | None = None, max_steps: int = 12) -> Thread:
    """Handle one ticket: decide, record, act, one step at a time, until done or out of steps."""
    prompt = system_prompt(policy or current_shop().policy)
    thread = thread_for(ticket)
    calls: list[ModelCall] = []
    for _ in range(max_steps):
        intent = determine_next_step(thread, prompt, calls)
        thread.events.append(ToolRequested(name=intent_name(intent), arguments=intent.model_dump_json()))
        event = execute(intent, thread.ticket)
        thread.events.append(event)
        if isinstance(event, Finished):
            break
    return thread
''',
        # gives up at the first failed tool: an unknown order number ends the run before the customer is asked
        '''
def run_agent(ticket: Ticket, policy: ShopPolicy | None = None, max_steps: int = 12) -> Thread:
    """Handle one ticket: decide, record, act, one step at a time, until done or out of steps."""
    prompt = system_prompt(policy or current_shop().policy)
    thread = thread_for(ticket)
    calls: list[ModelCall] = []
    for _ in range(max_steps):
        try:
            intent = determine_next_step(thread, prompt, calls)
        except ToolCallError as error:
            thread.events.append(ToolFailed(name="model", error=str(error)))
            continue
        thread.events.append(ToolRequested(name=intent_name(intent), arguments=intent.model_dump_json()))
        event = execute(intent, thread.ticket)
        thread.events.append(event)
        if isinstance(event, (Finished, ToolFailed)):
            break
    return thread
''',
        # a fixed bound instead of max_steps
        '''
def run_agent(ticket: Ticket, policy: ShopPolicy | None = None, max_steps: int = 12) -> Thread:
    """Handle one ticket: decide, record, act, one step at a time, until done or out of steps."""
    prompt = system_prompt(policy or current_shop().policy)
    thread = thread_for(ticket)
    calls: list[ModelCall] = []
    for _ in range(20):
        try:
            intent = determine_next_step(thread, prompt, calls)
        except ToolCallError as error:
            thread.events.append(ToolFailed(name="model", error=str(error)))
            continue
        thread.events.append(ToolRequested(name=intent_name(intent), arguments=intent.model_dump_json()))
        event = execute(intent, thread.ticket)
        thread.events.append(event)
        if isinstance(event, Finished):
            break
    return thread
''',
        # never records the decision: the thread holds results without the requests that caused them
        '''
def run_agent(ticket: Ticket, policy: ShopPolicy | None = None, max_steps: int = 12) -> Thread:
    """Handle one ticket: decide, record, act, one step at a time, until done or out of steps."""
    prompt = system_prompt(policy or current_shop().policy)
    thread = thread_for(ticket)
    calls: list[ModelCall] = []
    for _ in range(max_steps):
        try:
            intent = determine_next_step(thread, prompt, calls)
        except ToolCallError as error:
            thread.events.append(ToolFailed(name="model", error=str(error)))
            continue
        event = execute(intent, thread.ticket)
        thread.events.append(event)
        if isinstance(event, Finished):
            break
    return thread
''',
        # does not stop at Finished: it keeps asking the model after it said it was done
        '''
def run_agent(ticket: Ticket, policy: ShopPolicy | None = None, max_steps: int = 12) -> Thread:
    """Handle one ticket: decide, record, act, one step at a time, until done or out of steps."""
    prompt = system_prompt(policy or current_shop().policy)
    thread = thread_for(ticket)
    calls: list[ModelCall] = []
    for _ in range(max_steps):
        try:
            intent = determine_next_step(thread, prompt, calls)
        except ToolCallError as error:
            thread.events.append(ToolFailed(name="model", error=str(error)))
            continue
        thread.events.append(ToolRequested(name=intent_name(intent), arguments=intent.model_dump_json()))
        thread.events.append(execute(intent, thread.ticket))
    return thread
''',
        # one step too many: range(max_steps + 1)
        '''
def run_agent(ticket: Ticket, policy: ShopPolicy | None = None, max_steps: int = 12) -> Thread:
    """Handle one ticket: decide, record, act, one step at a time, until done or out of steps."""
    prompt = system_prompt(policy or current_shop().policy)
    thread = thread_for(ticket)
    calls: list[ModelCall] = []
    for _ in range(max_steps + 1):
        try:
            intent = determine_next_step(thread, prompt, calls)
        except ToolCallError as error:
            thread.events.append(ToolFailed(name="model", error=str(error)))
            continue
        thread.events.append(ToolRequested(name=intent_name(intent), arguments=intent.model_dump_json()))
        event = execute(intent, thread.ticket)
        thread.events.append(event)
        if isinstance(event, Finished):
            break
    return thread
''',
        # records the decision after acting: each result comes before the request that caused it
        '''
def run_agent(ticket: Ticket, policy: ShopPolicy | None = None, max_steps: int = 12) -> Thread:
    """Handle one ticket: decide, record, act, one step at a time, until done or out of steps."""
    prompt = system_prompt(policy or current_shop().policy)
    thread = thread_for(ticket)
    calls: list[ModelCall] = []
    for _ in range(max_steps):
        try:
            intent = determine_next_step(thread, prompt, calls)
        except ToolCallError as error:
            thread.events.append(ToolFailed(name="model", error=str(error)))
            continue
        event = execute(intent, thread.ticket)
        thread.events.append(event)
        thread.events.append(ToolRequested(name=intent_name(intent), arguments=intent.model_dump_json()))
        if isinstance(event, Finished):
            break
    return thread
''',
        # a malformed call is recorded, but the loop gives up on it: the model never gets to try again
        '''
def run_agent(ticket: Ticket, policy: ShopPolicy | None = None, max_steps: int = 12) -> Thread:
    """Handle one ticket: decide, record, act, one step at a time, until done or out of steps."""
    prompt = system_prompt(policy or current_shop().policy)
    thread = thread_for(ticket)
    calls: list[ModelCall] = []
    for _ in range(max_steps):
        try:
            intent = determine_next_step(thread, prompt, calls)
        except ToolCallError as error:
            thread.events.append(ToolFailed(name="model", error=str(error)))
            break
        thread.events.append(ToolRequested(name=intent_name(intent), arguments=intent.model_dump_json()))
        event = execute(intent, thread.ticket)
        thread.events.append(event)
        if isinstance(event, Finished):
            break
    return thread
''',
    ],
}


# --- Mistakes learners made that once passed every check: each a small slip of the reference cell -----------

from special_cases._cells import slip

WRONG_ANSWERS["determine_next_step"] += [
    # parses with the global INTENTS, as a hint once said, whatever `intents` the caller offered
    slip(4, "determine_next_step", "call.function.arguments, intents)", "call.function.arguments, INTENTS)"),
    # decides "done" from the text: a reply with a few words and a tool call is taken as the end
    slip(4, "determine_next_step", "    if not message.tool_calls:\n", "    if message.content or not message.tool_calls:\n"),
    # catches everything around deciding: a failing endpoint becomes a Done, and the loop ends as if all went well
    slip(4, "determine_next_step", "    message = ask_model(prompt, build_context(thread, budget), schemas, log)\n",
          "    try:\n        message = ask_model(prompt, build_context(thread, budget), schemas, log)\n"
          "    except Exception as error:\n        return Done(summary=f\"Could not decide: {error}\")\n"),
]
WRONG_ANSWERS["execute"] += [
    # a match with a case per tool, and track_shipment forgotten: where_is_my_order gets no answer
    slip(4, "execute", "    try:\n        return ToolResult(name=name, result=run_tool(intent, ticket))\n",
          "    if isinstance(intent, TrackShipment):\n        return ToolFailed(name=name, error=\"No tool runs that.\")\n"
          "    try:\n        return ToolResult(name=name, result=run_tool(intent, ticket))\n"),
    # Done also writes to the customer: the model's own message, then a second one from code
    slip(4, "execute", "        return Finished(summary=intent.summary)\n",
          "        from course.shop import tools as shop_tools\n"
          "        shop_tools.send_message(ticket.customer_email, intent.summary or \"We are done here.\")\n"
          "        return Finished(summary=intent.summary)\n"),
]
WRONG_ANSWERS["run_agent"].append(
    # a Done recorded as a ToolRequested before its Finished: a call without its own result
    slip(4, "run_agent", "        if not isinstance(intent, Done):  # a Done is recorded by its Finished\n"
          "            thread.events.append(", "        if True:\n            thread.events.append("))
