'''Wrong-but-plausible answers to lesson 08, own your control flow: solution-cell grade id -> replacement cell sources.

Each one is a whole solution cell: the reference with one plausible slip (`_slip` makes it and
fails loudly if the reference text it replaces is gone). Each breaks a behaviour that a hidden
test of that exercise checks, and a visible check of that exercise catches it.
'''

_GUARD = '''
def guard(intent: ToolInput, thread: Thread, policy: ShopPolicy) -> ToolInput | ToolFailed:
    """What code lets happen when the model chooses `intent`."""
    if not isinstance(intent, IssueRefund):
        return intent
    if any(refund["order_id"] == intent.order_id for refund in refunds_in(thread)):
        return ToolFailed(name="issue_refund", error=(
            f"Rejected: order {intent.order_id} was already refunded in this ticket, and there is one refund "
            "per order. Tell the customer what was refunded."))
    if not policy.needs_approval(intent.amount):
        return intent
    cents = round(intent.amount * 100)
    for request, answer in approvals_in(thread):
        if request.order_id != intent.order_id or not answer.approved:
            continue
        if cents == round(answer.amount * 100) if answer.amount is not None else cents <= round(request.amount * 100):
            return intent
    return RequestApproval(
        order_id=intent.order_id, amount=intent.amount,
        reason=f"The agent chose to refund ${intent.amount:.2f}; refunds above the limit need a person's approval.",
        question=f"Refund ${intent.amount:.2f} on order {intent.order_id}?",
        options=["approve", "reject"], urgency="normal", channel="approval_card")
'''

_LOOP = '''
def run_loop(thread_id: str, prompt: Prompt, max_steps: int = 12,
             intents: dict[str, type[ToolInput]] = AGENT_INTENTS) -> str:
    """Take steps on the stored thread until it is done or waits for a person; return its status."""
    log: list[ModelCall] = []
    policy = current_shop().policy
    for _ in range(max_steps):
        thread = load_thread(thread_id)
        status = status_of(thread)
        if status == "interrupted":
            chosen = thread.events[-1]
            act(thread_id, parse_tool_call(chosen.name, chosen.arguments, intents), thread.ticket)
            continue
        if status != "working":
            return status
        try:
            intent = determine_next_step(thread, prompt, log, intents=intents)
        except ToolCallError as error:
            append_event(thread_id, ToolFailed(name="model", error=str(error)))
            continue
        name = intent_name(intent, intents)
        match intent:
            case Done(summary=summary):
                append_event(thread_id, Finished(summary=summary))
                return "done"
            case _ if name in HUMAN_TOOLS:
                append_event(thread_id, ToolRequested(name=name, arguments=intent.model_dump_json()))
                return "waiting"
            case IssueRefund():
                ruling = guard(intent, thread, policy)
                append_event(thread_id, ToolRequested(name=name, arguments=intent.model_dump_json()))
                if isinstance(ruling, ToolFailed):
                    append_event(thread_id, ruling)
                elif isinstance(ruling, RequestApproval):
                    append_event(thread_id, ToolFailed(name=name, error="Failed: held for a person's approval."))
                    append_event(thread_id, ToolRequested(name="request_approval", arguments=ruling.model_dump_json()))
                    return "waiting"
                else:
                    act(thread_id, intent, thread.ticket)
            case _:
                append_event(thread_id, ToolRequested(name=name, arguments=intent.model_dump_json()))
                act(thread_id, intent, thread.ticket)
    status = status_of(load_thread(thread_id))
    if status in ("done", "waiting"):
        return status
    escalation = Escalate(reason=f"Still not done after {max_steps} steps.", urgency="high")
    append_event(thread_id, ToolRequested(name="escalate", arguments=escalation.model_dump_json()))
    return "waiting"
'''

_LAUNCH = '''
def launch(ticket: Ticket, policy: ShopPolicy | None = None) -> str:
    """Start the agent on `ticket`; return the thread's id."""
    thread_id = new_thread(ticket)
    run_loop(thread_id, system_prompt(policy or current_shop().policy))
    return thread_id


def resume(thread_id: str, answer: Answer | None = None, policy: ShopPolicy | None = None) -> str:
    """Store a person's answer (or refuse it), then continue the thread with run_loop; return its status."""
    record_answer(thread_id, answer)
    return run_loop(thread_id, system_prompt(policy or current_shop().policy))
'''


def _slip(base: str, old: str, new: str) -> str:
    assert old in base, f"the reference no longer contains {old!r}"
    return base.replace(old, new)


WRONG_ANSWERS: dict[str, list[str]] = {
    "guard": [
        # the limit hard-coded, as the prompt of lesson 02 once had it, instead of the policy's
        _slip(_GUARD, "if not policy.needs_approval(intent.amount):", "if intent.amount <= 100:"),
        # at the limit counts as above it (>= instead of >)
        _slip(_GUARD, "if not policy.needs_approval(intent.amount):", "if intent.amount < policy.approval_limit:"),
        # any approved request counts, whatever order it was for
        _slip(_GUARD, "if request.order_id != intent.order_id or not answer.approved:", "if not answer.approved:"),
        # an answer counts as an approval whether the person approved or rejected
        _slip(_GUARD, "if request.order_id != intent.order_id or not answer.approved:",
              "if request.order_id != intent.order_id:"),
        # a lowered approval is read as approving anything up to the amount requested
        _slip(_GUARD, "if cents == round(answer.amount * 100) if answer.amount is not None else cents <= round(request.amount * 100):",
              "if cents <= round(request.amount * 100):"),
        # a lowered approval lets through anything up to that amount, not exactly it
        _slip(_GUARD, "if cents == round(answer.amount * 100) if answer.amount",
              "if cents <= round(answer.amount * 100) if answer.amount"),
        # no one-refund-per-order rule at all
        _slip(_GUARD, 'if any(refund["order_id"] == intent.order_id for refund in refunds_in(thread)):', "if False:"),
        # counts refund requests, not refunds: a held or failed refund blocks the retry
        _slip(_GUARD, 'if any(refund["order_id"] == intent.order_id for refund in refunds_in(thread)):',
              'if any(isinstance(e, ToolRequested) and e.name == "issue_refund" and f\'"order_id":{intent.order_id}\' in '
              'e.arguments.replace(" ", "") for e in thread.events):'),
        # refuses a large refund instead of asking a person
        _slip(_GUARD, "    return RequestApproval(\n", "    return ToolFailed(name=\"issue_refund\", error=\"Needs approval.\")\n"
              "    RequestApproval(\n"),
        # the approval check comes first: an approved order can be refunded again and again
        _slip(_GUARD.replace('''    if any(refund["order_id"] == intent.order_id for refund in refunds_in(thread)):
        return ToolFailed(name="issue_refund", error=(
            f"Rejected: order {intent.order_id} was already refunded in this ticket, and there is one refund "
            "per order. Tell the customer what was refunded."))
''', ""), "    return RequestApproval(\n", '''    if any(refund["order_id"] == intent.order_id for refund in refunds_in(thread)):
        return ToolFailed(name="issue_refund", error=f"Rejected: order {intent.order_id} was already refunded.")
    return RequestApproval(
'''),
    ],
    "run_loop": [
        # out of steps, the loop just stops: the thread stays "working" and nobody is told
        _slip(_LOOP, '''    escalation = Escalate(reason=f"Still not done after {max_steps} steps.", urgency="high")
    append_event(thread_id, ToolRequested(name="escalate", arguments=escalation.model_dump_json()))
    return "waiting"''', "    return status"),
        # out of steps is an exception
        _slip(_LOOP, '''    escalation = Escalate(reason=f"Still not done after {max_steps} steps.", urgency="high")''',
              '''    raise RuntimeError(f"Still not done after {max_steps} steps.")'''),
        # out of steps "finishes" the thread: a silent stop that looks like success
        _slip(_LOOP, '''    append_event(thread_id, ToolRequested(name="escalate", arguments=escalation.model_dump_json()))
    return "waiting"''', '''    append_event(thread_id, Finished(summary=escalation.reason))
    return "done"'''),
        # the held refund's call gets no result of its own: the conversation is invalid for the model
        _slip(_LOOP, '''                    append_event(thread_id, ToolFailed(name=name, error="Failed: held for a person's approval."))
''', ""),
        # the guard's refusal is stored, then the loop stops as if the ticket were done
        _slip(_LOOP, '''                    append_event(thread_id, ruling)
''', '''                    append_event(thread_id, ruling)
                    return "done"
'''),
        # only large refunds go through the guard: one refund per order is never asked about small ones
        _slip(_LOOP, "            case IssueRefund():", "            case IssueRefund() if policy.needs_approval(intent.amount):"),
        # the rules of the default policy file, not the shop's
        _slip(_LOOP, "    policy = current_shop().policy", "    policy = ShopPolicy.load()"),
        # a request to a person is acted on like any other tool: nothing waits
        _slip(_LOOP, '''                append_event(thread_id, ToolRequested(name=name, arguments=intent.model_dump_json()))
                return "waiting"
            case IssueRefund():''', '''                append_event(thread_id, ToolRequested(name=name, arguments=intent.model_dump_json()))
                act(thread_id, intent, thread.ticket)
            case IssueRefund():'''),
        # a malformed call is not caught: the first one ends the run with an exception
        _slip(_LOOP, '''        try:
            intent = determine_next_step(thread, prompt, log, intents=intents)
        except ToolCallError as error:
            append_event(thread_id, ToolFailed(name="model", error=str(error)))
            continue
''', '''        intent = determine_next_step(thread, prompt, log, intents=intents)
'''),
        # an interrupted step is skipped: the model is asked again over a call with no result
        _slip(_LOOP, '''        if status == "interrupted":
            chosen = thread.events[-1]
            act(thread_id, parse_tool_call(chosen.name, chosen.arguments, intents), thread.ticket)
            continue
        if status != "working":''', '''        if status in ("done", "waiting"):'''),
    ],
    "launch_resume": [
        # launch offers the lesson-04 intents: the model can never ask a person
        _slip(_LAUNCH, "    run_loop(thread_id, system_prompt(policy or current_shop().policy))\n    return thread_id",
              "    run_loop(thread_id, system_prompt(policy or current_shop().policy), intents=INTENTS)\n    return thread_id"),
        # resume runs the loop without storing the answer
        _slip(_LAUNCH, "    record_answer(thread_id, answer)\n", ""),
        # launch returns the status instead of the thread's id
        _slip(_LAUNCH, "    run_loop(thread_id, system_prompt(policy or current_shop().policy))\n    return thread_id",
              "    return run_loop(thread_id, system_prompt(policy or current_shop().policy))"),
        # launch ignores the policy it is given
        _slip(_LAUNCH, "    run_loop(thread_id, system_prompt(policy or current_shop().policy))\n    return thread_id",
              "    run_loop(thread_id, system_prompt(current_shop().policy))\n    return thread_id"),
        # resume with lesson 07's resume: the old loop, which trusts the model
        _slip(_LAUNCH, "    record_answer(thread_id, answer)\n    return run_loop(thread_id, system_prompt(policy or current_shop().policy))",
              "    return stage_07.resume(thread_id, answer, policy)"),
    ],
}


from special_cases._cells import slip

WRONG_ANSWERS["run_loop"] = [*WRONG_ANSWERS.get("run_loop", []), _slip(
    # steps counted only after a valid tool call: a model that only sends malformed calls is never escalated
    slip(8, "run_loop", "    for _ in range(max_steps):\n", "    steps = 0\n    while steps < max_steps:\n"),
    "        name = intent_name(intent, intents)\n", "        name = intent_name(intent, intents)\n        steps += 1\n")]
