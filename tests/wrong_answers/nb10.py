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
