'''Wrong-but-plausible answers to lesson 13, the capstone.

Each one is the reference solution cell with one plausible slip (`slip` reads the reference from the
lesson's source and fails loudly if the text it replaces is gone). Each breaks a behaviour that a
rubric probe of that exercise's factors checks, and a visible check of that exercise catches it.
'''

from special_cases._cells import slip

WRONG_ANSWERS: dict[str, list[str]] = {
    "tool_side": [
        # the stage's own error let through: callers of the protocol expect a ValueError
        slip(13, "tool_side", "            raise ValueError(str(error)) from None\n", "            raise\n"),
        # the intent's class name instead of the tool's name
        slip(13, "tool_side", '        return {"name": name, "arguments": intent.model_dump(mode="json")}',
             '        return {"name": type(intent).__name__, "arguments": intent.model_dump(mode="json")}'),
        # the shop's policy, not the one given
        slip(13, "tool_side", "s.system_prompt(ShopPolicy.model_validate(policy)).text",
             "s.system_prompt(current_shop().policy).text"),
        # no budget: a long history goes to the model whole
        slip(13, "tool_side", "s.thread_for(self.ticket(ticket)), s.CONTEXT_BUDGET)",
             "s.thread_for(self.ticket(ticket)), 1_000_000)"),
        # the arguments as a JSON string, not data
        slip(13, "tool_side", '"name": s.intent_name(intent, intents), "arguments": intent.model_dump(mode="json")}',
             '"name": s.intent_name(intent, intents), "arguments": intent.model_dump_json()}'),
    ],
    "thread_side": [
        # a status that does not come from the stored thread
        slip(13, "thread_side", '{"status": s.status_of(thread),', '{"status": "done",'),
        # every answer taken for a yes
        slip(13, "thread_side", 'approved=bool(answer.get("approved"))', "approved=True"),
        # the request answered is always the first event, not the pending one
        slip(13, "thread_side", "s.Approval(call_id=pending[0],", "s.Approval(call_id=0,"),
        # the customer's reply read from a key the protocol does not have
        slip(13, "thread_side", 'body=str(answer.get("body", ""))', 'body=str(answer.get("text", ""))'),
    ],
    "course_agent": [
        # the agent's own clock, not the caller's `now`
        slip(13, "course_agent", "s.verify_webhook(headers, body.encode(), secret, now)",
             "s.verify_webhook(headers, body.encode(), secret, int(__import__('time').time()))"),
        # no delivery id: a delivery sent twice runs twice
        slip(13, "course_agent", 's.trigger(ticket, origin, headers["webhook-id"])', "s.trigger(ticket, origin)"),
        # the state given back unchanged
        slip(13, "course_agent", '{"state": after.model_dump(mode="json"),', '{"state": state,'),
    ],
}
