'''Wrong-but-plausible answers to lesson 10, small focused agents.

Each one is the reference solution cell with one plausible slip (`slip` reads the reference from the
lesson's source and fails loudly if the text it replaces is gone). Each breaks a behaviour that a
hidden test of that exercise checks, and a visible check of that exercise catches it.
'''

from special_cases._cells import slip

_INTENTS = "    intents = {tool: AGENT_INTENTS[tool] for tool in TOOLS_OF[name]}\n"
_LABELS = "            labels = [label for label in AGENTS if label not in bounced]\n"

WRONG_ANSWERS: dict[str, list[str]] = {
    "classify": [
        # the classifier offered the agent's tools as well: no longer one small closed question
        slip(10, "classify", "                                                                \"schema\": triage_schema(labels)}})",
             "                                                                \"schema\": triage_schema(labels)}},\n"
             "        tools=INTENT_SCHEMAS)"),
        # the schema always offers every agent, whatever labels are still open
        slip(10, "classify", '"schema": triage_schema(labels)}}', '"schema": triage_schema(AGENTS)}}'),
        # the model's answer trusted as it comes
        slip(10, "classify", "    if label not in labels:\n", "    if not label:\n"),
        # the monolith's prompt sent to the classifier
        slip(10, "classify", '{"role": "system", "content": triage_prompt(labels).text}',
             '{"role": "system", "content": system_prompt(current_shop().policy).text}'),
        # no structured output: the label is hoped for in free text
        slip(10, "classify", ''',
        response_format={"type": "json_schema", "json_schema": {"name": "triage", "strict": True,
                                                                "schema": triage_schema(labels)}})''', ")"),
    ],
    "focused_agent": [
        # a triage that offers every tool to every agent: the monolith's tools behind three prompts
        slip(10, "focused_agent", _INTENTS, "    intents = dict(AGENT_INTENTS)\n"),
        # no way to hand a ticket back
        slip(10, "focused_agent", 'intents={**intents, "done": Done, HAND_BACK: Transfer})',
             'intents={**intents, "done": Done})'),
        # one prompt for all: the monolith's, with its every rule
        slip(10, "focused_agent", 'prompt=owned_prompt(f"{name}_agent", **values)',
             "prompt=system_prompt(policy)"),
        # the refund agent's tools for every agent
        slip(10, "focused_agent", _INTENTS, '    intents = {tool: AGENT_INTENTS[tool] for tool in TOOLS_OF["refunds"]}\n'),
    ],
    "prefetch": [
        # the order looked up for every agent, whatever it needs
        slip(10, "prefetch", "    lookup = PREFETCH.get(agent)\n", "    lookup = GetOrder\n"),
        # the first order the ticket names, not the last
        slip(10, "prefetch", "lookup(order_id=int(found[-1]))", "lookup(order_id=int(found[0]))"),
        # the result stored without the call it answers
        slip(10, "prefetch", "    append_event(thread_id, ToolRequested(name=intent_name(intent), arguments=intent.model_dump_json()))\n",
             ""),
    ],
    "run_agents": [
        # triage again on every run: a resumed thread is classified (and may be re-routed) again
        slip(10, "run_agents", "        agent = holder_of(thread)\n", "        agent = None\n"),
        # a hand-back routed among every agent again: the one that bounced it may get it back
        slip(10, "run_agents", _LABELS, "            labels = list(AGENTS)\n"),
        # the first hand-back already goes to a person
        slip(10, "run_agents", "            if len(bounced) > MAX_BOUNCES:\n", "            if len(bounced) >= MAX_BOUNCES:\n"),
        # no lookup before the agent's first call
        slip(10, "run_agents", "            prefetch(thread_id, agent)\n", ""),
    ],
}

_READ = '''    content = response.choices[0].message.content or ""
    try:
        label = json.loads(content)["category"]
    except (ValueError, KeyError, TypeError):
        raise ToolCallError(f"The classifier answered {content[:80]!r}, not a label.") from None'''
_REFUND_VALUES = '''    values: dict[str, object] = {"shop_name": policy.shop_name}
    if name == "refunds":
        values |= {"refund_window_days": policy.refund_window_days,
                   "approval_limit": f"{policy.approval_limit:.2f}", "currency": policy.currency}'''
_CLASSIFY = "                agent = with_retries(lambda: classify(thread.ticket, labels), sleep, jitter)\n"
_HAND_OFF = '''            transfer(thread_id, agent, f"Triage: a ticket for {agent}.")
            prefetch(thread_id, agent)
'''
_RUN = "        status = run_loop(thread_id, focused.prompt, intents=focused.intents, sleep=sleep, jitter=jitter)\n"

# More slips, each a mistake a learner could make.
_FRESH: dict[str, list[str]] = {
    "classify": [
        # only a JSON syntax error handled: a refusal (no content) or an answer without "category" escapes as TypeError/KeyError
        slip(10, "classify", _READ, '''    content = response.choices[0].message.content
    try:
        label = json.loads(content)["category"]
    except json.JSONDecodeError:
        raise ToolCallError(f"The classifier answered {content[:80]!r}, not a label.") from None'''),
        # the ticket's body sent instead of the rendered ticket: the subject and the sender are lost
        slip(10, "classify", '{"role": "user", "content": ticket.render()}', '{"role": "user", "content": ticket.body}'),
        # an answer outside the labels quietly replaced by the first label instead of refused
        slip(10, "classify", '''    if label not in labels:
        raise ToolCallError(f"The classifier answered {label!r}, not one of {', '.join(labels)}.")''',
             '''    if label not in labels:
        return labels[0]'''),
        # refused with a ValueError, not lesson 01's ToolCallError
        slip(10, "classify", '''        raise ToolCallError(f"The classifier answered {label!r}, not one of {', '.join(labels)}.")''',
             '''        raise ValueError(f"The classifier answered {label!r}, not one of {', '.join(labels)}.")'''),
        # a schema that is not strict: the model may answer outside it
        slip(10, "classify", '"strict": True,', '"strict": False,'),
        # the prompt always names every agent, while the schema offers only the labels still open
        slip(10, "classify", "triage_prompt(labels).text", "triage_prompt(AGENTS).text"),
        # the model's name hard-coded instead of model_name()
        slip(10, "classify", "        model=model_name(),\n", '        model="gpt-4o-mini",\n'),
        # the parsed answer returned whole: a dict, not a label
        slip(10, "classify", '''        label = json.loads(content)["category"]''', '''        answer = json.loads(content)
        label = answer["category"]''').replace("    return label", "    return answer"),
        # checked against every agent instead of the labels offered
        slip(10, "classify", "    if label not in labels:\n", "    if label not in AGENTS:\n"),
        # the instructions repeated in a second user message: more than the ticket is sent
        slip(10, "classify", '{"role": "user", "content": ticket.render()}]',
             '{"role": "user", "content": ticket.render()},\n'
             '                  {"role": "user", "content": f"Answer with one of: {\', \'.join(labels)}."}]'),
    ],
    "focused_agent": [
        # the approval limit given as a number: "75.5", not "75.50"
        slip(10, "focused_agent", '"approval_limit": f"{policy.approval_limit:.2f}"', '"approval_limit": policy.approval_limit'),
        # the refund rules given to every template: the shipping and account templates have no place for them
        slip(10, "focused_agent", _REFUND_VALUES, '''    values: dict[str, object] = {"shop_name": policy.shop_name,
                                 "refund_window_days": policy.refund_window_days,
                                 "approval_limit": f"{policy.approval_limit:.2f}", "currency": policy.currency}'''),
        # no `done`: an agent cannot finish a ticket
        slip(10, "focused_agent", 'intents={**intents, "done": Done, HAND_BACK: Transfer})',
             'intents={**intents, HAND_BACK: Transfer})'),
        # the hand-back offered under the class's own name, not as transfer_to_triage
        slip(10, "focused_agent", 'intents={**intents, "done": Done, HAND_BACK: Transfer})',
             'intents={**intents, "done": Done, "transfer": Transfer})'),
        # the template named after the agent alone: course/prompts/refunds.md does not exist
        slip(10, "focused_agent", 'prompt=owned_prompt(f"{name}_agent", **values)', "prompt=owned_prompt(name, **values)"),
        # the agent named after its template
        slip(10, "focused_agent", "return Agent(name=name,", 'return Agent(name=f"{name}_agent",'),
        # the currency hard-coded
        slip(10, "focused_agent", '"currency": policy.currency}', '"currency": "USD"}'),
        # the shop's policy read from the current shop, not the policy given
        slip(10, "focused_agent", _REFUND_VALUES, _REFUND_VALUES.replace("policy.", "current_shop().policy.")),
        # every agent may ask the customer: ask_customer added to the refunds agent too
        slip(10, "focused_agent", "    intents = {tool: AGENT_INTENTS[tool] for tool in TOOLS_OF[name]}\n",
             "    intents = {tool: AGENT_INTENTS[tool] for tool in TOOLS_OF[name]}\n"
             '    intents["ask_customer"] = AGENT_INTENTS["ask_customer"]\n'),
        # the refund window hard-coded to the usual 30 days
        slip(10, "focused_agent", '"refund_window_days": policy.refund_window_days,', '"refund_window_days": 30,'),
    ],
    "prefetch": [
        # the order looked for in the body only: an order named in the subject is missed
        slip(10, "prefetch", "    found = ORDER_REF.findall(thread.ticket.render())\n",
             "    found = ORDER_REF.findall(thread.ticket.body)\n"),
        # the tool run directly, without act: an order that does not exist raises out of prefetch
        slip(10, "prefetch", "    return act(thread_id, intent, thread.ticket)",
             "    event = ToolResult(name=intent_name(intent), result=run_tool(intent, thread.ticket))\n"
             "    append_event(thread_id, event)\n    return event"),
        # the call returned instead of its result
        slip(10, "prefetch", "    append_event(thread_id, ToolRequested(name=intent_name(intent), arguments=intent.model_dump_json()))\n"
             "    return act(thread_id, intent, thread.ticket)",
             "    call = ToolRequested(name=intent_name(intent), arguments=intent.model_dump_json())\n"
             "    append_event(thread_id, call)\n    act(thread_id, intent, thread.ticket)\n    return call"),
        # nothing returned
        slip(10, "prefetch", "    return act(thread_id, intent, thread.ticket)", "    act(thread_id, intent, thread.ticket)"),
        # the call named after the class: "GetOrder", not "get_order"
        slip(10, "prefetch", "ToolRequested(name=intent_name(intent),", "ToolRequested(name=type(intent).__name__,"),
        # PREFETCH indexed directly: the account agent raises KeyError
        slip(10, "prefetch", "    lookup = PREFETCH.get(agent)\n", "    lookup = PREFETCH[agent]\n"),
        # "last" read as the highest order number
        slip(10, "prefetch", "lookup(order_id=int(found[-1]))", "lookup(order_id=max(int(n) for n in found))"),
        # the call's arguments written as a Python dict, not JSON: the thread holds arguments nobody can parse
        slip(10, "prefetch", "arguments=intent.model_dump_json()", "arguments=str(intent.model_dump())"),
    ],
    "run_agents": [
        # prefetch before the hand-off: the lookup is stored before the thread says who holds it
        slip(10, "run_agents", _HAND_OFF, '''            prefetch(thread_id, agent)
            transfer(thread_id, agent, f"Triage: a ticket for {agent}.")
'''),
        # the classifier called directly: one 429 from the model's API ends the run with an exception
        slip(10, "run_agents", '''            try:
                agent = with_retries(lambda: classify(thread.ticket, labels), sleep, jitter)
            except RETRYABLE:
                return "working"
''', "            agent = classify(thread.ticket, labels)\n"),
        # the classifier retried on the real clock: sleep and jitter not passed on
        slip(10, "run_agents", _CLASSIFY, "                agent = with_retries(lambda: classify(thread.ticket, labels))\n"),
        # the agent's loop run on the real clock: sleep and jitter not passed on
        slip(10, "run_agents", _RUN, "        status = run_loop(thread_id, focused.prompt, intents=focused.intents)\n"),
        # the policy given is ignored: the agents always read the current shop's
        slip(10, "run_agents", "        focused = focused_agent(agent, policy)\n",
             "        focused = focused_agent(agent, current_shop().policy)\n"),
        # the hand-off stored with an empty reason: Transfer refuses it
        slip(10, "run_agents", 'transfer(thread_id, agent, f"Triage: a ticket for {agent}.")', 'transfer(thread_id, agent, "")'),
        # an unreachable classifier sends the thread to a person instead of leaving it working
        slip(10, "run_agents", '''            except RETRYABLE:
                return "working"''', '''            except RETRYABLE:
                return escalate(thread_id, "The classifier could not be reached.")'''),
        # the escalation does not say who handed the ticket back
        slip(10, "run_agents", '''escalate(thread_id, f"Handed back by {' and '.join(bounced)}: no agent could serve this ticket.")''',
             '''escalate(thread_id, "No agent could serve this ticket.")'''),
        # the lookup run on every run, also for a thread an agent already holds
        slip(10, "run_agents", "            prefetch(thread_id, agent)\n", "").replace(
            "        focused = focused_agent(agent, policy)\n",
            "        prefetch(thread_id, agent)\n        focused = focused_agent(agent, policy)\n"),
        # one pass only: a hand-back is never routed again
        slip(10, "run_agents", '''        if holder_of(load_thread(thread_id)) is not None:
            return status''', "        return status"),
    ],
}

for _grade_id, _sources in _FRESH.items():
    WRONG_ANSWERS[_grade_id] = [*WRONG_ANSWERS[_grade_id], *_sources]
